#!/usr/bin/env bash
# apt-needs.sh NEED:PACKAGE[,PACKAGE] …: install the Debian packages of each need that is missing.
# A NEED is a command on PATH, or an absolute path to a file that must exist.
set -euo pipefail
missing=()
for need in "$@"; do
  thing=${need%%:*}
  if { [[ $thing == /* ]] && [ ! -e "$thing" ]; } || { [[ $thing != /* ]] && ! command -v "$thing" >/dev/null; }; then
    IFS=, read -r -a packages <<< "${need#*:}"
    missing+=("${packages[@]}")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing Debian packages: ${missing[*]}" >&2
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
