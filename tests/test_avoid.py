"""redline avoid: the compliant footprint equals the project minus what it may not occupy (hand-computed areas),
keeps what is only under review unless asked, clears the coastal setback, and checks clean again."""

import json
import subprocess
import sys

import numpy as np
import pytest
import shapely
from pyproj import Transformer

import redline
from redline.avoid import avoid
from redline.crs import GEOD
from redline.model import Status
from tests.common import lonlat_rectangle_area_m2, make_manifest
from tests.conftest import synthetic_layers


def project(box, layers):
    return redline.project_of(shapely.box(*box), 4490)


def status(report, rule):
    return next(f.status for f in report.findings if f.rule == rule)


def test_the_avoided_footprint_is_the_project_minus_the_red_line(synthetic):
    box = (117.31, 39.10, 117.33, 39.12)  # the east half lies in the red-line square (117.30–117.32)
    result = avoid(project(box, synthetic), synthetic)
    expected = lonlat_rectangle_area_m2(117.32, 39.10, 117.33, 39.12)
    assert result.after.project["area_m2"] == pytest.approx(expected, abs=0.01)
    assert result.lost_m2["redline"] == pytest.approx(lonlat_rectangle_area_m2(117.31, 39.10, 117.32, 39.12), abs=0.01)
    assert status(result.before, "redline") is Status.VIOLATION and status(result.after, "redline") is Status.CLEAR


def test_review_areas_stay_unless_asked(synthetic):
    box = (117.41, 39.10, 117.43, 39.12)  # half permanent farmland (violation), half other farmland (review)
    kept = avoid(project(box, synthetic), synthetic)
    assert status(kept.after, "farmland") is Status.REVIEW
    assert kept.after.project["area_m2"] == pytest.approx(lonlat_rectangle_area_m2(117.42, 39.10, 117.43, 39.12), abs=0.01)
    with pytest.raises(redline.GeometryError, match="nothing of the project is left"):
        avoid(project(box, synthetic), synthetic, avoid_review=True)


def test_the_coastal_setback_is_cleared(synthetic):
    box = (117.497, 39.01, 117.499, 39.02)  # 87–260 m west of the natural coast at 117.50
    result = avoid(project(box, synthetic), synthetic)
    assert status(result.before, "coastline") is Status.VIOLATION and status(result.after, "coastline") is Status.CLEAR
    east = shapely.get_coordinates(result.project.geometry)[:, 0].max()
    distance = GEOD.inv(east, 39.015, 117.50, 39.015)[2]
    assert 200 <= distance <= 201  # the 200 m setback, with its 0.5 m clearance


def test_small_parts_are_dropped_and_counted(synthetic):
    """A project of two parts: one east of the red-line square, one astride its east edge, whose outside strip
    (≈ 9,600 m²) is below the minimum asked."""
    east = shapely.box(117.32, 39.115, 117.33, 39.12)
    tab = shapely.box(117.3199, 39.10, 117.3201, 39.11)
    result = avoid(redline.project_of(shapely.MultiPolygon([east, tab]), 4490), synthetic, min_part_m2=20_000)
    assert result.small_parts_m2 == pytest.approx(lonlat_rectangle_area_m2(117.32, 39.10, 117.3201, 39.11), rel=1e-6)
    assert result.after.project["area_m2"] == pytest.approx(lonlat_rectangle_area_m2(117.32, 39.115, 117.33, 39.12), abs=0.01)


@pytest.mark.parametrize("suffix", [".txt", ".geojson", ".gpkg", ".shp", ".kml", ".dxf", ".csv", ".parquet"])
def test_the_cli_writes_the_footprint_in_the_input_s_crs_and_its_report(tmp_path, suffix):
    manifest = make_manifest(tmp_path / "layers", synthetic_layers())
    to_gk = Transformer.from_crs(4490, 4527, always_xy=True)
    gk = shapely.transform(shapely.box(117.31, 39.10, 117.33, 39.12),
                           lambda xy: np.round(np.column_stack(to_gk.transform(xy[:, 0], xy[:, 1])), 3))
    source = tmp_path / "p.txt"
    rows = [f"J{n},1,{y:.3f},{x:.3f}" for n, (x, y) in enumerate(gk.exterior.coords, 1)]
    source.write_text("\n".join(["[属性描述]", "坐标系=2000国家大地坐标系", "几度分带=3", "带号=39", "[地块坐标]",
                                 f"{len(rows)},,1,测试,面,,,,@", *rows]) + "\n", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "redline.cli", "avoid", str(source), "-o", f"out{suffix}",
                             "-l", str(manifest)], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 1, result.stderr  # review left: outside the urban boundary
    assert "Ecological protection red line" in result.stdout
    if suffix == ".txt":
        text = (tmp_path / "out.txt").read_text(encoding="utf-8")
        assert "带号=39" in text and "2000国家大地坐标系" in text
    report = json.loads((tmp_path / "out.report.json").read_text(encoding="utf-8"))
    assert report["project"]["crs"] in ("EPSG:4527", "EPSG:4326") or "Gauss" in report["project"]["crs"]
    assert next(f for f in report["findings"] if f["rule"] == "redline")["status"] == "clear"
