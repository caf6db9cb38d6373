"""redline convert: every format planners exchange is written whole, under its final names, and read back right."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import shapely

from redline.crs import ellipsoidal_areas_m2
from redline.io import read_project

GOOD = Path(__file__).resolve().parent / "data" / "inputs" / "good"
BAD = GOOD.parent / "bad"
SOURCE = GOOD / "txt_multipart.txt"  # one parcel: a part with a hole and a second part (圈号 1, 2, 3)
READ_BACK = {".dxf": {"crs": "EPSG:4527"}, ".csv": {"crs": "EPSG:4527"}, ".zip": {}, ".shp": {}}
FILES = {".shp": {"out.shp", "out.shx", "out.dbf", "out.prj", "out.cpg"}}


def redline(*args, cwd):
    return subprocess.run([sys.executable, "-m", "redline.cli", *map(str, args)], cwd=cwd, capture_output=True, text=True)


def area_m2(project) -> float:
    return float(ellipsoidal_areas_m2([project.geometry])[0])


@pytest.mark.parametrize("suffix", [".geojson", ".json", ".gpkg", ".fgb", ".shp", ".zip", ".kml", ".kmz", ".dxf",
                                    ".parquet", ".csv", ".txt"])
def test_every_format_is_written_and_read_back(tmp_path, suffix):
    result = redline("convert", SOURCE, f"out{suffix}", "--to-crs", "EPSG:4527", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert {p.name for p in tmp_path.iterdir()} == FILES.get(suffix, {f"out{suffix}"})  # nothing temporary left
    original, back = read_project(SOURCE), read_project(tmp_path / f"out{suffix}", **READ_BACK.get(suffix, {}))
    tolerance = 1e-6 if suffix not in (".kml", ".kmz") else 1e-5  # KML is written in lon/lat with 15 digits
    assert area_m2(back) == pytest.approx(area_m2(original), rel=tolerance)
    parts = shapely.get_parts(back.geometry)
    assert len(parts) == 2 and sorted(len(p.interiors) for p in parts) == [0, 1]


def test_a_failed_conversion_leaves_nothing_behind(tmp_path):
    result = redline("convert", SOURCE, "out.txt", "--to-crs", "EPSG:4490", cwd=tmp_path)
    assert result.returncode == 2 and "the TXT needs a Gauss-Krüger CRS" in result.stderr
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize(("args", "message"), [
    (["out.foo"], "redline does not write .foo; name the output with one of .geojson"),
    (["out.geojson", "--to-crs", "gcj02"], "'gcj02': 不是有效的坐标系 / not a coordinate reference system"),
    (["out.geojson", "--crs", "EPSG:99999"], "not a coordinate reference system"),
])
def test_bad_options_are_one_line_and_exit_2(tmp_path, args, message):
    result = redline("convert", GOOD / "survey_xy.csv", *args, cwd=tmp_path)
    assert result.returncode == 2 and message in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert os.listdir(tmp_path) == []


def test_convert_never_writes_a_boundary_outside_china(tmp_path):
    """Eastings without zone prefix labelled with a zone-prefixed CRS land in the Pacific: refused, nothing written."""
    result = redline("convert", BAD / "no_prefix_labelled_prefixed.csv", "out.geojson", "--crs", "EPSG:4527", cwd=tmp_path)
    assert result.returncode == 2 and "falls outside China" in result.stderr
    assert os.listdir(tmp_path) == []


def test_corrections_are_one_clean_line_each_and_quiet_silences_them(tmp_path):
    loud = redline("convert", GOOD / "survey_xy.csv", "out.geojson", "--crs", "EPSG:4527", cwd=tmp_path)
    assert loud.returncode == 0
    notes = [line for line in loud.stderr.splitlines() if line]
    assert notes == [f"redline: 注意 / note: {GOOD / 'survey_xy.csv'}: X 列为北坐标、Y 列为东坐标（测量习惯），已按此读取 / "
                     "column X holds northings and Y eastings (the survey convention); read so"]
    quiet = redline("-q", "convert", GOOD / "survey_xy.csv", "out2.geojson", "--crs", "EPSG:4527", cwd=tmp_path)
    assert quiet.returncode == 0 and quiet.stderr == ""
