"""read_project: good files in several formats and CRSs, and bad files refused with a clear message."""

import zipfile

import geopandas as gpd
import pytest
import shapely

from redline.errors import CRSError, GeometryError, InputError, LimitError, RedlineWarning
from redline.footprint import ensure_in_region
from redline.io import read_project
from tests.common import lonlat_rectangle_area_m2, write_project

BOX = (117.10, 39.01, 117.12, 39.03)
TIANJIN_BOUNDS = (116.70, 38.55, 118.25, 40.25)


def area_m2(project):
    from redline.crs import ellipsoidal_areas_m2
    return float(ellipsoidal_areas_m2([project.geometry])[0])


@pytest.mark.parametrize("suffix, crs", [(".geojson", "EPSG:4490"), (".gpkg", "EPSG:4490"), (".gpkg", "EPSG:4527"),
                                         (".gpkg", "EPSG:4548"), (".gpkg", "EPSG:4326")])
def test_good_files_read_to_the_same_area(tmp_path, suffix, crs):
    path = write_project(tmp_path / f"p{suffix}", shapely.box(*BOX), crs=crs)
    project = read_project(path)
    assert project.source_crs.to_epsg() == int(crs.split(":")[1])
    # Reprojected boxes are straight in their own CRS: the area differs from the degree box by < 1e-5.
    assert area_m2(project) == pytest.approx(lonlat_rectangle_area_m2(*BOX), rel=1e-5)


def test_shapefile_zip_and_gbk_attributes(tmp_path):
    frame = gpd.GeoDataFrame([{"name": "天津项目"}], geometry=[shapely.box(*BOX)], crs="EPSG:4490")
    frame.to_file(tmp_path / "p.shp", encoding="GBK")
    (tmp_path / "p.cpg").unlink(missing_ok=True)
    project = read_project(tmp_path / "p.shp", encoding="GBK")
    assert project.name == "天津项目"
    with zipfile.ZipFile(tmp_path / "p.zip", "w") as archive:
        for part in ("shp", "shx", "dbf", "prj"):
            archive.write(tmp_path / f"p.{part}", f"p.{part}")
    assert area_m2(read_project(tmp_path / "p.zip", encoding="GBK")) == pytest.approx(lonlat_rectangle_area_m2(*BOX), rel=1e-6)


def test_z_coordinates_are_dropped(tmp_path):
    polygon = shapely.Polygon([(x, y, 3.0) for x, y in shapely.box(*BOX).exterior.coords])
    project = read_project(write_project(tmp_path / "z.geojson", polygon))
    assert not shapely.has_z(project.geometry)


def write_without_crs(frame, path):
    frame.to_file(path)
    path.with_suffix(".prj").unlink()


def test_no_crs_suggests_gauss_kruger_zone_39(tmp_path):
    frame = gpd.GeoDataFrame(geometry=[shapely.box(*BOX)], crs="EPSG:4490").to_crs("EPSG:4527")
    write_without_crs(frame, tmp_path / "p.shp")
    with pytest.raises(CRSError, match=r"p\.shp: .*has no CRS.*zone 39 with zone prefix: pass crs=EPSG:4527"):
        read_project(tmp_path / "p.shp")
    assert read_project(tmp_path / "p.shp", crs="EPSG:4527").source_crs.to_epsg() == 4527


def test_no_crs_without_prefix_suggests_central_meridian(tmp_path):
    frame = gpd.GeoDataFrame(geometry=[shapely.box(*BOX)], crs="EPSG:4490").to_crs("EPSG:4548")
    write_without_crs(frame, tmp_path / "p.shp")
    with pytest.raises(CRSError, match="EPSG:4548"):
        read_project(tmp_path / "p.shp")


def test_projected_coordinates_labelled_as_degrees(tmp_path):
    frame = gpd.GeoDataFrame(geometry=[shapely.box(*BOX)], crs="EPSG:4490").to_crs("EPSG:4527")
    frame.set_crs("EPSG:4490", allow_override=True).to_file(tmp_path / "p.gpkg")
    with pytest.raises(CRSError, match="coordinates are in metres.*EPSG:4527"):
        read_project(tmp_path / "p.gpkg")


@pytest.mark.parametrize("geometry, message", [
    (shapely.LineString([(117.1, 39.0), (117.2, 39.1)]), "is a LineString; a project boundary must be a polygon"),
    (shapely.Point(117.1, 39.0), "is a Point"),
    (shapely.Polygon([(117.1, 39.0), (117.2, 39.1), (117.2, 39.0), (117.1, 39.1)]), r"is invalid \(Self-intersection"),
])
def test_wrong_or_invalid_geometry(tmp_path, geometry, message):
    path = tmp_path / "bad.geojson"
    gpd.GeoDataFrame([{"name": "bowtie"}], geometry=[geometry], crs="EPSG:4490").to_file(path)
    with pytest.raises(GeometryError, match=message) as error:
        read_project(path)
    assert "bad.geojson" in str(error.value) and "name=bowtie" in str(error.value)


def test_repair_fixes_a_bowtie_and_reports_it(tmp_path):
    """A digitising twist: the last corner drawn just past the first edge makes a small crossed lobe."""
    path = tmp_path / "bowtie.geojson"
    twisted = shapely.Polygon([(117.1, 39.0), (117.2, 39.0), (117.2, 39.1), (117.1, 39.1), (117.1005, 38.999)])
    gpd.GeoDataFrame(geometry=[twisted], crs="EPSG:4490").to_file(path)
    with pytest.warns(RedlineWarning, match="repaired"):
        project = read_project(path, repair=True)
    assert project.geometry.is_valid and project.repairs


def test_a_repair_that_would_redraw_the_parcel_is_refused(tmp_path):
    """Two lobes of a figure eight cancel in the ring's area: making them valid invents land; both areas are named."""
    path = tmp_path / "bowtie.geojson"
    bowtie = shapely.Polygon([(117.1, 39.0), (117.2, 39.1), (117.2, 39.0), (117.1, 39.1)])
    gpd.GeoDataFrame(geometry=[bowtie], crs="EPSG:4490").to_file(path)
    with pytest.raises(GeometryError, match=r"would change its planar area from 0 to 0\.005 CRS units², more than 1%"):
        read_project(path, repair=True)


@pytest.mark.parametrize("content, error, message", [
    (b"", InputError, "the file is empty"),
    (b"this is not a map", InputError, "the content is not GeoJSON"),
    (b'{"type": "FeatureCollection", "features": []}', GeometryError, "no features"),
])
def test_unreadable_files(tmp_path, content, error, message):
    path = tmp_path / "bad.geojson"
    path.write_bytes(content)
    with pytest.raises(error, match=message):
        read_project(path)


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        read_project(tmp_path / "nowhere.geojson")


def test_oversized_inputs_are_refused(tmp_path):
    path = write_project(tmp_path / "p.geojson", shapely.box(*BOX).segmentize(0.0001))
    with pytest.raises(LimitError, match="byte limit"):
        read_project(path, max_bytes=100)
    with pytest.raises(LimitError, match="vertex limit"):
        read_project(path, max_vertices=100)


def test_outside_region_and_swapped_axes(tmp_path):
    far = read_project(write_project(tmp_path / "far.geojson", shapely.box(100.0, 30.0, 100.1, 30.1)))
    with pytest.raises(GeometryError, match="outside the region the layers cover"):
        ensure_in_region(far, TIANJIN_BOUNDS)
    with pytest.raises(GeometryError, match=r"swapped.geojson: .*latitude and longitude look swapped"):
        read_project(write_project(tmp_path / "swapped.geojson", shapely.box(39.01, 117.10, 39.03, 117.12)))


def test_gcj02_offset_over_tianjin_and_its_inversion():
    import numpy as np
    from pyproj import Geod

    from redline.io.webmaps import bd09_to_gcj02, gcj02_to_wgs84, wgs84_to_gcj02

    lon, lat = np.meshgrid(np.linspace(116.7, 118.1, 30), np.linspace(38.55, 40.25, 30))
    geod = Geod(ellps="WGS84")
    shifted = wgs84_to_gcj02(lon, lat)
    offset = geod.inv(lon, lat, *shifted)[2]
    assert 500 < offset.min() and offset.max() < 600  # 506–594 m measured for cnmaps' data (DATA-SOURCES.md)
    back = gcj02_to_wgs84(*shifted)
    assert geod.inv(lon, lat, *back)[2].max() < 1e-6
    gcj = bd09_to_gcj02(lon + 0.0065, lat + 0.006)
    assert np.all(np.isfinite(gcj[0])) and np.abs(gcj[0] - lon).max() < 0.02
