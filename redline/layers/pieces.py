"""A layer's pieces: dissolved per class and per feature, cut to at most ``MAX_PIECE_VERTICES`` vertices (the PostGIS
``ST_Subdivide`` technique), indexed by STRtrees, and cached beside the user's other caches."""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import shapely
from pyproj import CRS

from redline.crs import DENSIFY_M, ellipsoidal_areas_m2, geodesic_lengths_m, lon_scaled
from redline.io.files import atomic_path
from redline.manifest import LayerSpec
from redline.model import Kind

log = logging.getLogger(__name__)

MAX_PIECE_VERTICES = 1024


@dataclass
class Pieces:
    """Geometries (lon/lat, as read) cut to ≤ MAX_PIECE_VERTICES vertices, indexed by an STRtree."""

    geometries: np.ndarray
    owner: np.ndarray
    role: np.ndarray
    """Class role of each piece ("" for a layer without classes)."""
    tree: shapely.STRtree = field(init=False)
    apart: bool = field(init=False)
    """True when the pieces are polygons and no two of them touch (e.g. fields with tracks between)."""

    def __post_init__(self):
        shapely.prepare(self.geometries)
        self.tree = shapely.STRtree(self.geometries)
        first, second = self.tree.query(self.geometries, predicate="intersects")
        self.apart = bool((shapely.get_type_id(self.geometries) == 3).all() and (first == second).all())

    @cached_property
    def local(self) -> tuple[np.ndarray, np.ndarray]:
        """(factor, geometries): each piece with its longitudes scaled by ``factor``, the cosine of its mid-latitude,
        and prepared: a metric in degrees of latitude good near the piece, for the distance prefilter of
        ``redline.engine.nearest_features``. Made on first use."""
        south, north = shapely.bounds(self.geometries)[:, [1, 3]].T
        factor = np.cos(np.radians((south + north) / 2))
        scaled = lon_scaled(self.geometries, factor)
        shapely.prepare(scaled)
        return factor, scaled


CACHE_FORMAT = 10


def cache_dir() -> Path:
    """Folder of prepared-layer caches: $REDLINE_CACHE_DIR, else $XDG_CACHE_HOME/redline, else ~/.cache/redline."""
    if os.environ.get("REDLINE_CACHE_DIR"):
        return Path(os.environ["REDLINE_CACHE_DIR"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "redline"


def cached_pieces(spec: LayerSpec, sha256: str, source_crs: CRS, geometries,
                  roles) -> tuple[Pieces, Pieces, dict[str, float], bool]:
    """Dissolved and per-feature pieces, the layer's total per class role (m² of polygons, geodesic m of lines) and
    whether no two features overlap (see ``is_disjoint``). Where none overlap the per-feature pieces are the dissolved
    ones too (the same object: they cover the same ground, and the layer is held once).

    Totals are measured on the ellipsoid (``ellipsoidal_areas_m2``) from the dissolved pieces, so the figure does not
    depend on the other layers. They come from the cache when the layer file and the method are unchanged.

    The key covers the data's SHA-256 (a file's, with the layer read from it; a PostGIS table's rows, wherever they
    are: the same rows published to another schema are prepared once), the CRS the features came in
    (``source_crs``), the class order, the piece size, the densify step and the cache format, so a stale cache is
    never read. A cache that cannot be read or written is rebuilt or skipped.
    """
    layer_in_file = spec.table if spec.database is None else None
    key = hashlib.sha256(repr((CACHE_FORMAT, sha256, layer_in_file, source_crs.to_wkt(), list(spec.classes),
                               spec.kind.value, MAX_PIECE_VERTICES, DENSIFY_M)).encode()).hexdigest()[:32]
    path = cache_dir() / f"{spec.id}-{key}.parquet"
    try:
        return _read_cache(path, roles)
    except (OSError, KeyError, ValueError, pa.ArrowException):
        log.info("正在准备图层 %s（%s 无可用缓存） / preparing layer %s (no usable cache at %s)", spec.id, path, spec.id, path)
    class_pieces = _class_pieces(geometries, roles, spec)
    feature_pieces = _feature_pieces(geometries, roles)
    amounts = (geodesic_lengths_m if spec.kind == Kind.LINE else ellipsoidal_areas_m2)(class_pieces.geometries)
    totals = {role: float(amounts[class_pieces.role == role].sum()) for role in list(spec.classes) or [""]}
    disjoint = is_disjoint(geometries)
    if disjoint:
        class_pieces = feature_pieces
    stored = [] if disjoint else [(0, class_pieces)]
    stored.append((1, feature_pieces))
    table = pa.table({
        "set": np.concatenate([np.full(len(pieces.geometries), which, np.int8) for which, pieces in stored]),
        "owner": [str(owner) for _, pieces in stored for owner in pieces.owner],
        "wkb": np.concatenate([shapely.to_wkb(pieces.geometries) for _, pieces in stored]),
    }, metadata={"disjoint": "1" if disjoint else "0", "totals": json.dumps(totals)})
    try:
        with atomic_path(path) as temporary:
            pq.write_table(table, temporary)
    except OSError as error:
        log.warning("图层 %s 无法缓存于 %s / cannot cache prepared layer %s there: %s", spec.id, path, spec.id, error)
    return class_pieces, feature_pieces, totals, disjoint


def _read_cache(path: Path, roles) -> tuple[Pieces, Pieces, dict[str, float], bool]:
    table = pq.read_table(path, use_threads=False)  # a batch loads layers while its input is read: no extra threads
    metadata = table.schema.metadata or {}
    totals, disjoint = json.loads(metadata[b"totals"]), metadata[b"disjoint"] == b"1"
    which = table["set"].to_numpy()
    owners = table["owner"].to_numpy(zero_copy_only=False)
    shapes = shapely.from_wkb(table["wkb"].to_numpy(zero_copy_only=False))
    del table
    pa.default_memory_pool().release_unused()  # decoding took several times the file, which the pool would keep
    features = owners[which == 1].astype(int)
    feature_pieces = Pieces(shapes[which == 1], features, roles[features])
    class_pieces = feature_pieces if disjoint else Pieces(shapes[which == 0], owners[which == 0], owners[which == 0])
    return class_pieces, feature_pieces, totals, disjoint


def is_disjoint(geometries) -> bool:
    """True when no two geometries share area (polygons) or length (lines), to 1e-9 of their sum.

    Compared in degrees: the question is topological, so any planar measure answers it.
    """
    measure = shapely.length if shapely.get_dimensions(geometries[0]) == 1 else shapely.area
    total = float(np.sum(measure(geometries)))
    return total - float(measure(shapely.union_all(geometries))) <= 1e-9 * total


def _class_pieces(geometries, roles, spec: LayerSpec) -> Pieces:
    """Dissolve per class, in manifest order (earlier classes win overlaps), then subdivide."""
    pieces, owners, taken = [], [], None
    for role in (list(spec.classes) or [""]):
        merged = shapely.union_all(geometries[roles == role])
        if spec.kind == Kind.LINE:
            merged = shapely.line_merge(merged) if not merged.is_empty else merged
        elif taken is not None:
            merged = merged.difference(taken)
        taken = merged if taken is None else taken.union(merged)
        parts = subdivide(merged)
        pieces += parts
        owners += [role] * len(parts)
    owners = np.array(owners, dtype=object)
    return Pieces(np.array(pieces, dtype=object), owners, owners)


def _feature_pieces(geometries, roles) -> Pieces:
    pieces, owners = [], []
    for row, geometry in enumerate(geometries):
        parts = subdivide(geometry)
        pieces += parts
        owners += [row] * len(parts)
    owners = np.array(owners, dtype=int)
    return Pieces(np.array(pieces, dtype=object), owners, roles[owners])


def subdivide(geometry, max_vertices: int = MAX_PIECE_VERTICES) -> list:
    """Cut ``geometry`` by halving its bounding box until no piece has more than ``max_vertices`` vertices."""
    done, todo = [], [part for part in shapely.get_parts(geometry) if not part.is_empty]
    while todo:
        part = todo.pop()
        if shapely.get_num_coordinates(part) <= max_vertices:
            done.append(part)
            continue
        west, south, east, north = part.bounds
        if east - west >= north - south:
            middle = (west + east) / 2
            boxes = shapely.box(west, south, middle, north), shapely.box(middle, south, east, north)
        else:
            middle = (south + north) / 2
            boxes = shapely.box(west, south, east, middle), shapely.box(west, middle, east, north)
        for half in shapely.intersection(part, boxes):
            todo += [p for p in shapely.get_parts(half) if p.geom_type == part.geom_type and not p.is_empty]
    return done
