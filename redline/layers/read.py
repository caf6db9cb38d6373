"""Reading one layer: its features from a file (pyogrio) or PostGIS, validated and brought to lon/lat, with its pieces
(``redline.layers.pieces``); a categorical raster with rasterio."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import geopandas as gpd
import numpy as np
import rasterio
import shapely
from pyproj import CRS

from redline.crs import CGCS2000, to_cgcs2000
from redline.errors import InputError, ManifestError
from redline.layers.pieces import Pieces, cached_pieces
from redline.manifest import LayerSpec


@dataclass
class VectorLayer:
    """A loaded polygon or line layer: features, per-class dissolved pieces and per-feature pieces.

    ``class_pieces.role`` holds the class role of each piece (``""`` for a layer without classes);
    ``feature_pieces.owner`` holds the row number of the feature each piece belongs to. Where no two features overlap
    (``disjoint``) the two are one object, the per-feature pieces.
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


def read_vector(spec: LayerSpec) -> VectorLayer:
    """Read one vector layer (pyogrio, or PostGIS), validate it, bring it to lon/lat (``to_cgcs2000``), build its pieces."""
    frame, sha256 = read_frame(spec)
    if frame.crs is None:
        raise InputError(f"{spec.source}: 图层 {spec.id} 无坐标系 / layer {spec.id!r} has no CRS; store it in EPSG:4490 "
                         "(CGCS2000)")
    _validate(frame, spec)
    source_crs = frame.crs
    geometries = to_cgcs2000(frame.geometry.values, source_crs)
    frame = frame.set_geometry(gpd.GeoSeries(geometries, crs=CGCS2000, index=frame.index))
    names = frame[spec.name_field].astype(str).to_numpy() if spec.name_field else frame.index.astype(str).to_numpy()
    roles = _roles(frame, spec)
    class_pieces, feature_pieces, totals, disjoint = cached_pieces(spec, sha256, source_crs, frame.geometry.values, roles)
    return VectorLayer(spec, sha256, frame, names, roles, class_pieces, feature_pieces, totals, disjoint)


def read_frame(spec: LayerSpec) -> tuple[gpd.GeoDataFrame, str]:
    """The layer's features and the SHA-256 identifying them (the file's, or the PostGIS rows')."""
    if spec.database is not None:
        from redline.io.postgis import read_table

        frame, sha256 = read_table(spec.database, spec.table, [f for f in (spec.name_field, spec.class_field) if f])
        if spec.sha256 is not None and sha256 != spec.sha256:
            raise ManifestError(f"{spec.source}: 图层 {spec.id} 的数据在清单写成后已改变 / the rows of layer {spec.id!r} changed "
                                f"since the manifest was written: the SHA-256 of its rows is {sha256}, the manifest records "
                                f"{spec.sha256}. Restore the table, or record the new hash if the change is intended")
        return frame, sha256
    if spec.data is not None:
        return spec.data, spec.sha256
    if not spec.path.exists():
        raise InputError(_missing(spec))
    try:
        return gpd.read_file(spec.path, layer=spec.table, engine="pyogrio"), spec.sha256
    except Exception as error:  # pyogrio raises several unrelated types for unreadable files
        raise InputError(_unreadable(spec, error)) from None


def _missing(spec: LayerSpec) -> str:
    return (f"{spec.path}: 图层 {spec.id} 的文件不存在 / the file of layer {spec.id!r} does not exist; restore it or fix "
            "'file' in the manifest")


def _unreadable(spec: LayerSpec, error) -> str:
    return f"{spec.path}: 图层 {spec.id} 无法读取 / layer {spec.id!r} cannot be read: {error}"


def _validate(frame: gpd.GeoDataFrame, spec: LayerSpec) -> None:
    problems = []
    if frame.empty:
        problems.append("无要素 / it has no features")
    for field_name in (spec.name_field, spec.class_field):
        if field_name and field_name not in frame.columns:
            problems.append(f"缺少清单所列属性 {field_name} / attribute {field_name!r} named in the manifest is missing")
    geometries = frame.geometry.values
    for row in np.flatnonzero(shapely.is_missing(geometries) | shapely.is_empty(geometries))[:5]:
        problems.append(f"要素 {row} 无几何 / feature {row} has no geometry")
    present = ~(shapely.is_missing(geometries) | shapely.is_empty(geometries))
    wrong = present & ~np.isin(shapely.get_type_id(geometries), [_TYPE_IDS[t] for t in spec.kind.geometry_types])
    for row in np.flatnonzero(wrong)[:5]:
        problems.append(f"要素 {row} 的几何类型不符 / feature {row} is a {geometries[row].geom_type}, expected {spec.kind}")
    invalid = present & ~wrong & ~shapely.is_valid(geometries)
    for row in np.flatnonzero(invalid)[:5]:
        problems.append(f"要素 {row} 几何无效 / feature {row} is invalid ({shapely.is_valid_reason(geometries[row])})")
    if problems:
        raise InputError(f"{spec.source}: 图层 {spec.id} 有误 / layer {spec.id!r}: " + "; ".join(problems)
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
        raise InputError(f"{spec.source}: 图层 {spec.id} 的 {spec.class_field} 有清单未列的类别 / layer {spec.id!r}: "
                         f"{spec.class_field} has values {unknown} not in the manifest's classes {list(role_of)}; add them "
                         f"to [layers.{spec.id}.classes]")
    return values.map(role_of).to_numpy(dtype=object)


def read_raster(spec: LayerSpec) -> RasterLayer:
    """Read a categorical raster layer (whole band 1) with rasterio; it must be in geographic CGCS2000."""
    if not spec.path.exists():
        raise InputError(_missing(spec))
    try:
        with rasterio.open(spec.path) as dataset:
            if dataset.crs is None:
                raise InputError(f"{spec.path}: 图层 {spec.id} 无坐标系 / layer {spec.id!r} has no CRS; store it in "
                                 "EPSG:4490")
            if not CRS.from_user_input(dataset.crs).equals(CGCS2000):
                raise InputError(f"{spec.path}: 图层 {spec.id} 须为 EPSG:4490 / layer {spec.id!r} is in {dataset.crs}, "
                                 "not EPSG:4490; warp it with gdalwarp -t_srs EPSG:4490")
            return RasterLayer(spec, dataset.read(1), dataset.transform, dataset.nodata)
    except rasterio.RasterioIOError as error:
        raise InputError(_unreadable(spec, error)) from None
