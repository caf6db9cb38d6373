"""Properties (hypothesis): intrusion ≤ project area; results unchanged by reprojection or reordering."""

import geopandas as gpd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from redline.model import Options
from redline.pipeline import check

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# Boxes around the 七里海 red line, the 大神堂 coast and the port: places where several layers meet.
centres = st.sampled_from([(117.56, 39.28), (117.98, 39.20), (117.83, 39.03), (117.40, 38.75), (117.20, 39.10)])
boxes = st.builds(
    lambda centre, dx, dy, w, h: shapely.box(centre[0] + dx, centre[1] + dy, centre[0] + dx + w, centre[1] + dy + h),
    centres, st.floats(-0.05, 0.05), st.floats(-0.05, 0.05), st.floats(0.001, 0.04), st.floats(0.001, 0.04))


def areas(result):
    """Every figure of every finding, keyed rule.measure."""
    return {f"{f.rule}.{name}": value for f in result.findings for name, value in f.measures.items()}


@SETTINGS
@given(box=boxes)
def test_intrusion_never_exceeds_the_project(tmp_path_factory, tianjin, box):
    path = tmp_path_factory.mktemp("p") / "p.geojson"
    gpd.GeoDataFrame(geometry=[box], crs=4490).to_file(path)
    result = check(path, tianjin)
    project_area = result.project["area_m2"]
    for finding in result.findings:
        if "area_m2" in finding.measures:
            assert finding.measures["area_m2"] <= project_area * (1 + 1e-9)
        if "share" in finding.measures:
            assert 0 <= finding.measures["share"] <= 1 + 1e-9


@SETTINGS
@given(box=boxes, epsg=st.sampled_from([4527, 4326]))
def test_reprojected_input_gives_the_same_figures(tmp_path_factory, tianjin, box, epsg):
    folder = tmp_path_factory.mktemp("p")
    dense = shapely.segmentize(box, 20 / 111_320)  # same edges in every CRS once densified to ≤ 20 m
    gpd.GeoDataFrame(geometry=[dense], crs=4490).to_file(folder / "a.gpkg")
    gpd.GeoDataFrame(geometry=[dense], crs=4490).to_crs(epsg).to_file(folder / "b.gpkg")
    first, second = areas(check(folder / "a.gpkg", tianjin)), areas(check(folder / "b.gpkg", tianjin))
    assert first.keys() == second.keys()
    for name, value in first.items():
        assert second[name] == pytest.approx(value, rel=1e-6, abs=0.05), name


@SETTINGS
@given(first=boxes, second=boxes)
def test_parcel_order_does_not_matter(tmp_path_factory, tianjin, first, second):
    folder = tmp_path_factory.mktemp("p")
    gpd.GeoDataFrame(geometry=[first, second], crs=4490).to_file(folder / "a.gpkg")
    gpd.GeoDataFrame(geometry=[second, first], crs=4490).to_file(folder / "b.gpkg")
    options = Options(national_major=True)
    one, two = check(folder / "a.gpkg", tianjin, options=options), check(folder / "b.gpkg", tianjin, options=options)
    assert one.verdict == two.verdict
    for rule, value in areas(one).items():
        assert areas(two)[rule] == pytest.approx(value, rel=1e-9, abs=1e-6), rule
