"""Layer vintages: ``redline layers --diff`` reports a moved red-line parcel's area, and ``redline recheck`` finds
exactly the applications of a batch whose results the move changes (computed independently below)."""

import csv
import json
import re

import geopandas as gpd
import numpy as np
import pytest
import shapely
import shapely.affinity
from click.testing import CliRunner

from redline.cli import main
from redline.crs import ellipsoidal_areas_m2
from tests.common import REDLINE_SQUARE, lonlat_rectangle_area_m2, make_manifest
from tests.conftest import synthetic_layers

SHIFT = 0.005
"""Degrees the red-line square moves east in the new vintage."""
MOVED = shapely.affinity.translate(REDLINE_SQUARE, xoff=SHIFT)


@pytest.fixture(scope="module")
def vintages(tmp_path_factory):
    folder = tmp_path_factory.mktemp("vintages")
    old = make_manifest(folder / "old", synthetic_layers())
    layers = synthetic_layers()
    layers["ecological_redline"] = [{"name": "square", "geometry": MOVED}]
    return old, make_manifest(folder / "new", layers)


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_layers_diff_reports_the_moved_area(vintages, tmp_path):
    old, new = vintages
    result = invoke("layers", "--diff", old, new, "-o", tmp_path / "diff.geojson")
    assert result.exit_code == 0, result.output
    line = next(line for line in result.output.splitlines() if line.startswith("ecological_redline"))
    added, removed = (float(x) for x in re.search(r"\+([\d.]+) km²\s+−([\d.]+) km²", line).groups())
    assert added == pytest.approx(lonlat_rectangle_area_m2(117.32, 39.10, 117.32 + SHIFT, 39.12) / 1e6, abs=1e-6)
    assert removed == pytest.approx(lonlat_rectangle_area_m2(117.30, 39.10, 117.30 + SHIFT, 39.12) / 1e6, abs=1e-6)
    assert "features +0 −0 ~1" in line
    assert all(line.endswith("unchanged") for line in result.output.splitlines()
               if line.split()[0] in ("farmland", "sea", "coastline", "nature_reserves"))
    features = json.loads((tmp_path / "diff.geojson").read_text())["features"]
    pieces = {(f["properties"]["layer"], f["properties"]["change"]): shapely.geometry.shape(f["geometry"]) for f in features}
    assert set(pieces) == {("ecological_redline", "added"), ("ecological_redline", "removed")}
    strip = shapely.box(117.30, 39.10, 117.30 + SHIFT, 39.12)
    assert pieces["ecological_redline", "removed"].symmetric_difference(strip).area < 1e-12


def applications(count: int, seed: int) -> gpd.GeoDataFrame:
    """Boxes of 0.002–0.02° around the red-line square, some crossing it, its old or new edge, some clear of it."""
    random = np.random.default_rng(seed)
    west = random.uniform(117.27, 117.34, count)
    south = random.uniform(39.07, 39.13, count)
    size = random.uniform(0.002, 0.02, count)
    boxes = [shapely.box(w, s, w + d, s + d) for w, s, d in zip(west, south, size)]
    return gpd.GeoDataFrame({"id": [f"P{n:04d}" for n in range(count)]}, geometry=boxes, crs="EPSG:4490")


def test_recheck_finds_exactly_the_applications_the_move_changes(vintages, tmp_path):
    old, new = vintages
    frame = applications(300, seed=5)
    frame.to_parquet(tmp_path / "apps.parquet")
    first = invoke("batch", tmp_path / "apps.parquet", "-o", tmp_path / "before", "-l", old, "-j", "1")
    assert first.exit_code in (0, 1), first.output
    result = invoke("recheck", tmp_path / "before", "-l", new, "-o", tmp_path / "after", "-j", "1")
    assert result.exit_code == 1, result.output
    before = ellipsoidal_areas_m2(shapely.intersection(frame.geometry.values, REDLINE_SQUARE))
    after = ellipsoidal_areas_m2(shapely.intersection(frame.geometry.values, MOVED))
    expected = set(frame["id"][np.abs(after - before) > 0.01])
    assert 20 < len(expected) < 280  # the sample exercises both
    with open(tmp_path / "after" / "changes.csv", encoding="utf-8-sig") as stream:
        lines = list(csv.DictReader(stream))
    assert {line["id"] for line in lines} == expected
    area = {line["id"]: line for line in lines if line["column"] == "redline_area_m2"}
    for identifier in list(expected)[:30]:
        row = frame["id"].tolist().index(identifier)
        assert float(area[identifier]["before"] or 0) == pytest.approx(before[row], abs=0.002)
        assert float(area[identifier]["after"] or 0) == pytest.approx(after[row], abs=0.002)
    hashes = {(line["manifest_before"], line["manifest_after"]) for line in lines}
    assert len(hashes) == 1 and len(set(next(iter(hashes)))) == 2, "each change names both vintages"
    changes = json.loads((tmp_path / "after" / "changes.json").read_text(encoding="utf-8"))
    assert {change["id"] for change in changes} == expected
    page = (tmp_path / "after" / "changes.html").read_text(encoding="utf-8")
    assert page.count("<tr data-verdict=") == len(expected)
    assert (tmp_path / "before" / "results.csv").read_bytes() != (tmp_path / "after" / "results.csv").read_bytes()
