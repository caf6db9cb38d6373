#!/usr/bin/env bash
# apt-needs.sh COMMAND:PACKAGE[,PACKAGE] …: install the Debian packages of each command that is missing.
set -euo pipefail
missing=()
for need in "$@"; do
  if ! command -v "${need%%:*}" >/dev/null; then
    IFS=, read -r -a packages <<< "${need#*:}"
    missing+=("${packages[@]}")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing Debian packages: ${missing[*]}" >&2
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
