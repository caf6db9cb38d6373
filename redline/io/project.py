"""Read a planner's project boundary from a GIS file, validate it, and bring it to CGCS2000 lon/lat.

Rejected, each with an ``InputError`` naming the file, the feature and the fix: a missing or empty
file, a file no GIS driver reads, no features, no CRS (with a suggestion from the coordinates'
magnitudes, never a silent guess), coordinates that do not fit the stated CRS, points or lines where
polygons are needed, empty, NaN or invalid (e.g. self-intersecting) geometries unless ``repair``,
files over ``MAX_BYTES`` and boundaries over ``MAX_VERTICES``; in ``ensure_in_region``, boundaries
outside the layers' region; latitude and longitude swapped.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import logging
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS

from redline.crs import to_cgcs2000
from redline.errors import Correction, InputError, RedlineWarning, correct
from redline.footprint import validated
from redline.io.cleaning import cleaned
from redline.io.features import Features
from redline.io.files import sha256_file
from redline.io.georef import ensure_plausible, features_in_crs, with_crs

log = logging.getLogger(__name__)


MAX_BYTES = 50 * 1024 * 1024


MAX_VERTICES = 200_000


MAX_FEATURES = 10_000
"""Features of one project file; a batch table (``read_feature_table``) takes ``MAX_APPLICATIONS``."""


@dataclass(frozen=True)
class Project:
    """A project boundary: all parcels dissolved, in CGCS2000 lon/lat (``redline.crs.to_cgcs2000``)."""

    path: Path
    sha256: str
    name: str | None
    source_crs: CRS
    parcels: int
    geometry: object
    repairs: tuple[str, ...] = ()
    conversion: str | None = None
    source: Features | None = None
    """The parcels as read (validated, repaired, not densified), in ``source_crs``: for ``redline convert``."""
    warnings: tuple[dict, ...] = ()
    """Every correction made while reading (``redline.errors.Correction.to_dict``)."""

    def describe(self) -> dict:
        """The report's ``project`` block (the area is added by the pipeline)."""
        crs = self.conversion or crs_label(self.source_crs)
        notes = [WEB_MAP_NOTE] if self.source_crs.is_geographic and self.conversion is None else []
        return {"file": str(self.path), "sha256": self.sha256, "name": self.name, "crs": crs, "parcels": self.parcels,
                "repairs": list(self.repairs), "warnings": list(self.warnings), "notes": notes}


WEB_MAP_NOTE = {
    "code": "web_map_offset",
    "zh": "本项目坐标为经纬度，未说明来源：高德、腾讯、奥维（GCJ-02）和百度（BD-09）等网络地图上取得的坐标在中国境内偏移数百米，"
          "未经转换则检查结果不可靠；如来自网络地图，请注明数据来源后重新检查。",
    "en": "The boundary is in longitude/latitude of unstated origin: coordinates taken from Chinese web maps (Amap, "
          "Tencent, Ovital: GCJ-02; Baidu: BD-09) are offset by hundreds of metres unless converted; if they come from "
          "one, state the source and check again.",
}
"""The one-line note of every report whose lon/lat the file could not vouch for (no web-map conversion made)."""


def crs_label(crs: CRS) -> str:
    """``crs.to_string()`` (e.g. "EPSG:4527"), worked out once per CRS: a batch's applications share theirs."""
    return _crs_label(crs.srs)


@functools.cache
def _crs_label(srs: str) -> str:
    return CRS.from_user_input(srs).to_string()


def read_project(path, *, crs=None, layer=None, encoding=None, repair: bool = False, degrees: str | None = None,
                 max_bytes: int = MAX_BYTES, max_vertices: int = MAX_VERTICES, max_features: int = MAX_FEATURES) -> Project:
    """Read, validate and reproject a project boundary file.

    Every correction made on the way (axes swapped, ring closed, encoding taken, …) is in ``warnings`` of the
    project and is warned again (``redline.errors.Correction``) to the caller.

    Parameters
    ----------
    path : file to read: GeoJSON, GeoPackage, Shapefile (loose or .zip), GeoParquet, KML/KMZ, CSV (WKT or
        vertex rows), DXF, the land-submission TXT, or anything else GDAL reads.
    crs : CRS to state for a file that has none, or to override a wrong one (a label, not a transform);
        "gcj02" or "bd09" converts lon/lat drawn on a Chinese web map to WGS84.
    layer : the layer holding the boundary in a file of several (GeoPackage, zip of datasets, DXF); needed
        when polygons lie on more than one, which is refused with each layer's feature count and area.
    encoding : attribute text encoding for files that do not declare it (e.g. "GBK" for old shapefiles).
    repair : fix invalid geometries with ``make_valid`` instead of refusing them; the area change is recorded.
    degrees : how a table's longitudes/latitudes are written when the values cannot say: "decimal" or "dms"
        (packed ddd.mmss, 117.2530 = 117°25′30″); see ``redline.io.degrees``.
    """
    path = Path(path)

    def read() -> Project:
        features, conversion = features_in_crs(path, layer=layer, encoding=encoding, crs=crs, degrees=degrees,
                                               max_bytes=max_bytes, max_vertices=max_vertices, max_features=max_features)
        return _project(features, path, sha256_file(path), conversion, repair=repair, max_vertices=max_vertices)
    return collecting(read)


def project_of(geometries, crs=None, *, name: str | None = None, label: str = "<memory>", repair: bool = False,
               max_vertices: int = MAX_VERTICES) -> Project:
    """A project from boundaries in memory, with the checks of a file: a shapely geometry, a GeoSeries or a
    GeoDataFrame (its parcels dissolved into one project) in ``crs`` (the GeoSeries' own when not given).

    ``label`` names the input in messages and in the report's ``project.file``; the report's ``sha256`` is of the
    geometries' WKB.
    """
    if isinstance(geometries, shapely.Geometry):
        geometries = gpd.GeoSeries([geometries])
    if isinstance(geometries, gpd.GeoSeries):
        geometries = gpd.GeoDataFrame(geometry=geometries)
    features = Features.of(geometries)
    if name is not None:
        features.attributes["name"] = np.array([name] * len(features.geometries), dtype=object)
    path = Path(label)

    def build() -> Project:
        checked = with_crs(features, path, crs)
        digest = hashlib.sha256(b"".join(shapely.to_wkb(shapely.force_2d(features.geometries)))).hexdigest()
        return _project(checked, path, digest, None, repair=repair, max_vertices=max_vertices)
    return collecting(build)


def as_project(target, *, crs=None, **options) -> Project:
    """``target`` as a project: a ``Project`` as it is, a path read by ``read_project``, a shapely geometry, a
    GeoSeries or a GeoDataFrame by ``project_of``; anything else is an InputError."""
    if isinstance(target, Project):
        return target
    if isinstance(target, (str, os.PathLike)):
        return read_project(target, crs=crs, **options)
    if isinstance(target, (shapely.Geometry, gpd.GeoSeries, gpd.GeoDataFrame)):
        return project_of(target, crs, **options)
    raise InputError(f"无法检查 {type(target).__name__} / cannot check a {type(target).__name__}: give a file path, a shapely "
                     "geometry, a GeoSeries or a GeoDataFrame")


def collecting(make) -> Project:
    """``make()``'s project with every correction made meanwhile in its ``warnings`` (and warned again)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RedlineWarning)
        project = make()
    return dataclasses.replace(project, warnings=replayed(caught))


def _project(features: Features, path: Path, sha256: str, conversion, *, repair: bool, max_vertices: int) -> Project:
    """The project of ``features`` with a trustworthy CRS: validated (or repaired), dissolved and in CGCS2000."""
    geometries, repairs = validated(features, path, repair=repair, max_vertices=max_vertices)
    geometry = shapely.union_all(to_cgcs2000(geometries, features.crs))
    ensure_plausible(geometry, features, path)
    attributes = features.attributes
    name_column = next((c for c in ("name", "NAME", "项目名称", "名称", "id") if c in attributes), None)
    name = _shown(str(attributes[name_column][0]), path, name_column) if name_column else None
    return Project(path, sha256, name, features.crs, len(geometries), geometry, tuple(repairs), conversion,
                   Features(attributes, geometries, features.crs))


def _shown(text: str, path: Path, what: str) -> str:
    """``text`` from the file as reports show it (``redline.io.cleaning.cleaned``), with a correction if it changed."""
    safe, done = cleaned(text)
    if done:
        correct("text_cleaned", f"{path} ({what})", f"文本已清理：{done}",
                f"text cleaned: {done}")
    return safe


def replayed(caught) -> tuple[dict, ...]:
    """The corrections among ``caught`` warnings; every caught warning is warned again to the caller."""
    for warning in caught:
        warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)
    return tuple(w.message.to_dict() for w in caught if isinstance(w.message, Correction))
