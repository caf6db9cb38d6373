"""Reports: the JSON follows its schema; the map escapes hostile names; the summary reads in both languages."""

import html
import json

import jsonschema
import pytest
import shapely

from redline.model import REPORT_SCHEMA, Options, Status
from redline.pipeline import check
from redline.report.html import STATUS_COLOURS, map_html
from redline.report.json import report_json
from redline.report.text import summary
from tests.common import map_features, map_shapes, write_project

HOSTILE = '<script>window.pwned=1</script><img src=x onerror="window.pwned=2">'


def test_report_json_validates_against_its_schema(tianjin):
    from tests.conftest import SAMPLES
    for path in SAMPLES:
        report = json.loads(report_json(check(path, tianjin, options=Options(activity=1))))
        jsonschema.validate(report, REPORT_SCHEMA)


def test_map_escapes_names_from_the_input(tmp_path, tianjin):
    path = write_project(tmp_path / "p.geojson", shapely.box(117.30, 39.10, 117.31, 39.11), name=HOSTILE)
    result = check(path, tianjin)
    page = map_html(result, tianjin.nearby(result.footprint))
    assert "<script>window.pwned" not in page and "<img src=x" not in page
    assert "&lt;script&gt;window.pwned=1&lt;/script&gt;" in page


def test_template_syntax_in_a_name_is_shown_as_written_never_run(tmp_path, tianjin):
    """Regression: branca compiles the script of every folium element as a Jinja template once more, so a project
    name holding ``{{ … }}`` ran in the process drawing the map (the service's, for an uploaded file)."""
    name = "{{ 7*7 }} {{ cycler.__init__.__globals__.os.getpid() }} {% if 1 %}x{% endif %}"
    path = write_project(tmp_path / "p.geojson", shapely.box(117.30, 39.10, 117.31, 39.11), name=name)
    result = check(path, tianjin)
    tooltips = [shape.get("tooltip") for shape in map_shapes(map_html(result, tianjin.nearby(result.footprint)))]
    assert html.escape(name) in tooltips


def test_a_shape_narrower_than_the_display_tolerance_is_drawn_not_dropped(tmp_path, tianjin):
    """The map drops vertices within 1e-6° (≈ 0.1 m) of a line for display; a strip 5 cm wide would vanish whole
    under Douglas-Peucker, so it keeps its vertices."""
    strip = shapely.box(117.30, 39.10, 117.30 + 5.8e-7, 39.11)  # 5 cm by 1.1 km
    path = write_project(tmp_path / "strip.geojson", strip, name="strip")
    result = check(path, tianjin)
    drawn = [f["geometry"] for f in map_features(map_html(result, tianjin.nearby(result.footprint)))
             if f["properties"].get("tooltip") == "strip"]
    assert len(drawn) == 1 and shapely.geometry.shape(drawn[0]).equals_exact(result.footprint, 1e-7)


def test_summary_in_both_languages(tianjin):
    from tests.conftest import SAMPLES
    report = check(SAMPLES[0], tianjin)
    assert "Verdict: VIOLATION" in summary(report, lang="en")
    assert "结论: 不符合" in summary(report, lang="zh")


def test_cdn_map_links_the_pinned_versions(tianjin):
    from tests.conftest import SAMPLES
    result = check(SAMPLES[0], tianjin)
    page = map_html(result, [], cdn=True)
    assert '<script src="https://unpkg.com/leaflet@1.9.4/dist/leaflet.js"></script>' in page
    assert len(page) < 200_000


def test_missing_map_assets_are_a_clear_error(tianjin, tmp_path, monkeypatch):
    import pytest

    from redline.errors import RedlineError
    from redline.report import assets
    from tests.conftest import SAMPLES

    monkeypatch.setenv("REDLINE_WEB_MODULES", str(tmp_path))
    with pytest.raises(RedlineError, match="map assets are not installed.*setup-web.sh.*--cdn"):
        map_html(check(SAMPLES[0], tianjin), [])
    assert assets.modules_dir() == tmp_path


def test_the_schema_is_closed_and_measures_are_si(tianjin):
    """Nothing is emitted that the schema does not name; ha, km² and 亩 are never measures."""
    from tests.conftest import SAMPLES
    report = json.loads(report_json(check(SAMPLES[0], tianjin)))
    for path in ((), ("project",), ("manifest",), ("options",), ("findings", 0), ("findings", 0, "features", 0)):
        copy = json.loads(json.dumps(report))
        target = copy
        for key in path:
            target = target[key]
        target["surprise"] = 1
        with pytest.raises(jsonschema.ValidationError, match="Additional properties"):
            jsonschema.validate(copy, REPORT_SCHEMA)
    copy = json.loads(json.dumps(report))
    copy["findings"][0]["measures"]["area_ha"] = 1.0
    with pytest.raises(jsonschema.ValidationError, match="area_ha"):
        jsonschema.validate(copy, REPORT_SCHEMA)


def test_the_map_draws_violations_over_reviews_over_the_project(tianjin):
    """The evidence is on top: the project outline first, review pieces next, violation pieces last (so their popups
    get the clicks)."""
    from tests.conftest import SAMPLES
    report = check(next(p for p in SAMPLES if p.stem == "01_qilihai_road"), tianjin)
    statuses = {f.rule: f.status for f in report.findings}
    assert {statuses[rule] for rule in report.intrusions} >= {Status.VIOLATION, Status.REVIEW}
    page = map_html(report, tianjin.nearby(report.footprint))
    outline, review, violation = (page.index(f'"fillColor": "{colour}"') for colour in
                                  ("#2c7bb6", STATUS_COLOURS[Status.REVIEW], STATUS_COLOURS[Status.VIOLATION]))
    assert outline < review < violation
