#!/usr/bin/env bash
# Install everything the tests need from scratch (Debian nodejs/npm, chromium, PostgreSQL + PostGIS, poppler and
# the Noto CJK fonts if missing, the venv, the map assets) and run the test suite. This is the README's test command and what CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/apt-needs.sh npm:nodejs,npm chromium:chromium chromedriver:chromium-driver \
  /usr/lib/postgresql/15/bin/postgres:postgresql /usr/share/postgresql/15/extension/postgis.control:postgresql-15-postgis-3 \
  pdftotext:poppler-utils /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc:fonts-noto-cjk
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check -e '.[test]'
bash scripts/setup-web.sh
# the shipped layers prepared once (dissolved, cut into pieces, cached) for every test worker, instead of by each
export REDLINE_TEST_CACHE_DIR="$PWD/build/test-cache"
REDLINE_CACHE_DIR="$REDLINE_TEST_CACHE_DIR" .venv/bin/redline layers > /dev/null
.venv/bin/python -m pytest -q -n auto --dist loadfile --durations=5 "$@"   # a file's tests in one worker (its fixtures made once)
