"""Constraints declared in a manifest (rule = "area"): statuses per class, a buffer with its own status,
exemptions and reason templates, with no code; checked against hand-computed areas."""


import geopandas as gpd
import pytest
import shapely

import redline
from redline.crs import ellipsoidal_areas_m2
from tests.common import lonlat_rectangle_area_m2, memory_layers
from tests.conftest import synthetic_layers

FIRST, SECOND, QUASI = (117.20, 39.20, 117.22, 39.22), (117.22, 39.20, 117.24, 39.22), (117.24, 39.20, 117.26, 39.22)
CONSTRAINT = {
    "clause": "饮用水水源一级保护区内禁止新建、改建、扩建与供水设施和保护水源无关的建设项目",
    "status": {"first": "violation", "second": "review", "quasi": "info"},
    "buffer_m": 200, "buffer_status": "review", "exemptions": {"national_major": "review"},
    "reason_zh": "占用{title}{area_ha:.2f}公顷（占项目{share:.1%}）：{classes}；涉及{names}",
    "reason_en": "Occupies {area_ha:.2f} ha of {title} ({share:.1%} of the project): {classes}; {names}",
}


def water_layers(constraint=CONSTRAINT):
    entries = memory_layers(synthetic_layers())
    zones = gpd.GeoDataFrame({"name": ["于桥水库", "于桥水库", "于桥水库"], "level": ["一级保护区", "二级保护区", "准保护区"]},
                             geometry=[shapely.box(*FIRST), shapely.box(*SECOND), shapely.box(*QUASI)], crs="EPSG:4490")
    entries["water"] = {"data": zones, "kind": "polygon", "rule": "area", "title_zh": "饮用水水源保护区",
                        "title_en": "Drinking-water source protection zones", "name_field": "name",
                        "class_field": "level", "classes": {"first": "一级保护区", "second": "二级保护区", "quasi": "准保护区"},
                        "constraint": constraint, "vintage": "2024"}
    return redline.load_layers(entries)


@pytest.fixture(scope="module")
def water():
    return water_layers()


def finding(report):
    return next(f for f in report.findings if f.rule == "water")


def test_a_class_with_status_violation_is_a_violation_with_the_hand_computed_area(water):
    project = shapely.box(117.21, 39.20, 117.23, 39.22)  # half in the first zone, half in the second
    found = finding(redline.check(project, water, crs=4490))
    half = lonlat_rectangle_area_m2(117.21, 39.20, 117.22, 39.22)
    assert found.status is redline.Status.VIOLATION
    assert found.measures["first_area_m2"] == pytest.approx(half, rel=1e-9)
    assert found.measures["second_area_m2"] == pytest.approx(half, rel=1e-9)
    assert found.measures["share"] == pytest.approx(1.0, rel=1e-9)
    assert found.reason_zh == (f"占用饮用水水源保护区{2 * half / 10_000:.2f}公顷（占项目100.0%）："
                               f"一级保护区 {half / 10_000:,.2f}公顷、二级保护区 {half / 10_000:,.2f}公顷；涉及于桥水库")
    assert [hit.role for hit in found.features] == ["first", "second"]


def test_an_exemption_lowers_a_violation_and_says_so(water):
    found = finding(redline.check(shapely.box(117.205, 39.205, 117.21, 39.21), water, crs=4490, national_major=True))
    assert found.status is redline.Status.REVIEW and "national_major declared" in found.exemption


def test_info_classes_are_reported_and_decide_nothing(water):
    report = redline.check(shapely.box(117.245, 39.205, 117.25, 39.21), water, crs=4490)
    found = finding(report)
    assert found.status is redline.Status.CLEAR and found.measures["quasi_area_m2"] > 0
    assert "准保护区" in found.reason_zh


def test_the_buffer_has_its_own_status(water):
    metres_per_degree_lon = 111_320 * 0.7748  # cos(39.2°)
    near = 150 / metres_per_degree_lon        # 150 m west of the first zone: inside the 200 m buffer
    far = 300 / metres_per_degree_lon
    close = finding(redline.check(shapely.box(117.19 - near, 39.205, 117.20 - near, 39.21), water, crs=4490))
    assert close.status is redline.Status.REVIEW and close.measures["area_m2"] == 0 and close.measures["buffer_area_m2"] > 0
    away = finding(redline.check(shapely.box(117.19 - far, 39.205, 117.20 - far, 39.21), water, crs=4490))
    assert away.status is redline.Status.CLEAR and away.measures["buffer_area_m2"] == 0


@pytest.mark.parametrize(("change", "message"), [
    ({"status": {"first": "violation", "second": "review"}}, "class 'quasi' has no status"),
    ({"status": {"first": "forbidden", "second": "review", "quasi": "info"}}, "status 'forbidden' of 'first' is not one of"),
    ({"reason_en": "Occupies {area_acres} acres"}, "reason_en 'Occupies {area_acres} acres' cannot be filled"),
    ({"clause": ""}, "clause .* is missing"),
    ({"exemptions": {"friendship": "review"}}, "exemption 'friendship' is not a declaration"),
    ({"buffer_m": -5}, "buffer_m -5 is not a positive number"),
    ({"buffer": 200}, "unknown key 'buffer'"),
])
def test_a_constraint_that_cannot_be_applied_is_refused_when_loaded(change, message):
    with pytest.raises(redline.ManifestError, match=f"layer 'water': its constraint .*{message}"):
        water_layers({**CONSTRAINT, **change})


def test_a_declared_constraint_gets_its_batch_columns(water):
    from redline.report.tables import layout, table_row
    columns = layout(water.rules)
    assert columns.header[-2:] == ("water_status", "water_area_m2")
    project = shapely.box(117.205, 39.205, 117.21, 39.21)
    report = redline.check(project, water, crs=4490)
    row = table_row("a", report, columns)
    values = dict(zip(columns.header, row))
    assert values["water_status"] == "violation"
    assert values["water_area_m2"] == pytest.approx(float(ellipsoidal_areas_m2([project])[0]), abs=0.001)


def test_a_tabulation_gives_gross_deduction_and_net_by_class_and_decides_nothing():
    entries = memory_layers(synthetic_layers())
    land = gpd.GeoDataFrame({"dlmc": ["水田", "旱地", "住宅用地"]}, crs="EPSG:4490",
                            geometry=[shapely.box(117.05, 39.30, 117.06, 39.31), shapely.box(117.06, 39.30, 117.07, 39.31),
                                      shapely.box(117.07, 39.30, 117.08, 39.31)])
    entries["land_use"] = {"data": land, "kind": "polygon", "rule": "tabulate", "title_zh": "三调地类", "title_en": "Land use",
                           "class_field": "dlmc", "classes": {"0101": "水田", "0103": "旱地", "07": "住宅用地"},
                           "constraint": {"deduction": {"0101": 0.05, "0103": 0.1}}}
    layers = redline.load_layers(entries)
    project = shapely.box(117.055, 39.30, 117.075, 39.31)
    report = redline.check(project, layers, crs=4490)
    found = next(f for f in report.findings if f.rule == "land_use")
    half = lonlat_rectangle_area_m2(117.055, 39.30, 117.06, 39.31)
    whole = lonlat_rectangle_area_m2(117.06, 39.30, 117.07, 39.31)
    assert found.status is redline.Status.CLEAR
    assert found.measures["0101_area_m2"] == pytest.approx(half, rel=1e-9)
    assert found.measures["0103_deduction_m2"] == pytest.approx(0.1 * whole, rel=1e-9)
    assert found.measures["07_net_m2"] == pytest.approx(half, rel=1e-9)
    assert found.measures["net_m2"] == pytest.approx(2 * half + whole - 0.05 * half - 0.1 * whole, rel=1e-9)
    assert "旱地(0103)" in found.reason_zh and "扣除" in found.reason_zh
    with pytest.raises(redline.ManifestError, match="deduction 1.5 of '0103' is not a share"):
        redline.load_layers({**entries, "land_use": {**entries["land_use"], "constraint": {"deduction": {"0103": 1.5}}}})


def test_map_popups_name_a_declared_class_by_its_title(water):
    """Regression: popups of a declared constraint showed the role key ('second') where documents say 二级保护区."""
    from redline.report.html import map_html
    from tests.common import map_shapes

    report = redline.check(shapely.box(117.21, 39.20, 117.23, 39.22), water, crs=4490)
    popups = [shape["popup"] for shape in map_shapes(map_html(report, water.nearby(report.footprint), lang="zh",
                                                              rules=water.rules)) if "popup" in shape]
    water_popups = [popup for popup in popups if "饮用水水源保护区" in popup]
    assert len(water_popups) == 2
    assert any("· 一级保护区" in popup for popup in water_popups) and any("· 二级保护区" in popup for popup in water_popups)
    assert not any("· second" in popup or "· first" in popup for popup in water_popups)
