"""Each sample's intrusion areas agree with an independent computation within 0.01 %.

Independent path: geopandas reads the files, shapely intersects in lon/lat, pyproj Geod measures;
both sides use the same edge convention (edges straight in the drawn CRS, densified to ≤ 20 m).
"""

import geopandas as gpd
import pytest
import shapely
from pyproj import Geod

from redline.model import Options, Status, Verdict
from redline.pipeline import check
from tests.conftest import ROOT, SAMPLES

GEOD = Geod(ellps="GRS80")
STEP_DEG = 20 / 111_320
RULE_LAYERS = {"redline": "ecological_redline", "reclamation": "sea", "river_lake": "river_lake"}


def independent_footprint(path):
    frame = gpd.read_file(path)
    step = STEP_DEG if frame.crs.is_geographic else 20.0
    frame = frame.set_geometry(shapely.segmentize(frame.geometry.values, step), crs=frame.crs).to_crs(4490)
    return frame.geometry.union_all()


def independent_area_m2(footprint, layer_id):
    layer = gpd.read_file(ROOT / "data" / "tianjin" / f"{layer_id}.gpkg")
    dense = shapely.segmentize(layer.geometry.values, STEP_DEG)
    shared = shapely.intersection(shapely.union_all(dense), footprint)
    return abs(GEOD.geometry_area_perimeter(shapely.orient_polygons(shared))[0]) if not shared.is_empty else 0.0


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.stem)
def test_intrusion_areas_agree_with_geod(path, tianjin):
    result = check(path, tianjin)
    footprint = independent_footprint(path)
    project_area = abs(GEOD.geometry_area_perimeter(shapely.orient_polygons(footprint))[0])
    assert result.project["area_m2"] == pytest.approx(project_area, rel=1e-4)
    for finding in result.findings:
        if finding.rule in RULE_LAYERS:
            expected = independent_area_m2(footprint, RULE_LAYERS[finding.rule])
            assert finding.measures["area_m2"] == pytest.approx(expected, rel=1e-4, abs=0.01), finding.rule


EXPECTED = {
    "01_qilihai_road": ({}, Verdict.VIOLATION, {"redline": Status.VIOLATION}),
    "02_logistics_park_farmland": ({}, Verdict.VIOLATION, {"farmland": Status.VIOLATION}),
    "03_port_expansion_sea": ({}, Verdict.VIOLATION, {"reclamation": Status.VIOLATION}),
    "04_dashentang_resort": ({}, Verdict.VIOLATION, {"coastline": Status.VIOLATION}),
    "05_factory_urban": ({}, Verdict.PASS, {}),
    "06_beidagang_solar": ({}, Verdict.VIOLATION, {"redline": Status.VIOLATION, "nature_reserves": Status.VIOLATION}),
    "07_redline_edge_touch": ({}, Verdict.REVIEW, {"redline": Status.CLEAR}),
    "08_national_major_lng": ({"national_major": True}, Verdict.REVIEW, {"reclamation": Status.REVIEW}),
    "09_monitoring_station": ({"activity": 1}, Verdict.REVIEW, {"redline": Status.REVIEW}),
    "10_multi_parcel_hole": ({}, Verdict.PASS, {}),
    "11_haihe_bank": ({}, Verdict.REVIEW, {"river_lake": Status.REVIEW}),
    "12_coastal_setback": ({}, Verdict.VIOLATION, {"coastline": Status.VIOLATION, "reclamation": Status.CLEAR}),
    "13_water_source_workshop": ({}, Verdict.REVIEW, {"water_sources": Status.REVIEW, "redline": Status.CLEAR}),
}


@pytest.mark.parametrize("stem", EXPECTED)
def test_sample_verdicts(stem, tianjin):
    options, verdict, statuses = EXPECTED[stem]
    path = next(p for p in SAMPLES if p.stem == stem)
    result = check(path, tianjin, options=Options(**options))
    assert result.verdict is verdict
    found = {f.rule: f.status for f in result.findings}
    assert all(found[rule] is status for rule, status in statuses.items())


def test_edge_touch_sample_touches_the_red_line(tianjin):
    path = next(p for p in SAMPLES if p.stem == "07_redline_edge_touch")
    footprint = independent_footprint(path)
    redline = gpd.read_file(ROOT / "data" / "tianjin" / "ecological_redline.gpkg").geometry.union_all()
    assert footprint.touches(redline)


def test_exemption_is_written_into_the_report(tianjin):
    path = next(p for p in SAMPLES if p.stem == "09_monitoring_station")
    red = next(f for f in check(path, tianjin, options=Options(activity=1)).findings if f.rule == "redline")
    assert "allowed activity 1" in red.exemption and "调查监测" in red.exemption
