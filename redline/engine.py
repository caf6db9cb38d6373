"""Overlay engine: measure what a project footprint shares with each protected layer (no rules, no paths).

Inputs are lon/lat (CGCS2000) geometries with the vertices they were drawn with (``redline.crs``).
Candidates come from the layer's STRtree; pieces the footprint fully contains are taken whole, as is a
footprint inside one piece; the rest are intersected exactly in lon/lat, on the vertices as drawn (so
edges shared with a layer stay exactly shared, and GEOS works on the fewest vertices). Each shared
piece is then measured: areas exactly on the ellipsoid (``ellipsoidal_areas_m2``), lengths along
geodesics. Amounts below ``AREA_TOLERANCE_M2`` / ``LENGTH_TOLERANCE_M`` are numerical slivers and
count as zero.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import shapely

from redline.crs import GEOD, METRES_PER_DEGREE, EqualArea, ellipsoidal_areas_m2, geodesic_lengths_m, lon_scaled
from redline.layers import Pieces, RasterLayer, VectorLayer
from redline.model import AREA_TOLERANCE_M2, LENGTH_TOLERANCE_M, FeatureHit


@dataclass(frozen=True)
class Overlap:
    """What a project shares with one layer.

    ``by_role`` maps each class role ("" for a layer without classes) to m² (polygons) or m (lines);
    ``layer_by_role`` holds the same for the whole layer; ``pieces`` maps role to the shared geometry
    (lon/lat); ``features`` lists each feature hit with its own amount.
    """

    layer: str
    unit: str
    by_role: dict[str, float]
    layer_by_role: dict[str, float]
    shared: tuple = field(repr=False)
    """(geometries, roles) of the shared pieces; ``pieces`` dissolves them per role when asked."""
    features: tuple[FeatureHit, ...]
    near_by_role: dict[str, float] | None = None
    """Lines only: m per role inside the footprint grown by the setback."""

    @cached_property
    def pieces(self) -> dict[str, object]:
        """The shared geometry (lon/lat) per role, for maps and GeoJSON (dissolved on first use only); for a line
        layer, what lies within the setback (``near_by_role``), where its pieces come from."""
        geometries, roles = self.shared
        amounts = self.near_by_role if self.unit == "m" and self.near_by_role is not None else self.by_role
        return {role: shapely.union_all(geometries[roles == role]) for role in amounts if amounts[role] > 0}

    @property
    def total(self) -> float:
        """Amount shared with the whole layer (m² or m)."""
        return sum(self.by_role.values())

    @property
    def layer_total(self) -> float:
        """Amount of the whole layer (m² or m)."""
        return sum(self.layer_by_role.values())


def overlay_polygons(footprints, layer: VectorLayer, *, areas_m2=None) -> list[Overlap]:
    """Area each footprint shares with a polygon layer, per class and per feature (one Overlap per footprint).

    ``areas_m2``: the footprints' own areas when already measured (``ellipsoidal_areas_m2``), else a
    footprint inside a piece is measured here.
    """
    footprints = _prepared(footprints)
    own = _cut(footprints, layer.feature_pieces, ellipsoidal_areas_m2, AREA_TOLERANCE_M2, areas_m2)
    shared = _by_class(footprints, layer, own, ellipsoidal_areas_m2, AREA_TOLERANCE_M2, areas_m2)
    return _overlaps(layer, "m2", len(footprints), shared, own)


def features_touched(footprints, layer: VectorLayer) -> list[list[str]]:
    """Names of the features each footprint's interior meets (no measuring; e.g. the districts).

    Candidates by bounding box; then the layer's prepared pieces answer (a footprint inside a piece, the
    common case, costs one indexed point-in-polygon walk, not a noding of both outlines).
    """
    footprints = np.asarray(footprints, dtype=object)
    zone_index, piece_index = layer.feature_pieces.tree.query(footprints)
    pieces, zones = layer.feature_pieces.geometries[piece_index], footprints[zone_index]
    meets = shapely.contains(pieces, zones)
    rest = np.flatnonzero(~meets)
    rest = rest[shapely.intersects(pieces[rest], zones[rest])]
    meets[rest] = ~shapely.touches(pieces[rest], zones[rest])
    names = [[] for _ in footprints]
    for zone, row in sorted(set(zip(zone_index[meets].tolist(), layer.feature_pieces.owner[piece_index[meets]].tolist()))):
        names[zone].append(str(layer.names[row]))
    return names


def overlay_lines(footprints, layer: VectorLayer, *, setback_zones) -> list[Overlap]:
    """Length of a line layer (geodesic m) inside each footprint, and inside its setback zone (footprint + setback).

    Pieces and features hit are those within the setback zone.
    """
    footprints, setback_zones = _prepared(footprints), _prepared(setback_zones)
    count = len(footprints)
    inside = _role_sums(layer, _cut(footprints, layer.class_pieces, geodesic_lengths_m, LENGTH_TOLERANCE_M), count)
    own = _cut(setback_zones, layer.feature_pieces, geodesic_lengths_m, LENGTH_TOLERANCE_M)
    near = _by_class(setback_zones, layer, own, geodesic_lengths_m, LENGTH_TOLERANCE_M)
    return [Overlap(overlap.layer, "m", by_role, layer.totals, overlap.shared, overlap.features, overlap.by_role)
            for overlap, by_role in zip(_overlaps(layer, "m", count, near, own), inside)]


def setback_zones(footprints, layer: VectorLayer, equal_area: EqualArea, setback_m: float) -> np.ndarray:
    """Each footprint grown by ``setback_m`` metres where a piece of ``layer`` could lie that close; else itself.

    The prefilter is conservative: a degree distance of setback_m / (111,320 m · cos of the layers'
    northmost latitude) is at least the metric distance in any direction.
    """
    footprints = np.asarray(footprints, dtype=object)
    north = np.radians(abs(equal_area.bounds[3]))
    near = np.unique(layer.feature_pieces.tree.query(footprints, predicate="dwithin",
                                                     distance=setback_m / (METRES_PER_DEGREE * np.cos(north)))[0])
    zones = footprints.copy()
    if len(near) and setback_m > 0:
        zones[near] = equal_area.buffer(footprints[near], setback_m)
    return zones


METRES_PER_DEGREE_LATITUDE = 110_574.0
"""The least length of a degree of latitude (at the equator, GRS80): a radius in metres over it is at least as many
degrees."""
LOCAL_MARGIN = 1.05
"""How much wider than a distance in a piece's local metric a bound of ``nearest_features`` is taken (the search
radius of its prefilter, the upper bound of ``_nearest_parts``): well over the metric's error (under 1 %), so no
feature within the radius, and no nearer piece, is dropped."""
CUT_SLACK = 1e-9
"""Degrees (about 0.1 mm) added to ``_nearest_parts``' bound, so that points at exactly the bound lie inside a cut's
box rather than on its edge."""


@dataclass(frozen=True)
class Nearest:
    """The feature of a layer nearest a footprint that shares nothing with it: its name, the geodesic distance
    (m) and the line between the two nearest points (lon/lat)."""

    layer: str
    name: str
    distance_m: float
    line: object


def nearest_features(footprints, layer: VectorLayer, radius_m: float, equal_area: EqualArea) -> list[Nearest | None]:
    """For each footprint, the nearest feature of ``layer`` within ``radius_m`` metres, or None.

    Candidates come from one bulk STRtree query of each footprint's box grown by the conservative degree radius of
    ``setback_zones``, kept when within the radius in each piece's local metric (``Pieces.local``: longitude
    scaled by the cosine of the piece's mid-latitude; prepared, so GEOS answers from an index of its edges;
    ``LOCAL_MARGIN`` wider than the radius). Near points are found in that metric (good to well under 1 % over a
    few km), on the pieces that can be the nearest, each pair cut to what can hold its nearest points
    (``_nearest_parts``: the nearest is the same, GEOS compares far fewer edges); the distance reported is the
    geodesic length (GRS80) between those two points, so it is a true distance, at most the rounding above the
    minimum. Searched for ``NEAREST_BLOCK`` footprints at a time.
    """
    footprints = np.asarray(footprints, dtype=object)
    return [found for first in range(0, len(footprints), NEAREST_BLOCK)
            for found in _nearest_block(footprints[first:first + NEAREST_BLOCK], layer, radius_m, equal_area)]


NEAREST_BLOCK = 1024
"""Footprints ``nearest_features`` searches for at once: the arrays of their vertices and candidate pairs stay in the
processor's caches (on the dense benchmark's 80,261 untouched applications, one call in one block took 1.4× as long as
calls on 256 at a time: ``python -m benchmarks.bench_batch 100000 --dense``, figures in benchmarks/README.md)."""


def _nearest_block(footprints: np.ndarray, layer: VectorLayer, radius_m: float, equal_area: EqualArea) -> list[Nearest | None]:
    found: list[Nearest | None] = [None] * len(footprints)
    north = np.radians(abs(equal_area.bounds[3]))
    degrees = radius_m / (METRES_PER_DEGREE * np.cos(north))
    zone, piece = layer.feature_pieces.tree.query(shapely.box(*(shapely.bounds(footprints) + [-degrees, -degrees,
                                                                                            degrees, degrees]).T))
    factors, scaled = layer.feature_pieces.local
    factor, footprint = factors[piece], lon_scaled(footprints[zone], factors[piece])
    reach = radius_m * LOCAL_MARGIN / METRES_PER_DEGREE_LATITUDE
    close = shapely.dwithin(scaled[piece], footprint, reach)
    zone, piece, factor, footprint = zone[close], piece[close], factor[close], footprint[close]
    if not len(zone):
        return found
    footprint, near, kept = _nearest_parts(zone, footprint, scaled[piece], reach, len(footprints))
    zone, piece, factor = zone[kept], piece[kept], factor[kept]
    lines = shapely.shortest_line(footprint, near)
    ends = shapely.get_coordinates(lines).reshape(-1, 2, 2)
    ends[:, :, 0] /= factor[:, None]
    _, _, distances = GEOD.inv(ends[:, 0, 0], ends[:, 0, 1], ends[:, 1, 0], ends[:, 1, 1])
    order = np.lexsort((distances, zone))
    firsts = order[np.r_[True, zone[order][1:] != zone[order][:-1]]]
    for row in firsts[distances[firsts] <= radius_m]:
        owner = layer.feature_pieces.owner[piece[row]]
        found[zone[row]] = Nearest(layer.spec.id, str(layer.names[owner]), float(distances[row]),
                                   shapely.LineString(ends[row]))
    return found


def _nearest_parts(zone: np.ndarray, footprint: np.ndarray, piece: np.ndarray, reach: float,
                   count: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The (zone, piece) pairs that can hold their zone's nearest piece, each footprint and piece cut to what can hold
    the nearest points: (cut footprints, cut pieces, which pairs, in order).

    An upper bound of each zone's distance comes cheaply: each pair's piece measured from the one footprint vertex
    nearest the piece's box, the least over the zone's pairs, ``LOCAL_MARGIN`` wider (pairs are measured in their own
    piece's metric) and never over ``reach``. A pair whose boxes lie farther apart than that bound cannot hold the
    nearest and is dropped; of the others, the piece is cut to the footprint's box grown by the bound and the
    footprint to the piece's box grown by it. The nearest points lie within the bound of the other geometry, so
    both cuts keep them, and the edges a cut adds lie farther than the bound, so they are never the nearest; GEOS
    then compares only the edges that can matter.
    """
    ours, theirs = shapely.bounds(footprint), shapely.bounds(piece)
    vertices, owner = shapely.get_coordinates(footprint, return_index=True)
    away = _box_gaps(np.hstack([vertices, vertices]), theirs[owner])  # a vertex is a box of no size
    starts = np.searchsorted(owner, np.arange(len(footprint)))  # the vertices come pair by pair
    nearest = np.flatnonzero(away == np.minimum.reduceat(away, starts)[owner])
    nearest_vertex = nearest[np.r_[True, owner[nearest][1:] != owner[nearest][:-1]]]  # one per pair, in pair order
    upper = np.full(count, np.inf)
    np.minimum.at(upper, zone, shapely.distance(shapely.points(vertices[nearest_vertex]), piece))
    bound = np.minimum(upper[zone] * LOCAL_MARGIN, reach) + CUT_SLACK
    kept = np.flatnonzero(_box_gaps(ours, theirs) <= bound)
    grow = bound[kept, None] * np.array([-1, -1, 1, 1])
    near = _clipped(piece[kept], ours[kept] + grow)
    cut = _clipped(footprint[kept], theirs[kept] + grow)
    whole = ~(shapely.is_empty(near) | shapely.is_empty(cut))
    return cut[whole], near[whole], kept[whole]


def _box_gaps(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """The distance between each pair of boxes (rows of ``shapely.bounds``), 0 where they meet."""
    return np.hypot(np.maximum(0, np.maximum(second[:, 0] - first[:, 2], first[:, 0] - second[:, 2])),
                    np.maximum(0, np.maximum(second[:, 1] - first[:, 3], first[:, 1] - second[:, 3])))


def _clipped(shapes: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """Each shape cut to its own box (GEOS rectangle clipping)."""
    return np.array([shapely.clip_by_rect(shape, *box) for shape, box in zip(shapes, boxes.tolist())], dtype=object)


def _prepared(geometries) -> np.ndarray:
    geometries = np.asarray(geometries, dtype=object)
    shapely.prepare(geometries)
    return geometries


def _cut(zones, pieces: Pieces, measure, tolerance, zone_amounts=None):
    """All (zone, piece) pairs that share something: zone index, piece index, shared geometry, amount.

    One bulk STRtree query for every zone, then ``_intersections``; a zone inside a piece shares its own
    amount (``zone_amounts`` when given), the rest is measured; pairs whose amount is at most ``tolerance``
    are dropped.
    """
    zone_index, piece_index, cut, inside = _intersections(pieces, zones, *pieces.tree.query(zones, predicate="intersects"))
    amounts = _measured(cut, inside, zone_amounts[zone_index] if zone_amounts is not None else None, measure)
    keep = amounts > tolerance
    return zone_index[keep], piece_index[keep], cut[keep], amounts[keep], pieces.role[piece_index[keep]]


def _by_class(zones, layer: VectorLayer, own, measure, tolerance, zone_amounts=None):
    """The ``_cut`` of the layer's class pieces, given ``own``, the ``_cut`` of its feature pieces.

    Where features never overlap, or a zone shares something with one feature only, that is ``own``
    (its piece indices then point at feature pieces); only the zones meeting several features of an
    overlapping layer are cut again, by the class pieces.
    """
    if layer.disjoint:
        return own
    zone_index, piece_index = own[0], own[1]
    features = len(layer.names)
    pairs = np.unique(zone_index * features + layer.feature_pieces.owner[piece_index]) // features
    several = np.flatnonzero(np.bincount(pairs, minlength=len(zones)) > 1)
    if not len(several):
        return own
    again = _cut(zones[several], layer.class_pieces, measure, tolerance,
                 zone_amounts[several] if zone_amounts is not None else None)
    alone = ~np.isin(zone_index, several)
    return (np.concatenate([zone_index[alone], several[again[0]]]),
            *(np.concatenate([part[alone], cut]) for part, cut in zip(own[1:], again[1:])))


def _intersections(pieces: Pieces, zones: np.ndarray, zone_index, piece_index):
    """Intersections of the (zone, piece) pairs of prepared geometries: (zone index, piece index, shared
    geometry, whether the zone lies inside its piece), one row per pair or per part of a pair.

    A piece inside its zone, or a zone inside its piece, is the answer as it is; the pairs whose
    boundaries cross are intersected in one vectorised call, except that where no two pieces touch
    (``Pieces.apart``) a zone crossing several is intersected once with all of them together (its edges
    noded once, not once per piece), each part of the result going to the piece holding it.
    """
    shapes, areas = pieces.geometries[piece_index], zones[zone_index]
    result = shapes.copy()
    inside = shapely.contains(shapes, areas)
    result[inside] = areas[inside]
    crossing = ~inside & ~shapely.contains(areas, shapes)
    together = crossing & (np.bincount(zone_index[crossing], minlength=len(zones)) > 1)[zone_index] & pieces.apart
    alone = crossing & ~together
    result[alone] = shapely.intersection(shapes[alone], areas[alone])
    if not together.any():
        return zone_index, piece_index, result, inside
    groups, group_of = np.unique(zone_index[together], return_inverse=True)
    order = np.argsort(group_of, kind="stable")
    grouped = shapely.multipolygons(shapes[together][order], indices=group_of[order])
    parts, part_group = shapely.get_parts(shapely.intersection(zones[groups], grouped), return_index=True)
    part_row, holder = pieces.tree.query(shapely.point_on_surface(parts), predicate="intersects")
    rest = ~together
    return (np.concatenate([zone_index[rest], groups[part_group[part_row]]]), np.concatenate([piece_index[rest], holder]),
            np.concatenate([result[rest], parts[part_row]]), np.concatenate([inside[rest], np.zeros(len(part_row), bool)]))


def _measured(cut: np.ndarray, inside: np.ndarray, zone_amounts, measure) -> np.ndarray:
    """``measure`` of each cut geometry, taking a whole zone's known amount where there is one."""
    if zone_amounts is None or not len(cut):
        return measure(cut) if len(cut) else np.zeros(0)
    amounts = np.array(zone_amounts, dtype=float)
    amounts[~inside] = measure(cut[~inside]) if (~inside).any() else 0.0
    return amounts


def _overlaps(layer: VectorLayer, unit: str, count: int, shared, own) -> list[Overlap]:
    """One Overlap per zone from the ``_cut`` of the layer's class (``shared``) and feature (``own``) pieces."""
    return [Overlap(layer.spec.id, unit, by_role, layer.totals, pieces, hits) for by_role, pieces, hits
            in zip(_role_sums(layer, shared, count), _shared_by_zone(shared, count), _feature_hits(layer, unit, own, count))]


def _role_sums(layer: VectorLayer, cut, count: int) -> list[dict[str, float]]:
    """Per zone: the amount per class role (every role of the layer, zero when untouched)."""
    zone_index, _, _, amounts, roles = cut
    names = list(layer.totals)
    sums = np.zeros((count, len(names)))
    code = {name: number for number, name in enumerate(names)}
    np.add.at(sums, (zone_index, np.fromiter((code[role] for role in roles), dtype=int, count=len(roles))), amounts)
    return [dict(zip(names, row)) for row in sums.tolist()]


def _shared_by_zone(cut, count: int) -> list[tuple]:
    """Per zone: the (geometries, roles) it shares, for ``Overlap.pieces``."""
    zone_index, _, geometries, _, roles = cut
    order = np.argsort(zone_index, kind="stable")
    bounds = np.searchsorted(zone_index[order], np.arange(count + 1))
    empty = (geometries[:0], roles[:0])
    return [(geometries[order[a:b]], roles[order[a:b]]) if b > a else empty for a, b in zip(bounds[:-1], bounds[1:])]


def _feature_hits(layer: VectorLayer, unit: str, own, count: int) -> list[tuple[FeatureHit, ...]]:
    """Per zone: each feature it shares something with and that amount, largest first."""
    zone_index, piece_index, _, amounts, _ = own
    hits: list[tuple[FeatureHit, ...]] = [()] * count
    if not len(zone_index):
        return hits
    features = len(layer.names)
    keys, position = np.unique(zone_index * features + layer.feature_pieces.owner[piece_index], return_inverse=True)
    grouped: dict[int, list[FeatureHit]] = {}
    key = "area_m2" if unit == "m2" else "length_m"
    for zone, row, amount in zip(*(part.tolist() for part in np.divmod(keys, features)), np.bincount(position, amounts).tolist()):
        role = layer.roles[row] or None
        grouped.setdefault(zone, []).append(FeatureHit(layer.spec.id, str(layer.names[row]), _class_value(layer, role),
                                                       role=role, **{key: amount}))
    for zone, found in grouped.items():
        hits[zone] = tuple(sorted(found, key=lambda hit: -getattr(hit, key)))
    return hits


def _class_value(layer: VectorLayer, role: str | None) -> str | None:
    return layer.spec.classes.get(role) if role else None


def overlay_raster(footprints, layer: RasterLayer, *, areas_m2=None) -> list[dict[int, float]]:
    """Area in m² of each raster class inside each footprint; partial pixels count by their covered share.

    ``areas_m2``: the footprints' own areas when already measured (``ellipsoidal_areas_m2``).
    The pixels under a footprint's bounds come from the grid's affine transform; a footprint within one
    pixel counts whole, otherwise it is clipped to each pixel's rectangle (GEOS rectangle clipping, exact
    for the rectangle) and each part is measured.
    """
    footprints = np.asarray(footprints, dtype=object)
    height, width = layer.classes.shape
    zones, cells, parts, whole = [], [], [], []
    west, south, east, north = shapely.bounds(footprints).T
    (left, top), (right, bottom) = ~layer.transform @ (west, north), ~layer.transform @ (east, south)
    first_rows, end_rows = np.floor(np.minimum(top, bottom)), np.ceil(np.maximum(top, bottom))
    first_cols, end_cols = np.floor(left), np.ceil(right)
    within_one = (end_rows - first_rows <= 1) & (end_cols - first_cols <= 1)  # and so inside the grid, if on it
    first_rows, end_rows = np.clip(first_rows, 0, height).astype(int), np.clip(end_rows, 0, height).astype(int)
    first_cols, end_cols = np.clip(first_cols, 0, width).astype(int), np.clip(end_cols, 0, width).astype(int)
    for zone in range(len(footprints)):
        for row in range(first_rows[zone], end_rows[zone]):
            for col in range(first_cols[zone], end_cols[zone]):
                zones.append(zone)
                cells.append(row * width + col)
                if within_one[zone]:
                    parts.append(footprints[zone])
                    whole.append(True)
                else:
                    parts.append(shapely.clip_by_rect(footprints[zone], *layer.pixel_bounds[row * width + col]))
                    whole.append(False)
    zones, cells, whole = np.array(zones, dtype=int), np.array(cells, dtype=int), np.array(whole, dtype=bool)
    areas = _measured(np.array(parts, dtype=object), whole, areas_m2[zones] if areas_m2 is not None else None,
                      ellipsoidal_areas_m2)
    values = layer.classes.ravel().astype(int)[cells]
    keep = (values != (layer.nodata if layer.nodata is not None else -1)) & (areas > AREA_TOLERANCE_M2)
    results: list[dict[int, float]] = [{} for _ in footprints]
    for zone, value, area in zip(zones[keep].tolist(), values[keep].tolist(), areas[keep].tolist()):
        results[zone][value] = results[zone].get(value, 0.0) + area
    return results
