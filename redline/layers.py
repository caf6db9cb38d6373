"""The layer manifest → validated, dissolved, subdivided and indexed protected layers.

A manifest (TOML) names each layer: titles, its file (and table) or PostGIS ``database`` and ``table``,
geometry kind, the rule it feeds, the attribute naming a feature, the attribute and values giving its
class, a map style, provenance, vintage and the SHA-256 of its file (of its rows for a PostGIS table,
where it is optional and checked when given). Layers are stored in, or reprojected to, CGCS2000 (EPSG:4490).

For measuring, each layer is dissolved per class (classes made disjoint in the manifest's order, so
overlapping features are never counted twice) and cut into pieces of at most ``MAX_PIECE_VERTICES``
vertices (the PostGIS ``ST_Subdivide`` technique) held in a shapely STRtree. A second tree over each
feature's own pieces tells which features a project hits. Pieces keep the layer's own vertices (their
straight cut edges too), which ``redline.crs`` measures exactly.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tomllib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import rasterio
import shapely
import tomli_w
from pyproj import CRS

from redline.crs import CGCS2000, DENSIFY_M, EqualArea, ellipsoidal_areas_m2, geodesic_lengths_m, lon_scaled, to_cgcs2000
from redline.errors import InputError, ManifestError
from redline.io.files import atomic_path, write_atomic
from redline.manifest import DEFAULT_MANIFEST, KINDS, LayerSpec, Manifest, manifest_from_frames, read_manifest
from redline.rules import REGION, rules_of
from redline.rules.declared import KINDS as DECLARED

log = logging.getLogger(__name__)

MAX_PIECE_VERTICES = 1024
NEARBY_MARGIN_DEG = (0.03, 0.25)
"""Least and largest margin (°) of ``LayerSet.nearby`` around a geometry by default."""


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


@dataclass
class VectorLayer:
    """A loaded polygon or line layer: features, per-class dissolved pieces and per-feature pieces.

    ``class_pieces.owner`` holds the class role of each piece (``""`` for a layer without classes);
    ``feature_pieces.owner`` holds the row number of the feature each piece belongs to.
    """

    spec: LayerSpec
    sha256: str
    """SHA-256 of the data read: the file's, or the PostGIS rows'."""
    frame: gpd.GeoDataFrame
    names: np.ndarray
    roles: np.ndarray
    class_pieces: Pieces
    feature_pieces: Pieces
    totals: dict[str, float]
    """Whole-layer m² (polygons) or geodesic m (lines) per class role."""
    disjoint: bool = False
    """True when no two features overlap: the per-feature pieces then measure the classes too."""

    @cached_property
    def drawn(self) -> tuple[shapely.STRtree, np.ndarray, np.ndarray, np.ndarray]:
        """What maps draw of the layer, made once: an index of the features, their geometries, and each feature's
        name and class as text ("" where the layer has no such field or the feature no value)."""
        geometries = np.asarray(self.frame.geometry.array, dtype=object)
        return shapely.STRtree(geometries), geometries, self._text(self.spec.name_field), self._text(self.spec.class_field)

    def _text(self, column: str | None) -> np.ndarray:
        if not column or column not in self.frame.columns:
            return np.full(len(self.frame), "", dtype=object)
        values = self.frame[column].to_numpy(dtype=object)
        return np.array(["" if value is None or value != value else str(value) for value in values], dtype=object)


@dataclass(frozen=True)
class Nearby:
    """A layer's features near a geometry (``LayerSet.nearby``): lon/lat geometries clipped to the box around it,
    and each one's name and class as text ("" for none)."""

    spec: LayerSpec
    geometries: np.ndarray
    names: np.ndarray
    classes: np.ndarray

    def __len__(self) -> int:
        return len(self.geometries)


@dataclass
class RasterLayer:
    """A loaded categorical raster (lon/lat grid): the class array, its affine transform and nodata value."""

    spec: LayerSpec
    classes: np.ndarray
    transform: object
    nodata: int | None
    pixel_bounds: np.ndarray = field(init=False, repr=False)
    """(west, south, east, north) in degrees of each pixel, row by row."""

    def __post_init__(self):
        height, width = self.classes.shape
        rows, cols = np.mgrid[0:height + 1, 0:width + 1]
        xs, ys = self.transform @ (cols, rows)
        corners = np.stack([xs[:-1, :-1], ys[:-1, :-1], xs[1:, 1:], ys[1:, 1:]], axis=-1).reshape(-1, 4)
        self.pixel_bounds = np.column_stack([np.minimum(corners[:, 0], corners[:, 2]), np.minimum(corners[:, 1], corners[:, 3]),
                                             np.maximum(corners[:, 0], corners[:, 2]), np.maximum(corners[:, 1], corners[:, 3])])


@dataclass
class LayerSet:
    """All layers of a manifest, the ones that could not be loaded with why, and the equal-area CRS for buffers."""

    manifest: Manifest
    layers: dict[str, VectorLayer | RasterLayer]
    problems: dict[str, str]
    bounds: tuple[float, float, float, float]
    equal_area: EqualArea

    def nearby(self, geometry, *, margin_deg: float | None = None) -> list[Nearby]:
        """Each loaded vector layer's features near ``geometry`` (lon/lat), clipped to its bounds + margin.

        The default margin is what a screen shows around the geometry when a map fits it: its larger side, at least
        ``NEARBY_MARGIN_DEG[0]`` and at most ``NEARBY_MARGIN_DEG[1]`` degrees."""
        west, south, east, north = geometry.bounds
        if margin_deg is None:
            low, high = NEARBY_MARGIN_DEG
            margin_deg = min(max(east - west, north - south, low), high)
        box = (west - margin_deg, south - margin_deg, east + margin_deg, north + margin_deg)
        result = []
        for layer in self.layers.values():
            if isinstance(layer, VectorLayer):
                tree, geometries, names, classes = layer.drawn
                rows = np.sort(tree.query(shapely.box(*box), predicate="intersects"))
                clipped = shapely.clip_by_rect(geometries[rows], *box)
                kept = ~shapely.is_empty(clipped)
                result.append(Nearby(layer.spec, clipped[kept], names[rows[kept]], classes[rows[kept]]))
        return result

    @cached_property
    def outline(self):
        """The region layer's outline (features dissolved, simplified to 0.002° for display), or None; made once."""
        region, _ = self.for_rule(REGION)
        if not isinstance(region, VectorLayer):
            return None
        return shapely.simplify(shapely.union_all(region.frame.geometry.values), 0.002)

    def data_sha256(self, spec: LayerSpec) -> str:
        """SHA-256 of the data checked against: as read (PostGIS rows are hashed when loaded), else the manifest's."""
        layer = self.layers.get(spec.id)
        return layer.sha256 if isinstance(layer, VectorLayer) else spec.sha256 or ""

    @cached_property
    def rules(self) -> tuple:
        """Every rule these layers are checked against: the registered ones, then the manifest's declared ones."""
        return rules_of(self.manifest.layers.values())

    def for_rule(self, rule: str):
        """The layer feeding ``rule`` (a declared constraint's is its own layer) and ``None``, or ``None`` and why
        it is unavailable."""
        for spec in self.manifest.layers.values():
            if spec.rule == rule or (spec.rule in DECLARED and spec.id == rule):
                if spec.id in self.layers:
                    return self.layers[spec.id], None
                return None, self.problems.get(spec.id, f"layer {spec.id!r} is not loaded")
        return None, f"the manifest {self.manifest.path.name} has no layer for rule {rule!r}"


def load_layers(manifest: str | Path | Manifest | dict = DEFAULT_MANIFEST) -> LayerSet:
    """Read, validate and index every layer of ``manifest``; a layer that fails is kept in ``problems``.

    ``manifest``: a manifest file, a parsed ``Manifest``, or in-memory layers: layer id → a manifest entry's
    fields with the layer's GeoDataFrame as ``data`` (``redline.manifest.manifest_from_frames``).
    """
    if isinstance(manifest, dict):
        manifest = manifest_from_frames(manifest)
    elif not isinstance(manifest, Manifest):
        manifest = read_manifest(manifest)
    layers, problems = {}, {}
    for spec in manifest.layers.values():
        try:
            layers[spec.id] = read_raster(spec) if spec.kind == "raster" else read_vector(spec)
        except InputError as error:
            log.warning("layer %s not available: %s", spec.id, error)
            problems[spec.id] = str(error)
    extents = [tuple(layer.frame.total_bounds) for layer in layers.values() if isinstance(layer, VectorLayer)]
    if not extents:
        raise ManifestError(f"{manifest.path}: no vector layer could be loaded: " + "; ".join(problems.values()))
    west, south, east, north = np.array(extents).T
    bounds = (west.min(), south.min(), east.max(), north.max())
    return LayerSet(manifest, layers, problems, bounds, EqualArea(bounds))


def publish_layers(manifest: str | Path, database: str, output: str | Path, *, schema: str = "redline",
                   overwrite: bool = False) -> Path:
    """Copy a manifest's vector layers into PostGIS tables ``schema.<layer id>``; write a manifest using them.

    Each table keeps the layer's CRS as its SRID, its name and class attributes as text, and a GiST index;
    the new manifest records the SHA-256 of its rows. Raster layers stay files, referred to from ``output``.
    """
    from redline.io.postgis import read_table, without_password, write_table

    source = read_manifest(manifest)
    output = Path(output).resolve()
    data = tomllib.loads(source.path.read_text(encoding="utf-8"))
    for spec in source.layers.values():
        entry = data["layers"][spec.id]
        if spec.kind == "raster" or spec.path is None:
            if spec.path is not None:
                entry["file"] = os.path.relpath(spec.path, output.parent)
            continue
        frame, _ = _read_frame(spec)
        columns = [f for f in (spec.name_field, spec.class_field) if f]
        table = f"{schema}.{spec.id}"
        write_table(database, table, frame, columns)
        for key in ("file", "sha256"):
            entry.pop(key, None)
        entry.update(database=without_password(database), table=table, sha256=read_table(database, table, columns)[1])
    write_atomic(output, tomli_w.dumps(data), overwrite=overwrite)
    return output


def read_vector(spec: LayerSpec) -> VectorLayer:
    """Read one vector layer (pyogrio, or PostGIS), validate it, bring it to lon/lat (``to_cgcs2000``), build its pieces."""
    frame, sha256 = _read_frame(spec)
    if frame.crs is None:
        raise InputError(f"{spec.source} (layer {spec.id!r}) has no CRS; store it in EPSG:4490 (CGCS2000)")
    _validate(frame, spec)
    geometries = to_cgcs2000(frame.geometry.values, frame.crs)
    frame = frame.set_geometry(gpd.GeoSeries(geometries, crs=CGCS2000, index=frame.index))
    names = frame[spec.name_field].astype(str).to_numpy() if spec.name_field else frame.index.astype(str).to_numpy()
    roles = _roles(frame, spec)
    class_pieces, feature_pieces, amounts, disjoint = _cached_pieces(spec, sha256, frame.geometry.values, roles)
    totals = {role: float(amounts[class_pieces.role == role].sum()) for role in list(spec.classes) or [""]}
    return VectorLayer(spec, sha256, frame, names, roles, class_pieces, feature_pieces, totals, disjoint)


def _read_frame(spec: LayerSpec) -> tuple[gpd.GeoDataFrame, str]:
    """The layer's features and the SHA-256 identifying them (the file's, or the PostGIS rows')."""
    if spec.database is not None:
        from redline.io.postgis import read_table

        frame, sha256 = read_table(spec.database, spec.table, [f for f in (spec.name_field, spec.class_field) if f])
        if spec.sha256 is not None and sha256 != spec.sha256:
            raise ManifestError(f"{spec.source} (layer {spec.id!r}) changed since the manifest was written: the SHA-256 "
                                f"of its rows is {sha256}, the manifest records {spec.sha256}. Restore the table, or "
                                "record the new hash if the change is intended")
        return frame, sha256
    if spec.data is not None:
        return spec.data, spec.sha256
    if not spec.path.exists():
        raise InputError(f"{spec.path} (layer {spec.id!r}) does not exist; restore it or fix 'file' in the manifest")
    try:
        return gpd.read_file(spec.path, layer=spec.table, engine="pyogrio"), spec.sha256
    except Exception as error:  # pyogrio raises several unrelated types for unreadable files
        raise InputError(f"{spec.path} (layer {spec.id!r}) cannot be read: {error}") from None


CACHE_FORMAT = 9


def cache_dir() -> Path:
    """Folder of prepared-layer caches: $REDLINE_CACHE_DIR, else $XDG_CACHE_HOME/redline, else ~/.cache/redline."""
    if os.environ.get("REDLINE_CACHE_DIR"):
        return Path(os.environ["REDLINE_CACHE_DIR"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "redline"


def _cached_pieces(spec: LayerSpec, sha256: str, geometries, roles) -> tuple[Pieces, Pieces, np.ndarray, bool]:
    """Dissolved and per-feature pieces, each dissolved piece's m² (polygons) or geodesic m (lines), and
    whether no two features overlap (see ``is_disjoint``).

    Areas are measured on the ellipsoid (``ellipsoidal_areas_m2``), so the figure does not depend on the
    other layers. They come from the cache when the layer file and the method are unchanged.

    The key covers the data's SHA-256, the class order, the piece size, the densify step and the cache
    format, so a stale cache is never read. A cache that cannot be read or written is rebuilt or skipped.
    """
    key = hashlib.sha256(repr((CACHE_FORMAT, sha256, spec.table, list(spec.classes), spec.kind,
                               MAX_PIECE_VERTICES, DENSIFY_M)).encode()).hexdigest()[:32]
    path = cache_dir() / f"{spec.id}-{key}.parquet"
    try:
        table = pq.read_table(path)
        which = table["set"].to_numpy()
        owners = np.array(table["owner"].to_pylist(), dtype=object)
        shapes = shapely.from_wkb(np.array(table["wkb"].to_pylist(), dtype=object))
        feature_owners = owners[which == 1].astype(int)
        return (Pieces(shapes[which == 0], owners[which == 0], owners[which == 0]),
                Pieces(shapes[which == 1], feature_owners, roles[feature_owners]), table["amount"].to_numpy()[which == 0],
                (table.schema.metadata or {})[b"disjoint"] == b"1")
    except (OSError, KeyError, ValueError, pa.ArrowException):
        log.info("preparing layer %s (no usable cache at %s)", spec.id, path)
    class_pieces = _class_pieces(geometries, roles, spec)
    feature_pieces = _feature_pieces(geometries, roles)
    if spec.kind == "line":
        amounts = geodesic_lengths_m(class_pieces.geometries)
    else:
        amounts = ellipsoidal_areas_m2(class_pieces.geometries)
    disjoint = is_disjoint(geometries)
    table = pa.table({
        "amount": np.r_[amounts, np.full(len(feature_pieces.geometries), np.nan)],
        "set": np.r_[np.zeros(len(class_pieces.geometries), np.int8), np.ones(len(feature_pieces.geometries), np.int8)],
        "owner": [str(o) for o in class_pieces.owner] + [str(o) for o in feature_pieces.owner],
        "wkb": list(shapely.to_wkb(np.r_[class_pieces.geometries, feature_pieces.geometries])),
    }, metadata={"disjoint": "1" if disjoint else "0"})
    try:
        with atomic_path(path) as temporary:
            pq.write_table(table, temporary)
    except OSError as error:
        log.warning("cannot cache prepared layer %s at %s: %s", spec.id, path, error)
    return class_pieces, feature_pieces, amounts, disjoint


def is_disjoint(geometries) -> bool:
    """True when no two geometries share area (polygons) or length (lines), to 1e-9 of their sum.

    Compared in degrees: the question is topological, so any planar measure answers it.
    """
    measure = shapely.length if shapely.get_dimensions(geometries[0]) == 1 else shapely.area
    total = float(np.sum(measure(geometries)))
    return total - float(measure(shapely.union_all(geometries))) <= 1e-9 * total


def _validate(frame: gpd.GeoDataFrame, spec: LayerSpec) -> None:
    problems = []
    if frame.empty:
        problems.append("it has no features")
    for field_name in (spec.name_field, spec.class_field):
        if field_name and field_name not in frame.columns:
            problems.append(f"attribute {field_name!r} named in the manifest is missing")
    geometries = frame.geometry.values
    for row in np.flatnonzero(shapely.is_missing(geometries) | shapely.is_empty(geometries))[:5]:
        problems.append(f"feature {row} has no geometry")
    present = ~(shapely.is_missing(geometries) | shapely.is_empty(geometries))
    wrong = present & ~np.isin(shapely.get_type_id(geometries), [_TYPE_IDS[t] for t in KINDS[spec.kind]])
    for row in np.flatnonzero(wrong)[:5]:
        problems.append(f"feature {row} is a {geometries[row].geom_type}, expected {spec.kind}")
    invalid = present & ~wrong & ~shapely.is_valid(geometries)
    for row in np.flatnonzero(invalid)[:5]:
        problems.append(f"feature {row} is invalid ({shapely.is_valid_reason(geometries[row])})")
    if problems:
        raise InputError(f"{spec.source} (layer {spec.id!r}): " + "; ".join(problems)
                         + ". Fix the layer (e.g. make_valid in QGIS/GDAL) and update its sha256")


_TYPE_IDS = {"LineString": 1, "Polygon": 3, "MultiLineString": 5, "MultiPolygon": 6}


def _roles(frame: gpd.GeoDataFrame, spec: LayerSpec) -> np.ndarray:
    """Class role of each feature (e.g. 'permanent'), from ``class_field`` and the manifest's ``classes``."""
    if not spec.class_field:
        return np.full(len(frame), "", dtype=object)
    role_of = {value: role for role, value in spec.classes.items()}
    values = frame[spec.class_field].astype(str)
    unknown = sorted(set(values) - set(role_of))
    if unknown:
        raise InputError(f"{spec.source} (layer {spec.id!r}): {spec.class_field} has values {unknown} not in the "
                         f"manifest's classes {list(role_of)}; add them to [layers.{spec.id}.classes]")
    return values.map(role_of).to_numpy(dtype=object)


def _class_pieces(geometries, roles, spec: LayerSpec) -> Pieces:
    """Dissolve per class, in manifest order (earlier classes win overlaps), then subdivide."""
    pieces, owners, taken = [], [], None
    for role in (list(spec.classes) or [""]):
        merged = shapely.union_all(geometries[roles == role])
        if spec.kind == "line":
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


def read_raster(spec: LayerSpec) -> RasterLayer:
    """Read a categorical raster layer (whole band 1) with rasterio; it must be in geographic CGCS2000."""
    if spec.data is not None:
        return spec.data, spec.sha256
    if not spec.path.exists():
        raise InputError(f"{spec.path} (layer {spec.id!r}) does not exist; restore it or fix 'file' in the manifest")
    try:
        with rasterio.open(spec.path) as dataset:
            if dataset.crs is None:
                raise InputError(f"{spec.path} (layer {spec.id!r}) has no CRS; store it in EPSG:4490")
            if not CRS.from_user_input(dataset.crs).equals(CGCS2000):
                raise InputError(f"{spec.path} (layer {spec.id!r}) is in {dataset.crs}, not EPSG:4490; "
                                 "warp it with gdalwarp -t_srs EPSG:4490")
            return RasterLayer(spec, dataset.read(1), dataset.transform, dataset.nodata)
    except rasterio.RasterioIOError as error:
        raise InputError(f"{spec.path} (layer {spec.id!r}) cannot be read: {error}") from None


