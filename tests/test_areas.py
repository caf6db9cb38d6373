"""``ellipsoidal_areas_m2`` against independent figures: the hand formula and pyproj.Geod on dense edges."""

import numpy as np
import pytest
import shapely
from pyproj import Geod

from benchmarks.applications import make_applications
from redline.crs import EqualArea, ellipsoidal_areas_m2
from tests.common import lonlat_rectangle_area_m2

GEOD = Geod(ellps="GRS80")


@pytest.mark.parametrize("box", [(117.05, 39.30, 117.07, 39.32), (117.3, 39.1, 117.3001, 39.1001), (116.0, 38.0, 118.0, 40.5)])
def test_rectangle_is_exact(box):
    """Exact to 1e-12, or to 1e-6 m² (both formulas subtract nearly equal terms for tiny boxes)."""
    assert ellipsoidal_areas_m2([shapely.box(*box)])[0] == pytest.approx(lonlat_rectangle_area_m2(*box), rel=1e-12, abs=1e-6)


def test_holes_parts_collections_orientation_and_non_polygons():
    outer, hole = (117.0, 39.0, 117.1, 39.1), (117.02, 39.02, 117.03, 39.03)
    with_hole = shapely.box(*outer).difference(shapely.box(*hole))
    parts = shapely.MultiPolygon([shapely.box(117.0, 39.0, 117.01, 39.01), shapely.box(117.02, 39.0, 117.03, 39.01)])
    mixed = shapely.GeometryCollection([with_hole, shapely.LineString([(117, 39), (117.1, 39.1)]), parts])
    reversed_ring = shapely.Polygon(shapely.box(*outer).exterior.coords[::-1])
    areas = ellipsoidal_areas_m2([with_hole, parts, mixed, reversed_ring, shapely.Point(117, 39), shapely.Polygon(), None])
    hole_area = lonlat_rectangle_area_m2(*outer) - lonlat_rectangle_area_m2(*hole)
    two = 2 * lonlat_rectangle_area_m2(117.0, 39.0, 117.01, 39.01)
    assert areas[:4] == pytest.approx([hole_area, two, hole_area + two, lonlat_rectangle_area_m2(*outer)], rel=1e-12)
    assert list(areas[4:]) == [0.0, 0.0, 0.0]
    assert ellipsoidal_areas_m2([shapely.Point(117, 39)]).dtype == float and len(ellipsoidal_areas_m2([])) == 0


def test_irregular_polygons_match_pyproj_geod_on_two_metre_edges():
    """Geodesic and lon/lat-straight edges coincide once 2 m long: Geod then measures the same shapes."""
    polygons = make_applications(40, seed=7).geometry.values
    dense = shapely.segmentize(polygons, 2 / 111_320)
    expected = [abs(GEOD.geometry_area_perimeter(shapely.orient_polygons(p))[0]) for p in dense]
    assert ellipsoidal_areas_m2(polygons) == pytest.approx(np.array(expected), rel=1e-7)


@pytest.mark.parametrize("distance_m", [5.0, 200.0, 1000.0])
def test_buffer_reaches_the_distance_on_the_ellipsoid(distance_m):
    """Every vertex of a metric buffer (``EqualArea.buffer``) of wiggly polygons lies
    ``distance_m`` from the polygon, measured along the geodesic (pyproj.Geod) to its nearest point: never farther
    than the projection's 1e-4 scale error, at most 1 % nearer (GEOS's arcs and dents); the polygon lies inside."""
    polygons = make_applications(12, seed=7).geometry.values
    equal_area = EqualArea((116.7, 38.5, 118.1, 40.3))
    zones = equal_area.buffer(polygons, distance_m)
    for polygon, zone in zip(polygons, zones):
        assert zone.contains(polygon)
        vertices = shapely.points(shapely.get_coordinates(zone.exterior))
        lines = equal_area.to_degrees(shapely.shortest_line(equal_area.to_metric(polygon), equal_area.to_metric(vertices)))
        ends = shapely.get_coordinates(lines)
        _, _, metres = GEOD.inv(ends[0::2, 0], ends[0::2, 1], ends[1::2, 0], ends[1::2, 1])
        assert metres.max() <= distance_m * (1 + 1e-4) + 0.01
        assert metres.min() >= distance_m * (1 - 0.01) - 0.01


def test_cached_transformers_give_what_a_fresh_one_gives_in_every_thread():
    """``to_cgcs2000`` keeps one transformer per CRS and thread (making one takes PROJ tens of ms): the same
    coordinates as a transformer made afresh, for a GK zone, Web Mercator and a CRS bound to 7 parameters."""
    from concurrent.futures import ThreadPoolExecutor

    from pyproj import CRS, Transformer

    from redline.crs import CGCS2000, WGS84, to_cgcs2000, warm_transformers

    bound = CRS.from_proj4("+proj=tmerc +lat_0=0 +lon_0=117 +k=1 +x_0=500000 +y_0=0 +ellps=krass "
                           "+towgs84=15.8,-154.4,-82.3,0,0,0,0 +units=m +no_defs")
    cases = [(CRS.from_epsg(4527), (39_500_000.0, 4_300_000.0)), (CRS.from_epsg(3857), (13_050_000.0, 4_740_000.0)),
             (bound, (500_000.0, 4_300_000.0))]
    warm_transformers([crs for crs, _ in cases])
    for crs, (x, y) in cases:
        fresh = Transformer.from_crs(crs, WGS84 if crs.is_bound else CGCS2000, always_xy=True).transform(x, y)
        in_threads = list(ThreadPoolExecutor(3).map(lambda _: to_cgcs2000([shapely.Point(x, y)], crs)[0].coords[0],
                                                    range(6)))
        assert all(point == pytest.approx(fresh, abs=1e-12) for point in in_threads)


def test_many_geometries_are_measured_in_blocks_as_each_alone(monkeypatch):
    """``AREA_BLOCK`` vertices at a time: blocks that end inside a run of geometries, a geometry larger than a block
    (first, in the middle, last), empties and multi-parts keep every area with its own geometry."""
    import redline.crs

    polygons = list(make_applications(60, seed=11).geometry.values)
    large = shapely.segmentize(shapely.box(117.0, 39.0, 117.2, 39.1), 0.0005)  # about 1,200 vertices
    parts = shapely.MultiPolygon([shapely.box(117.3, 39.0, 117.31, 39.01), shapely.box(117.32, 39.0, 117.33, 39.01)])
    geometries = [large, *polygons[:25], None, large, parts, shapely.Polygon(), *polygons[25:], large]
    alone = np.array([ellipsoidal_areas_m2([geometry])[0] for geometry in geometries])
    monkeypatch.setattr(redline.crs, "AREA_BLOCK", 300)
    blocks = ellipsoidal_areas_m2(geometries)
    assert len(blocks) == len(geometries) and blocks == pytest.approx(alone, rel=1e-12, abs=1e-6)
