"""Every fixture of tests/data/inputs: good files read to the expected area, bad files get a clear error.

The fixtures are written by tests/data/make_inputs.py; expected.json holds each good file's geometry as
WKT in the file's own CRS, measured here independently (segmentize in that CRS, pyproj, Geod).
"""

import json
import warnings
from pathlib import Path

import pytest
import shapely
from pyproj import CRS, Geod, Transformer

from redline.crs import ellipsoidal_areas_m2
from redline.errors import Correction, CRSError, FormatError, GeometryError, InputError, LimitError, RedlineWarning
from redline.footprint import ensure_in_region
from redline.io import read_project
from redline.io.txt import DATUM_SPELLINGS, datum_of

INPUTS = Path(__file__).resolve().parent / "data" / "inputs"
EXPECTED = json.loads((INPUTS / "expected.json").read_text(encoding="utf-8"))
TIANJIN_BOUNDS = (116.70, 38.55, 118.25, 40.25)
GEOD = Geod(ellps="GRS80")


def independent_area_m2(wkt: str, epsg: int) -> float:
    geometry = shapely.from_wkt(wkt)
    crs = CRS.from_epsg(epsg)
    dense = shapely.segmentize(geometry, 20 / 111_320 if crs.is_geographic else 20.0)
    to_lonlat = Transformer.from_crs(crs, 4490, always_xy=True)
    lonlat = shapely.transform(dense, lambda xy: __import__("numpy").column_stack(to_lonlat.transform(xy[:, 0], xy[:, 1])))
    return abs(GEOD.geometry_area_perimeter(shapely.orient_polygons(lonlat))[0])


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_good_file_reads_to_the_expected_area(name):
    entry = EXPECTED[name]
    options = {k: v for k, v in entry["options"].items() if k != "warns"}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        project = read_project(INPUTS / "good" / name, **options)
    messages = [str(w.message) for w in caught if issubclass(w.category, RedlineWarning)]
    for expected_warning in entry["options"].get("warns", []):
        assert any(expected_warning in m for m in messages), (expected_warning, messages)
    if not entry["options"].get("warns"):
        assert messages == []
    area = float(ellipsoidal_areas_m2([project.geometry])[0])
    assert area == pytest.approx(independent_area_m2(entry["wkt"], entry["epsg"]), rel=1e-6)
    ensure_in_region(project, TIANJIN_BOUNDS)


def test_good_files_cover_every_format():
    suffixes = {Path(name).suffix for name in EXPECTED}
    assert suffixes >= {".geojson", ".gpkg", ".parquet", ".shp", ".zip", ".kml", ".kmz", ".csv", ".dxf", ".txt"}
    assert len(EXPECTED) >= 15


def test_gbk_attributes_and_txt_parcels():
    assert read_project(INPUTS / "good" / "gbk.shp", encoding="GBK").name == "天津项目"
    with pytest.warns(Correction, match="read as GB18030"):
        assert read_project(INPUTS / "good" / "bubiao_gbk.txt").parcels == 2
    assert read_project(INPUTS / "good" / "bubiao_utf8.txt").source_crs.to_epsg() == 4527
    with pytest.warns(Correction, match="null shift, so positions may be tens of metres off"):
        assert read_project(INPUTS / "good" / "xian80_no_prefix.txt").source_crs.to_epsg() == 2384


def test_gcj02_conversion_is_recorded():
    project = read_project(INPUTS / "good" / "amap_gcj02.geojson", crs="gcj02")
    assert project.describe()["crs"].startswith("GCJ-02 → EPSG:4326")


BAD = {
    "empty.geojson": (InputError, "the file is empty", {}),
    "garbage.geojson": (FormatError, "the content is not GeoJSON although the name ends in .geojson", {}),
    "truncated.geojson": (FormatError, "not valid JSON", {}),
    "empty_collection.geojson": (GeometryError, "no features", {}),
    "line.geojson": (GeometryError, "is a LineString; a project boundary must be a polygon", {}),
    "point.geojson": (GeometryError, "is a Point", {}),
    "self_intersection.geojson": (GeometryError,
                                  r"feature 0 \(name=蝴蝶形地块\) .*is invalid \(Self-intersection.*repair=True", {}),
    "nan.csv": (GeometryError, "line 3: .*coordinates are NaN", {"crs": "EPSG:4490"}),
    "not_a_number.csv": (GeometryError, "line 3: .*x='117.2O'", {"crs": "EPSG:4490"}),
    "two_points.csv": (GeometryError, "parcel A has a ring of 2 distinct points", {"crs": "EPSG:4490", "degrees": "decimal"}),
    "no_prj.shp": (CRSError, "has no CRS.*zone 39 with zone prefix: pass crs=EPSG:4527", {}),
    "missing_parts.shp": (FormatError, "cannot be read as ESRI Shapefile .*missing_parts.shx", {}),
    "txt_crossing_rings.txt": (GeometryError, "parcel 1: ring 2 crosses or encloses ring 1", {}),
    "txt_wgs84.txt": (CRSError, "the datum cannot be determined from 坐标系='WGS84坐标系'", {}),
    "no_prefix_labelled_prefixed.csv": (CRSError, "the boundary falls outside China .*without zone prefix", {"crs": "EPSG:4527"}),
    "zip_slip.zip": (InputError, "climbs out of the archive's folder", {}),
    "zip_bomb.zip": (InputError, "zip bomb", {}),
    "too_many_members.zip": (LimitError, "250 members is over the 200-member limit", {}),
    "billion_laughs.kml": (InputError, "declares a DTD or XML entities", {}),
    "external_entity.kml": (InputError, "declares a DTD or XML entities", {}),
    "txt_no_datum.txt": (CRSError, "no 坐标系.*the datum cannot be determined", {}),
    "txt_no_zone.txt": (CRSError, "no 带号 and no zone prefix", {}),
    "txt_bad_row.txt": (GeometryError, r"line \d+: .*'J9,1,四百万,39500000' is not a coordinate row", {}),
    "txt_two_points.txt": (GeometryError, "ring 1 has 2 distinct points; a ring needs at least 3", {}),
    "txt_line_kind.txt": (GeometryError, "is a '线'; a project boundary must be a 面", {}),
    "swapped_lat_lon.geojson": (GeometryError, "latitude and longitude look swapped", {}),
    "open_polyline.dxf": (GeometryError, "no closed polyline or hatch in the drawing", {"crs": "EPSG:4548"}),
    "corrupt.gpkg": (FormatError, "not a readable GeoPackage", {}),
    "metres_labelled_degrees.gpkg": (CRSError, "coordinates are in metres.*EPSG:4527", {}),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_file_is_refused_clearly(name):
    error, message, options = BAD[name]
    path = INPUTS / "bad" / name
    with pytest.raises(error, match=message) as raised, warnings.catch_warnings():
        warnings.simplefilter("ignore", RedlineWarning)  # a bad file may warn before it is refused
        read_project(path, **options)
    assert name in str(raised.value)


def test_outside_region_is_refused():
    project = read_project(INPUTS / "bad" / "outside_region.geojson")
    with pytest.raises(GeometryError, match="outside_region.geojson: .*the boundary .* lies outside the region"):
        ensure_in_region(project, TIANJIN_BOUNDS)


def test_there_are_at_least_twenty_bad_files():
    assert len(BAD) + 1 >= 20
    assert all((INPUTS / "bad" / name).exists() for name in BAD)


def hectares(name: str) -> str:
    """The area of a good fixture's expected geometry, measured independently, as the refusal prints it."""
    return f"{independent_area_m2(EXPECTED[name]['wkt'], EXPECTED[name]['epsg']) / 10_000:,.2f}"


@pytest.mark.parametrize(("name", "options", "listing"), [
    ("two_layers.gpkg", {}, lambda: rf"polygons on 2 layers: other \(1 features, {hectares('bare_geometry.geojson')} ha\); "
                                    rf"project \(1 features, {hectares('two_layers.gpkg')} ha\)"),
    ("two_shapefiles.zip", {}, lambda: rf"polygons on 2 layers: utf8 \(1 features, {hectares('feature.geojson')} ha\); "
                                       rf"frame \(1 features, {hectares('bare_geometry.geojson')} ha\)"),
    ("cad.dxf", {"crs": "EPSG:4548"}, lambda: r"polygons on 2 layers: 图框 \(1 features, [\d.]+ ha planar, units taken as "
                                              r"metres\); 红线 \(1 features, 144\.0\d ha planar"),
])
def test_polygons_on_several_layers_are_never_guessed(name, options, listing):
    """The false passes of issue 13: the first layer (or every CAD layer) read as the project."""
    with pytest.raises(InputError, match=listing() + r".*layer=…; redline never guesses"):
        read_project(INPUTS / "good" / name, **options)


def test_a_wrong_layer_name_lists_the_layers():
    with pytest.raises(InputError, match="no layer 'red'; its layers: other, project"):
        read_project(INPUTS / "good" / "two_layers.gpkg", layer="red")


def test_txt_rings_are_holes_or_parts_by_containment():
    project = read_project(INPUTS / "good" / "txt_multipart.txt")
    parts = shapely.get_parts(project.source.geometries[0])
    assert project.parcels == 1 and len(parts) == 2
    assert [len(part.interiors) for part in parts] == [1, 0]


def test_baoshengbu_village_header_finds_fields_from_the_kind_token():
    project = read_project(INPUTS / "good" / "baoshengbu_village.txt")
    assert project.source.attributes["id"][0] == "D8-003"
    assert project.source.attributes["name"][0] == "测试地块1"


@pytest.mark.parametrize(("spelling", "datum"), sorted(DATUM_SPELLINGS.items()))
def test_every_datum_spelling_in_the_table(spelling, datum):
    assert datum_of(spelling, where="t") == datum
    assert datum_of(f" {spelling} ", where="t") == datum


@pytest.mark.parametrize(("spelling", "datum"), [("2000国家大地坐标系(CGCS2000)", "CGCS2000"), ("西安80坐标", "Xian 1980"),
                                                 ("北京54坐标系统", "Beijing 1954")])
def test_a_datum_spelled_otherwise_is_read_with_a_correction(spelling, datum):
    with pytest.warns(Correction, match=f"read as {datum}"):
        assert datum_of(spelling, where="t") == datum


@pytest.mark.parametrize("spelling", ["WGS84", "新54坐标系", "西安80转2000", "天津城建坐标系", "地方独立坐标系"])
def test_a_datum_that_is_not_known_or_ambiguous_is_refused(spelling):
    with pytest.raises(CRSError, match="the datum cannot be determined"):
        datum_of(spelling, where="t")


def test_shapefile_attributes_without_cpg_are_never_latin1():
    with pytest.warns(Correction, match="read as GBK"):
        assert read_project(INPUTS / "good" / "gbk_no_cpg.shp").name == "天津项目"
    with pytest.warns(Correction, match="read as UTF-8"):
        assert read_project(INPUTS / "good" / "utf8_no_cpg.shp").name == "天津项目"


def test_corrections_reach_the_project_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Correction)
        project = read_project(INPUTS / "good" / "messy.txt")
    codes = [w["code"] for w in project.describe()["warnings"]]
    assert codes == ["zone_from_prefix", "ring_closed", "count_mismatch"]
    assert all(w["zh"] and w["en"] and "messy.txt" in w["where"] for w in project.warnings)


def test_kml_placemarks_from_nested_folders_keep_their_names():
    project = read_project(INPUTS / "good" / "nested_folders.kml")
    assert list(project.source.attributes["name"]) == ["地块一", "地块二"] and project.parcels == 2


def test_geoparquet_is_checked_batch_by_batch_with_the_file_s_own_feature_numbers(tmp_path):
    from redline.io.parquet import BATCH, read_geoparquet
    from tests.data.make_hostile import geoparquet, nested_collection_wkb

    square = shapely.to_wkb(shapely.box(117.2, 39.1, 117.21, 39.11))
    path = tmp_path / "late.parquet"
    geoparquet(path, [square] * (BATCH + 7) + [nested_collection_wkb(40)])
    with pytest.raises(FormatError, match=f"feature {BATCH + 7} nests geometry collections"):
        read_geoparquet(path, max_features=10 ** 6, max_vertices=10 ** 9)
    geoparquet(path, [square] * (3 * BATCH))  # 93 bytes each: the first batch alone is within the bytes 1,000 allow
    with pytest.raises(LimitError, match="over the 1,000-vertex limit"):
        read_geoparquet(path, max_features=10 ** 6, max_vertices=1_000)
    frame = read_geoparquet(path, max_features=10 ** 6, max_vertices=10 ** 6)
    assert len(frame) == 3 * BATCH and shapely.equals(frame.geometry.values, shapely.from_wkb(square)).all()
