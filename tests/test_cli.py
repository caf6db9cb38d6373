"""The command line: exit statuses, one-line errors, outputs written only when the check ran."""

import json
from pathlib import Path

import pytest
import shapely
from click.testing import CliRunner

from redline.cli import main
from redline.crs import ellipsoidal_areas_m2
from redline.io import read_project
from redline.model import REPORT_SCHEMA
from tests.common import write_project
from tests.conftest import SAMPLES


def sample(stem):
    return str(next(p for p in SAMPLES if p.stem == stem))


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_clean_sample_exits_0_and_writes_outputs(tmp_path):
    result = invoke("check", sample("05_factory_urban"), "-o", tmp_path / "r.json", "--map", tmp_path / "m.html",
                    "--geojson", tmp_path / "i.geojson")
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert report["verdict"] == "pass" and report["schema"] == REPORT_SCHEMA["$id"]
    assert json.loads((tmp_path / "i.geojson").read_text())["features"] == []
    assert "Leaflet" in (tmp_path / "m.html").read_text(encoding="utf-8") or "leaflet" in (tmp_path / "m.html").read_text()


def test_violation_exits_1_with_a_summary_in_chinese(tmp_path):
    result = invoke("check", sample("06_beidagang_solar"), "--lang", "zh", "--geojson", tmp_path / "i.geojson")
    assert result.exit_code == 1
    assert "结论: 不符合" in result.output and "北大港湿地" in result.output
    features = json.loads((tmp_path / "i.geojson").read_text())["features"]
    assert {f["properties"]["rule"] for f in features} >= {"redline", "nature_reserves"}


def test_review_exits_1():
    result = invoke("check", sample("08_national_major_lng"), "--national-major")
    assert result.exit_code == 1
    assert "Verdict: REVIEW" in result.output and "national major project" in result.output


def test_bad_input_exits_2_with_one_line_and_no_output(tmp_path):
    bad = tmp_path / "bad.geojson"
    bad.write_text("not a map")
    result = CliRunner().invoke(main, ["check", str(bad), "-o", str(tmp_path / "r.json")])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("redline: ") and "bad.geojson" in result.stderr
    assert "Traceback" not in result.output
    assert not (tmp_path / "r.json").exists()


def test_outside_region_exits_2(tmp_path):
    far = write_project(tmp_path / "far.geojson", shapely.box(100.0, 30.0, 100.1, 30.1))
    result = invoke("check", far)
    assert result.exit_code == 2 and "outside the region" in result.stderr


def test_existing_output_needs_overwrite(tmp_path):
    (tmp_path / "r.json").write_text("keep me")
    result = invoke("check", sample("05_factory_urban"), "-o", tmp_path / "r.json")
    assert result.exit_code == 2 and "--overwrite" in result.stderr
    assert (tmp_path / "r.json").read_text() == "keep me"
    assert invoke("check", sample("05_factory_urban"), "-o", tmp_path / "r.json", "--overwrite").exit_code == 0


@pytest.mark.parametrize("value", ["0", "11"])
def test_activity_outside_1_to_10_is_a_usage_error(value):
    assert invoke("check", sample("09_monitoring_station"), "--activity", value).exit_code == 2


def test_layers_lists_the_policy_totals():
    result = invoke("layers")
    assert result.exit_code == 0
    assert "1,557.77 km²" in result.output and "467.46 万亩" in result.output and "natural 18.63 km" in result.output


def test_bad_manifest_exits_2(tmp_path):
    (tmp_path / "layers.toml").write_text("[manifest\n")
    result = invoke("layers", "-l", tmp_path / "layers.toml")
    assert result.exit_code == 2 and "cannot read the layer manifest" in result.stderr


INPUTS = Path(__file__).resolve().parent / "data" / "inputs" / "good"


def test_convert_txt_round_trip_keeps_the_geometry(tmp_path):
    source = INPUTS / "bubiao_utf8.txt"
    assert invoke("convert", source, tmp_path / "out.txt").exit_code == 0
    original, again = read_project(source), read_project(tmp_path / "out.txt")
    assert again.source_crs == original.source_crs and again.parcels == original.parcels == 2
    for before, after in zip(original.source.geometries, again.source.geometries):
        assert shapely.equals_exact(shapely.normalize(before), shapely.normalize(after), tolerance=1e-4)


def test_convert_geojson_to_txt_and_back(tmp_path):
    source = INPUTS / "featurecollection.geojson"
    assert invoke("convert", source, tmp_path / "out.txt", "--to-crs", "EPSG:4527").exit_code == 0
    text = (tmp_path / "out.txt").read_text(encoding="utf-8")
    assert "坐标系=2000国家大地坐标系" in text and "带号=39" in text and ",2," in text  # the hole is ring 2
    back = read_project(tmp_path / "out.txt")
    areas = ellipsoidal_areas_m2([back.geometry, read_project(source).geometry])
    assert areas[0] == pytest.approx(areas[1], rel=1e-6)


def test_convert_to_txt_needs_gauss_kruger(tmp_path):
    result = invoke("convert", INPUTS / "featurecollection.geojson", tmp_path / "out.txt")
    assert result.exit_code == 2 and "needs a Gauss-Krüger CRS" in result.stderr
    assert not (tmp_path / "out.txt").exists()
