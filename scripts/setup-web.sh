#!/usr/bin/env bash
# Install Leaflet and its plugins (pinned in redline/report/web/package-lock.json) for the offline HTML maps.
# Needs npm; on Debian: apt-get install -y nodejs npm.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v npm >/dev/null; then
  echo "npm is needed for the map assets: apt-get install -y nodejs npm (or use redline check --cdn)" >&2
  exit 2
fi
npm ci --prefix redline/report/web --no-audit --no-fund --loglevel=error
