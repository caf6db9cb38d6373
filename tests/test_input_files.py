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
from redline.errors import CRSError, FormatError, GeometryError, InputError, LimitError, RedlineWarning
from redline.io import ensure_in_region, read_project

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
    assert read_project(INPUTS / "good" / "bubiao_gbk.txt").parcels == 2
    assert read_project(INPUTS / "good" / "bubiao_utf8.txt").source_crs.to_epsg() == 4527
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
    "self_intersection.geojson": (GeometryError, r"feature 0 \(name=蝴蝶形地块\) is invalid \(Self-intersection.*--repair", {}),
    "nan.csv": (GeometryError, "line 3: coordinates are NaN", {"crs": "EPSG:4490"}),
    "not_a_number.csv": (GeometryError, "line 3: x='117.2O'", {"crs": "EPSG:4490"}),
    "two_points.csv": (GeometryError, "parcel A has a ring of 2 distinct points", {"crs": "EPSG:4490"}),
    "no_prj.shp": (CRSError, "has no CRS.*zone 39 with zone prefix: pass --crs EPSG:4527", {}),
    "missing_parts.shp": (FormatError, "cannot be read as ESRI Shapefile .*missing_parts.shx", {}),
    "zip_slip.zip": (InputError, "climbs out of the archive's folder", {}),
    "zip_bomb.zip": (InputError, "zip bomb", {}),
    "too_many_members.zip": (LimitError, "250 members is over the 200-member limit", {}),
    "billion_laughs.kml": (InputError, "declares a DTD or XML entities", {}),
    "external_entity.kml": (InputError, "declares a DTD or XML entities", {}),
    "txt_no_datum.txt": (CRSError, "no 坐标系.*the datum cannot be determined", {}),
    "txt_no_zone.txt": (CRSError, "no 带号 and no zone prefix", {}),
    "txt_bad_row.txt": (GeometryError, r"line \d+: 'J9,1,四百万,39500000' is not a coordinate row", {}),
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
    with pytest.raises(GeometryError, match="outside_region.geojson: the boundary .* lies outside the region"):
        ensure_in_region(project, TIANJIN_BOUNDS)


def test_there_are_at_least_twenty_bad_files():
    assert len(BAD) + 1 >= 20
    assert all((INPUTS / "bad" / name).exists() for name in BAD)
