"""Hand-computed overlay cases on synthetic layers, every rule with and without its exemptions."""

import numpy as np
import pytest
import shapely
from pyproj import Geod

from redline.model import Options, Status, Verdict
from redline.pipeline import check
from tests.common import lonlat_rectangle_area_m2, write_project


def run(tmp_path, synthetic, geometry, **options):
    path = write_project(tmp_path / "project.geojson", geometry)
    return check(path, synthetic, options=Options(**options))


def finding(result, rule):
    return next(f for f in result.findings if f.rule == rule)


def test_rectangle_area_matches_the_ellipsoid_formula(tmp_path, synthetic):
    box = (117.05, 39.30, 117.07, 39.32)
    result = run(tmp_path, synthetic, shapely.box(*box))
    expected = lonlat_rectangle_area_m2(*box)
    assert result.project["area_m2"] == pytest.approx(expected, rel=1e-6)


def test_rectangle_area_matches_pyproj_geod_on_densified_edges(tmp_path, synthetic):
    box = shapely.box(117.05, 39.30, 117.09, 39.33)
    dense = shapely.segmentize(box, 0.0001)
    geod_area = abs(Geod(ellps="GRS80").geometry_area_perimeter(shapely.orient_polygons(dense))[0])
    result = run(tmp_path, synthetic, box)
    assert result.project["area_m2"] == pytest.approx(geod_area, rel=1e-6)


def test_half_inside_the_red_line_has_share_one_half(tmp_path, synthetic):
    result = run(tmp_path, synthetic, shapely.box(117.31, 39.10, 117.33, 39.12))
    red = finding(result, "redline")
    assert red.status is Status.VIOLATION
    assert red.measures["share"] == pytest.approx(0.5, rel=1e-9)
    assert red.measures["area_m2"] == pytest.approx(lonlat_rectangle_area_m2(117.31, 39.10, 117.32, 39.12), rel=1e-6)
    assert [hit.name for hit in red.features] == ["square"]


def test_hole_is_not_counted(tmp_path, synthetic):
    outer, hole = (117.30, 39.10, 117.32, 39.12), (117.305, 39.105, 117.315, 39.115)
    holed = shapely.Polygon(shapely.box(*outer).exterior.coords, [shapely.box(*hole).exterior.coords[::-1]])
    result = run(tmp_path, synthetic, holed)
    expected = lonlat_rectangle_area_m2(*outer) - lonlat_rectangle_area_m2(*hole)
    assert result.project["area_m2"] == pytest.approx(expected, rel=1e-6)
    assert finding(result, "redline").measures["area_m2"] == pytest.approx(expected, rel=1e-6)


def test_multipolygon_parts_add_up(tmp_path, synthetic):
    first, second = (117.30, 39.10, 117.305, 39.105), (117.33, 39.10, 117.335, 39.105)
    result = run(tmp_path, synthetic, shapely.MultiPolygon([shapely.box(*first), shapely.box(*second)]))
    assert result.project["area_m2"] == pytest.approx(
        lonlat_rectangle_area_m2(*first) + lonlat_rectangle_area_m2(*second), rel=1e-6)
    assert finding(result, "redline").measures["area_m2"] == pytest.approx(lonlat_rectangle_area_m2(*first), rel=1e-6)


def test_edge_touch_is_no_intrusion(tmp_path, synthetic):
    result = run(tmp_path, synthetic, shapely.box(117.32, 39.10, 117.33, 39.12))
    red = finding(result, "redline")
    assert red.status is Status.CLEAR
    assert red.measures["area_m2"] == 0
    assert red.features == ()


def test_overlapping_features_are_not_counted_twice(tmp_path):
    from redline.layers import load_layers
    from tests.common import make_manifest
    from tests.conftest import synthetic_layers

    layers = synthetic_layers()
    layers["ecological_redline"] = [{"name": "a", "geometry": shapely.box(117.30, 39.10, 117.32, 39.12)},
                                    {"name": "b", "geometry": shapely.box(117.31, 39.10, 117.33, 39.12)}]
    overlapping = load_layers(make_manifest(tmp_path / "layers", layers))
    result = run(tmp_path, overlapping, shapely.box(117.29, 39.09, 117.34, 39.13))
    red = finding(result, "redline")
    assert red.measures["area_m2"] == pytest.approx(lonlat_rectangle_area_m2(117.30, 39.10, 117.33, 39.12), rel=1e-6)
    assert {hit.name: round(hit.area_m2) for hit in red.features} == {
        "a": round(lonlat_rectangle_area_m2(117.30, 39.10, 117.32, 39.12)),
        "b": round(lonlat_rectangle_area_m2(117.31, 39.10, 117.33, 39.12))}


def test_overlapping_features_checked_together_count_once_per_footprint(tmp_path):
    """Footprints meeting both, one or none of two overlapping features, in one call: lon/lat rectangles."""
    from redline.engine import overlay_polygons
    from redline.layers import load_layers
    from tests.common import make_manifest
    from tests.conftest import synthetic_layers

    layers = synthetic_layers()
    layers["ecological_redline"] = [{"name": "a", "geometry": shapely.box(117.30, 39.10, 117.32, 39.12)},
                                    {"name": "b", "geometry": shapely.box(117.31, 39.10, 117.33, 39.12)}]
    overlapping = load_layers(make_manifest(tmp_path / "layers", layers))
    boxes = [(117.29, 39.09, 117.34, 39.13), (117.301, 39.101, 117.305, 39.105), (117.325, 39.11, 117.335, 39.13),
             (117.315, 39.105, 117.316, 39.106), (117.40, 39.10, 117.41, 39.11)]
    shared = [(117.30, 39.10, 117.33, 39.12), (117.301, 39.101, 117.305, 39.105), (117.325, 39.11, 117.33, 39.12),
              (117.315, 39.105, 117.316, 39.106), None]
    overlaps = overlay_polygons([shapely.box(*b) for b in boxes], overlapping.layers["ecological_redline"])
    for overlap, expected in zip(overlaps, shared):
        assert overlap.total == pytest.approx(lonlat_rectangle_area_m2(*expected) if expected else 0.0, rel=1e-6)
    assert [sorted(hit.name for hit in overlap.features) for overlap in overlaps] == [["a", "b"], ["a"], ["b"], ["a", "b"], []]


def test_fields_apart_crossed_together_get_each_their_share(tmp_path, synthetic):
    """Fields with tracks between them (pieces apart): a footprint crossing several is intersected once."""
    from redline.engine import overlay_polygons
    from redline.layers import load_layers
    from tests.common import make_manifest
    from tests.conftest import synthetic_layers

    layers = synthetic_layers()
    fields = {"west": (117.400, 39.10, 117.410, 39.12), "middle": (117.411, 39.10, 117.420, 39.12),
              "east": (117.421, 39.10, 117.430, 39.12)}
    layers["farmland"] = [{"name": name, "class": "永久基本农田" if name != "east" else "一般耕地", "geometry": shapely.box(*box)}
                          for name, box in fields.items()]
    farmland = load_layers(make_manifest(tmp_path / "layers", layers)).layers["farmland"]
    assert farmland.feature_pieces.apart and not synthetic.layers["farmland"].feature_pieces.apart
    footprints = [(117.405, 39.11, 117.425, 39.13), (117.409, 39.119, 117.4115, 39.121), (117.402, 39.102, 117.403, 39.103)]
    overlaps = overlay_polygons([shapely.box(*box) for box in footprints], farmland)
    expected = [{"west": (117.405, 39.11, 117.410, 39.12), "middle": (117.411, 39.11, 117.420, 39.12),
                 "east": (117.421, 39.11, 117.425, 39.12)},
                {"west": (117.409, 39.119, 117.410, 39.12), "middle": (117.411, 39.119, 117.4115, 39.12)},
                {"west": (117.402, 39.102, 117.403, 39.103)}]
    for overlap, shares in zip(overlaps, expected):
        areas = {name: lonlat_rectangle_area_m2(*box) for name, box in shares.items()}
        assert {hit.name: hit.area_m2 for hit in overlap.features} == pytest.approx(areas, rel=1e-9)
        assert overlap.by_role["permanent"] == pytest.approx(sum(a for n, a in areas.items() if n != "east"), rel=1e-9)
        assert overlap.by_role["other"] == pytest.approx(areas.get("east", 0.0), rel=1e-9)


@pytest.mark.parametrize("options, status, exemption", [
    ({}, Status.VIOLATION, None),
    ({"national_major": True}, Status.REVIEW, "national major"),
    ({"activity": 1}, Status.REVIEW, "allowed activity 1"),
])
def test_red_line_exemptions(tmp_path, synthetic, options, status, exemption):
    red = finding(run(tmp_path, synthetic, shapely.box(117.305, 39.105, 117.31, 39.11), **options), "redline")
    assert red.status is status
    assert (red.exemption is None) if exemption is None else (exemption in red.exemption)


@pytest.mark.parametrize("box, options, status", [
    ((117.405, 39.105, 117.41, 39.11), {}, Status.VIOLATION),
    ((117.405, 39.105, 117.41, 39.11), {"national_major": True}, Status.REVIEW),
    ((117.425, 39.105, 117.43, 39.11), {}, Status.REVIEW),
    ((117.425, 39.105, 117.43, 39.11), {"national_major": True}, Status.REVIEW),
    ((117.05, 39.30, 117.06, 39.31), {}, Status.CLEAR),
])
def test_farmland_classes(tmp_path, synthetic, box, options, status):
    farm = finding(run(tmp_path, synthetic, shapely.box(*box), **options), "farmland")
    assert farm.status is status
    assert set(farm.measures) == {"area_m2", "share", "permanent_area_m2", "other_area_m2", "layer_area_m2"}


def test_farmland_permanent_area(tmp_path, synthetic):
    box = (117.405, 39.105, 117.41, 39.11)
    farm = finding(run(tmp_path, synthetic, shapely.box(*box)), "farmland")
    assert farm.measures["permanent_area_m2"] == pytest.approx(lonlat_rectangle_area_m2(*box), rel=1e-6)
    assert farm.measures["other_area_m2"] == 0


def test_natural_coast_in_footprint_is_a_violation_even_for_national_major(tmp_path, synthetic):
    coast = finding(run(tmp_path, synthetic, shapely.box(117.49, 39.01, 117.51, 39.02), national_major=True),
                    "coastline")
    assert coast.status is Status.VIOLATION
    expected = Geod(ellps="GRS80").line_length([117.5, 117.5], [39.01, 39.02])
    assert coast.measures["natural_in_footprint_length_m"] == pytest.approx(expected, rel=1e-6)
    assert coast.measures["city_natural_before_m"] == pytest.approx(
        Geod(ellps="GRS80").line_length([117.5, 117.5], [39.0, 39.05]), rel=1e-6)
    assert coast.measures["city_natural_after_m"] < coast.measures["city_natural_before_m"]


def test_natural_coast_within_setback_counts_as_taken(tmp_path, synthetic):
    # 0.001° of longitude at 39° N is about 86.6 m: inside a 200 m setback, outside a 50 m one.
    box = shapely.box(117.48, 39.01, 117.499, 39.02)
    near = finding(run(tmp_path, synthetic, box), "coastline")
    far = finding(run(tmp_path, synthetic, box, setback_m=50), "coastline")
    assert near.status is Status.VIOLATION and near.measures["natural_in_footprint_length_m"] == 0
    assert near.measures["natural_within_setback_length_m"] > 1000
    assert far.status is Status.CLEAR


def test_artificial_coast_is_not_counted(tmp_path, synthetic):
    coast = finding(run(tmp_path, synthetic, shapely.box(117.49, 39.07, 117.51, 39.08)), "coastline")
    assert coast.status is Status.CLEAR


@pytest.mark.parametrize("options, status", [({}, Status.VIOLATION), ({"national_major": True}, Status.REVIEW)])
def test_reclamation(tmp_path, synthetic, options, status):
    box = (117.52, 39.12, 117.53, 39.13)
    sea = finding(run(tmp_path, synthetic, shapely.box(*box), **options), "reclamation")
    assert sea.status is status
    assert sea.measures["area_m2"] == pytest.approx(lonlat_rectangle_area_m2(*box), rel=1e-6)


def test_urban_boundary_inside_clear_outside_review(tmp_path, synthetic):
    inside = finding(run(tmp_path, synthetic, shapely.box(117.12, 39.01, 117.13, 39.02)), "urban_boundary")
    straddling = finding(run(tmp_path, synthetic, shapely.box(117.19, 39.01, 117.21, 39.02)), "urban_boundary")
    assert inside.status is Status.CLEAR
    assert straddling.status is Status.REVIEW
    assert straddling.measures["outside_share"] == pytest.approx(0.5, rel=1e-9)


def test_river_zone_needs_review(tmp_path, synthetic):
    river = finding(run(tmp_path, synthetic, shapely.box(117.2, 39.205, 117.21, 39.215)), "river_lake")
    assert river.status is Status.REVIEW
    expected = lonlat_rectangle_area_m2(117.2, 39.205, 117.21, 39.21) / lonlat_rectangle_area_m2(117.2, 39.205, 117.21, 39.215)
    assert river.measures["share"] == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize("box, options, status", [
    ((117.305, 39.255, 117.31, 39.26), {}, Status.VIOLATION),
    ((117.305, 39.255, 117.31, 39.26), {"national_major": True}, Status.REVIEW),
    ((117.325, 39.255, 117.33, 39.26), {}, Status.REVIEW),
])
def test_reserve_zones(tmp_path, synthetic, box, options, status):
    reserve = finding(run(tmp_path, synthetic, shapely.box(*box), **options), "nature_reserves")
    assert reserve.status is status
    assert reserve.features[0].name == "reserve"


def test_priority_unit_needs_review_and_general_is_clear(tmp_path, synthetic):
    priority = finding(run(tmp_path, synthetic, shapely.box(117.305, 39.105, 117.31, 39.11)), "zoning")
    general = finding(run(tmp_path, synthetic, shapely.box(117.05, 39.30, 117.06, 39.31)), "zoning")
    assert priority.status is Status.REVIEW
    assert general.status is Status.CLEAR
    assert general.measures["general_share"] == pytest.approx(1.0, rel=1e-9)


def test_clean_project_passes(tmp_path, synthetic):
    result = run(tmp_path, synthetic, shapely.box(117.12, 39.01, 117.13, 39.02))
    assert result.verdict is Verdict.PASS
    assert all(f.status is Status.CLEAR for f in result.findings)


def test_missing_layer_is_not_checked_never_silent(tmp_path):
    from redline.layers import load_layers
    from tests.common import make_manifest
    from tests.conftest import synthetic_layers

    layers = synthetic_layers()
    del layers["farmland"]
    partial = load_layers(make_manifest(tmp_path / "layers", layers))
    result = run(tmp_path, partial, shapely.box(117.12, 39.01, 117.13, 39.02))
    farm = finding(result, "farmland")
    assert farm.status is Status.NOT_CHECKED
    assert "no layer for rule 'farmland'" in farm.reason_en
    assert result.verdict is Verdict.REVIEW


def test_unreadable_layer_file_is_not_checked(tmp_path):
    from redline.layers import load_layers
    from tests.common import make_manifest
    from tests.conftest import synthetic_layers

    manifest = make_manifest(tmp_path / "layers", synthetic_layers())
    (tmp_path / "layers" / "river_lake.gpkg").unlink()
    result = run(tmp_path, load_layers(manifest), shapely.box(117.12, 39.01, 117.13, 39.02))
    river = finding(result, "river_lake")
    assert river.status is Status.NOT_CHECKED
    assert "river_lake.gpkg" in river.reason_en and "does not exist" in river.reason_en


def test_changed_layer_file_is_refused(tmp_path):
    from redline.errors import ManifestError
    from redline.manifest import read_manifest
    from tests.common import make_manifest
    from tests.conftest import synthetic_layers

    manifest = make_manifest(tmp_path / "layers", synthetic_layers())
    with open(tmp_path / "layers" / "sea.gpkg", "ab") as stream:
        stream.write(b"\0")
    with pytest.raises(ManifestError, match=r"sea\.gpkg: 图层 sea .* the file of layer 'sea' changed"):
        read_manifest(manifest)


def test_prepared_layers_come_back_from_the_cache_unchanged(tmp_path, monkeypatch):
    from redline.layers import load_layers
    from tests.common import make_manifest
    from tests.conftest import synthetic_layers

    monkeypatch.setenv("REDLINE_CACHE_DIR", str(tmp_path / "cache"))
    layers = synthetic_layers()
    layers["ecological_redline"] = [{"name": "a", "geometry": shapely.box(117.30, 39.10, 117.32, 39.12)},
                                    {"name": "b", "geometry": shapely.box(117.31, 39.10, 117.33, 39.12)}]
    synthetic_manifest = make_manifest(tmp_path / "layers", layers)
    fresh = load_layers(synthetic_manifest)
    cached_files = sorted((tmp_path / "cache").glob("*.parquet"))
    assert len(cached_files) == len(fresh.layers)
    cached = load_layers(synthetic_manifest)
    for layer_id, layer in fresh.layers.items():
        again = cached.layers[layer_id]
        assert again.totals == pytest.approx(layer.totals, rel=1e-12)
        assert again.disjoint == layer.disjoint
        for pieces in ("class_pieces", "feature_pieces"):
            assert shapely.equals_exact(getattr(again, pieces).geometries, getattr(layer, pieces).geometries, 0).all()
            assert (getattr(again, pieces).role == getattr(layer, pieces).role).all()
        # a layer whose features never overlap is held once: its per-feature pieces are its dissolved pieces
        assert (again.class_pieces is again.feature_pieces) == (layer.class_pieces is layer.feature_pieces) == layer.disjoint
    assert {layer.disjoint for layer in fresh.layers.values()} == {True, False}
    cached_files[0].write_bytes(b"corrupt")
    rebuilt = load_layers(synthetic_manifest)
    for layer_id, layer in fresh.layers.items():
        assert rebuilt.layers[layer_id].totals == pytest.approx(layer.totals, rel=1e-12)


def test_landcover_areas_add_up_to_the_project(tianjin, tmp_path):
    box = shapely.box(117.073, 39.261, 117.128, 39.289)  # not aligned to the 0.05° grid: partial pixels
    result = check(write_project(tmp_path / "p.geojson", box), tianjin)
    landcover = result.context["landcover_m2"]
    assert len(landcover) >= 2
    assert sum(landcover.values()) == pytest.approx(result.project["area_m2"], rel=1e-6)


def test_landcover_counts_only_what_lies_on_the_grid(tianjin):
    """A footprint across the grid's west edge, within one pixel's width: only the half on the grid counts."""
    from redline import engine

    grid = tianjin.layers["landcover"]
    west, south = grid.pixel_bounds[:, 0].min(), grid.pixel_bounds[:, 1].min()
    across = np.array([shapely.box(west - 0.01, south + 1.01, west + 0.01, south + 1.03)])
    areas = engine.overlay_raster(across, grid)[0]
    assert sum(areas.values()) == pytest.approx(lonlat_rectangle_area_m2(west, south + 1.01, west + 0.01, south + 1.03),
                                                rel=1e-6)


def test_an_absent_constraint_reports_its_nearest_feature_geodesically(synthetic):
    """A project 0.01° east of the red-line square: the nearest parcel and its geodesic distance (pyproj.Geod)."""
    import redline
    from redline.crs import GEOD

    east = shapely.box(117.33, 39.105, 117.34, 39.115)
    red = next(f for f in redline.check(east, synthetic, crs=4490).findings if f.rule == "redline")
    _, _, expected = GEOD.inv(117.32, 39.11, 117.33, 39.11)
    assert red.status is Status.CLEAR and red.nearest["name"] == "square"
    assert red.nearest["distance_m"] == pytest.approx(expected, rel=2e-4)  # the parallels of the band differ by 1e-4
    assert f"Nearest: square, {expected:,.0f} m away." in red.reason_en
    assert f"最近：square，相距 {expected:,.0f} 米。" in red.reason_zh
    far = next(f for f in redline.check(east, synthetic, crs=4490, options=Options(search_m=500)).findings
               if f.rule == "redline")
    assert far.nearest == {"search_radius_m": 500} and far.reason_en.endswith("None within 500 m.")
    urban = next(f for f in redline.check(east, synthetic, crs=4490).findings if f.rule == "urban_boundary")
    assert urban.nearest is None  # inside is what the urban boundary asks: no proximity


def test_touching_is_nearest_at_zero_metres(synthetic):
    import redline

    touching = shapely.box(117.32, 39.105, 117.33, 39.115)
    red = next(f for f in redline.check(touching, synthetic, crs=4490).findings if f.rule == "redline")
    assert red.status is Status.CLEAR and red.nearest["distance_m"] == pytest.approx(0.0, abs=1e-6)


def test_the_nearest_feature_is_found_when_another_s_box_lies_nearer():
    """A thin diagonal strip whose box nearly touches the project lies ~2 km away; a square whose box is farther
    lies 167 m away: the square is the nearest (the strip's box must not bound the search)."""
    from redline import engine, load_layers
    from redline.crs import GEOD
    from tests.common import memory_layers
    from tests.conftest import synthetic_layers

    strip = shapely.LineString([(117.3105, 39.135), (117.36, 39.1105)]).buffer(0.0002)
    square = shapely.box(117.30, 39.09, 117.31, 39.0985)
    layers = load_layers(memory_layers({**synthetic_layers(), "ecological_redline": [
        {"name": "strip", "geometry": strip}, {"name": "square", "geometry": square}]}))
    project = shapely.box(117.30, 39.10, 117.31, 39.11)
    nearest = engine.nearest_features([project], layers.layers["ecological_redline"], 5000.0, layers.equal_area)[0]
    _, _, expected = GEOD.inv(117.305, 39.10, 117.305, 39.0985)
    assert nearest.name == "square" and nearest.distance_m == pytest.approx(expected, rel=1e-6)
    assert engine.nearest_features([shapely.box(117.33, 39.13, 117.331, 39.131)], layers.layers["ecological_redline"],
                                   5000.0, layers.equal_area)[0].name == "strip"


def test_nearest_features_match_an_azimuthal_equidistant_projection(tianjin):
    """The nearest red-line feature of 400 synthetic applications (``engine.nearest_features``: per-piece local
    metric, pieces cut to each footprint's box) against the whole features measured in a pyproj azimuthal
    equidistant projection centred on each footprint: the same distance within 0.5 % + 1 m, and none missed."""
    from pyproj import CRS, Transformer

    from benchmarks.applications import make_applications
    from redline import engine

    layer = tianjin.layers["ecological_redline"]
    footprints = make_applications(400, seed=11).geometry.values
    found = engine.nearest_features(footprints, layer, 2000.0, tianjin.equal_area)
    features = layer.frame.geometry.values
    assert sum(f is not None for f in found) >= 40
    for footprint, nearest in zip(footprints, found):
        centre = footprint.centroid
        aeqd = CRS.from_proj4(f"+proj=aeqd +lat_0={centre.y} +lon_0={centre.x} +ellps=GRS80 +units=m")
        forward = Transformer.from_crs(4490, aeqd, always_xy=True)
        near = features[shapely.dwithin(features, footprint, 0.04)]  # 0.04° > 2 km at Tianjin's latitudes
        metres = shapely.distance(_projected(footprint, forward), _projected(near, forward)) if len(near) else np.array([np.inf])
        if nearest is None:
            assert metres.min() > 2000.0 * 0.995 - 1
        elif metres.min() > 0:  # touching or overlapping footprints are the overlay's, not nearest's
            assert nearest.distance_m == pytest.approx(metres.min(), rel=5e-3, abs=1.0)


@pytest.mark.parametrize("block", [1024, 7])
def test_cutting_the_nearest_pairs_changes_no_distance(tianjin, block, monkeypatch):
    """``nearest_features`` measures each (footprint, piece) pair cut to what can hold the nearest points
    (``engine._nearest_parts``); measuring every candidate pair whole instead, in the same local metric, with the
    same geodesic length of the ends, gives the same nearest feature and distance (to 1e-6 m) for 400 synthetic
    applications, searched for in one block or in blocks of 7 (``engine.NEAREST_BLOCK``)."""
    from benchmarks.applications import make_applications
    from redline import engine
    from redline.crs import GEOD, lon_scaled

    monkeypatch.setattr(engine, "NEAREST_BLOCK", block)
    layer = tianjin.layers["ecological_redline"]
    footprints = make_applications(400, seed=12).geometry.values
    found = engine.nearest_features(footprints, layer, 2000.0, tianjin.equal_area)
    assert len(found) == len(footprints)
    factors, scaled = layer.feature_pieces.local
    for footprint, nearest in zip(footprints, found):
        pieces = np.flatnonzero(shapely.dwithin(layer.feature_pieces.geometries, footprint, 0.04))
        lines = shapely.shortest_line(lon_scaled(np.full(len(pieces), footprint), factors[pieces]), scaled[pieces])
        ends = shapely.get_coordinates(lines).reshape(-1, 2, 2)
        ends[:, :, 0] /= factors[pieces, None]
        distances = GEOD.inv(ends[:, 0, 0], ends[:, 0, 1], ends[:, 1, 0], ends[:, 1, 1])[2] if len(pieces) else [np.inf]
        if nearest is None:
            assert np.min(distances) > 2000.0
        else:
            owner = layer.feature_pieces.owner[pieces[np.argmin(distances)]]
            assert nearest.distance_m == pytest.approx(np.min(distances), abs=1e-6)
            assert nearest.name == str(layer.names[owner])
    assert sum(f is not None for f in found) >= 40


def _projected(geometries, transformer):
    return shapely.transform(geometries, lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1])))


def test_natural_coast_within_the_setback_matches_sampled_distances(tianjin):
    """The coastal sample's natural coast within 200 m (the engine: the footprint grown by ``EqualArea.buffer``,
    cut with the coast's pieces) against the coast sampled every ≈ 0.1 m, each sample's distance to the footprint
    in a pyproj azimuthal equidistant projection centred on it, the geodesic lengths (pyproj.Geod) of the steps
    with both ends within 200 m summed: equal within 0.2 m."""
    from pyproj import CRS, Transformer

    from redline.crs import CGCS2000, GEOD, densify
    from tests.conftest import SAMPLES

    result = check(next(p for p in SAMPLES if p.stem == "12_coastal_setback"), tianjin)
    measured = next(f for f in result.findings if f.rule == "coastline").measures["natural_within_setback_length_m"]
    centre = result.footprint.centroid
    aeqd = CRS.from_proj4(f"+proj=aeqd +lat_0={centre.y} +lon_0={centre.x} +ellps=GRS80 +units=m")
    forward = Transformer.from_crs(4490, aeqd, always_xy=True)
    footprint = _projected(densify(result.footprint, CGCS2000), forward)
    coast = tianjin.layers["coastline"]
    expected = 0.0
    for line in coast.frame.geometry.values[(coast.roles == "natural") & shapely.dwithin(coast.frame.geometry.values,
                                                                                          result.footprint, 0.01)]:
        points = shapely.get_coordinates(shapely.segmentize(densify(line, CGCS2000), 1e-6))
        near = shapely.distance(footprint, shapely.points(np.column_stack(forward.transform(*points.T)))) <= 200.0
        _, _, steps = GEOD.inv(points[:-1, 0], points[:-1, 1], points[1:, 0], points[1:, 1])
        expected += steps[near[:-1] & near[1:]].sum()
    assert expected > 100
    assert measured == pytest.approx(expected, abs=0.2)
