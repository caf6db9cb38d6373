#!/usr/bin/env bash
# Install redline in .venv and check every shipped Tianjin sample: per sample in maps/ the JSON report, the HTML
# map and the review file (PDF, Word, the statistics workbook and the map sheet PNG).
# Exit status 0 when every sample was checked (whatever its verdict); 2 when one could not be checked.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/apt-needs.sh npm:nodejs,npm /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc:fonts-noto-cjk
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check -e .
bash scripts/setup-web.sh
.venv/bin/redline layers
for sample in data/samples/*.geojson data/samples/*.gpkg; do
  stem=$(basename "${sample%.*}")
  declared=()
  case "$stem" in
    08_*) declared=(--national-major) ;;   # the LNG terminal is declared a national major project
    09_*) declared=(--activity 1) ;;       # the monitoring station declares allowed activity 1 (调查监测)
  esac
  echo "== $stem ${declared[*]:-}"
  status=0
  .venv/bin/redline check "$sample" "${declared[@]}" --overwrite --lang zh \
    -o "maps/$stem.json" --geojson "maps/$stem.intrusions.geojson" --map "maps/$stem.html" \
    --pdf "maps/$stem.pdf" --docx "maps/$stem.docx" --xlsx "maps/$stem.xlsx" --sheet "maps/$stem.sheet.png" || status=$?
  [ "$status" -le 1 ] || exit "$status"
done
.venv/bin/redline index maps/[0-9]*.json -o maps/index.html --lang zh --overwrite
echo "maps written to maps/ (open maps/index.html or maps/01_qilihai_road.html in a browser)"
