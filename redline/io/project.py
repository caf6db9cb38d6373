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
import glob
import hashlib
import logging
import os
import shutil
import tempfile
import warnings
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS

from redline.crs import datum_shift, gauss_kruger_crs, parse_crs, to_cgcs2000
from redline.errors import Correction, CRSError, FormatError, GeometryError, InputError, LimitError, RedlineWarning, correct
from redline.io.cad import read_dxf
from redline.io.cleaning import MAX_TEXT, cleaned
from redline.io.encoding import DBF_SAMPLE_BYTES, dbf_encoding
from redline.io.features import Features, choose_layer
from redline.io.files import sha256_file
from redline.io.gdal import gdal_path, pyogrio, read_raw
from redline.io.kml import DECLARED, KML_SUFFIXES, read_kml
from redline.io.parquet import read_geoparquet
from redline.io.safety import check_geojson, check_geopackage, check_signature, check_wkb, check_zip
from redline.io.sheet import SHEET_SUFFIXES, read_sheet
from redline.io.table import read_csv
from redline.io.txt import read_txt
from redline.io.webmaps import bd09_to_wgs84, gcj02_to_wgs84

log = logging.getLogger(__name__)

MAX_BYTES = 50 * 1024 * 1024
MAX_VERTICES = 200_000
MAX_FEATURES = 10_000
"""Features of one project file; a batch table (``read_feature_table``) takes ``MAX_APPLICATIONS``."""
MAX_APPLICATIONS = 5_000_000
DBF_HEAD_BYTES = 65_536 + DBF_SAMPLE_BYTES
"""Bytes of a .dbf read to tell its encoding: the largest header and the records ``dbf_encoding`` decodes."""
POLYGONAL = ("Polygon", "MultiPolygon")
MAX_REPAIR_CHANGE = 0.01
"""Largest share by which a repair may change a feature's planar area (its rings' shoelace area): more is a redraw."""


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

    Every correction made on the way (axes swapped, ring closed, encoding taken, …) is in ``warnings`` of the
    project and is warned again (``redline.errors.Correction``) to the caller.
    """
    path = Path(path)

    def read() -> Project:
        features, conversion = _features_in_crs(path, layer=layer, encoding=encoding, crs=crs, degrees=degrees,
                                                max_bytes=max_bytes, max_vertices=max_vertices, max_features=max_features)
        return _project(features, path, sha256_file(path), conversion, repair=repair, max_vertices=max_vertices)
    return _collecting(read)


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
        checked = _with_crs(features, path, crs)
        digest = hashlib.sha256(b"".join(shapely.to_wkb(shapely.force_2d(features.geometries)))).hexdigest()
        return _project(checked, path, digest, None, repair=repair, max_vertices=max_vertices)
    return _collecting(build)


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


def _collecting(make) -> Project:
    """``make()``'s project with every correction made meanwhile in its ``warnings`` (and warned again)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RedlineWarning)
        project = make()
    return dataclasses.replace(project, warnings=_replayed(caught))


def _project(features: Features, path: Path, sha256: str, conversion, *, repair: bool, max_vertices: int) -> Project:
    """The project of ``features`` with a trustworthy CRS: validated (or repaired), dissolved and in CGCS2000."""
    geometries, repairs = _validated(features, path, repair=repair, max_vertices=max_vertices)
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


def _replayed(caught) -> tuple[dict, ...]:
    """The corrections among ``caught`` warnings; every caught warning is warned again to the caller."""
    for warning in caught:
        warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)
    return tuple(w.message.to_dict() for w in caught if isinstance(w.message, Correction))


CHINA_BOUNDS = (73.0, 3.0, 136.0, 54.0)
"""West, south, east, north (degrees) of China with its seas: a boundary elsewhere was read in a wrong CRS."""


def ensure_plausible(geometry, features: Features, path: Path) -> None:
    """Refuse a boundary whose CGCS2000 lon/lat are not finite or lie outside China (a wrong CRS or axis order)."""
    if _in_china(np.array([geometry], dtype=object))[0]:
        return
    west, south, east, north = shapely.bounds(geometry)
    where = (f"lon {west:.2f}…{east:.2f}, lat {south:.2f}…{north:.2f}" if np.isfinite([west, south, east, north]).all()
             else "infinite or NaN coordinates")
    raise CRSError(f"{path}: 按 {features.crs.to_string()} 换算后边界落在中国以外或为无穷 / in {features.crs.to_string()} the "
                   f"boundary falls outside China ({where}): the CRS or the axis order is wrong. "
                   f"{suggest_crs(shapely.total_bounds(features.geometries))}")


def _features_in_crs(path: Path, *, layer, encoding, crs, degrees=None, **limits) -> tuple[Features, str | None]:
    """The file's features with a trustworthy CRS, and the web-map conversion applied (or None)."""
    features = _read_features(path, layer=layer, encoding=encoding, crs=crs, degrees=degrees, **limits)
    kinds, conversion = _web_map_kinds(features, path, crs)
    if any(kinds):
        features, conversion = _from_web_map(features, path, kinds)
    return _with_crs(features, path, None if crs in WEB_MAP_CRS or conversion else crs), conversion


OV_COORD_TYPES = {"WGS84": None, "CGCS2000": None, "GCJ02": "gcj02", "BD09": "bd09"}
"""奥维 OvCoordType values (spelled without separators, upper case) → the web-map offset to undo (None: none)."""


def _web_map_kinds(features: Features, path: Path, crs) -> tuple[list, str | None]:
    """Per feature, the web-map offset to undo ("gcj02", "bd09" or None; an empty list when there is none to undo
    anywhere): what the file declares (奥维's OvCoordType), else what ``crs`` says; and the label of a declaration that
    needs no conversion.

    A declaration that ``crs`` contradicts is refused naming both; an unknown one lists those known.
    """
    declared = features.attributes.get(DECLARED)
    assumed = crs if crs in WEB_MAP_CRS else None
    if declared is None:
        return ([assumed] * len(features.geometries) if assumed else []), None
    spelled = {value: str(value).upper().replace("-", "").replace("_", "").replace(" ", "") for value in set(declared)
               if value is not None}
    unknown = sorted(str(value) for value, key in spelled.items() if key not in OV_COORD_TYPES)
    if unknown:
        raise CRSError(f"{path}: 未知的坐标类型 OvCoordType={unknown[0][:40]!r} / unknown OvCoordType {unknown[0][:40]!r}; "
                       f"known: WGS84, GCJ02, BD09, CGCS2000. Export it again from 奥维 (Ovital)")
    kinds = [OV_COORD_TYPES[spelled[value]] if value is not None else assumed for value in declared]
    clash = sorted({spelled[value] for value, kind in zip(declared, kinds) if value is not None and kind != assumed})
    if crs is not None and clash:
        raise CRSError(f"{path}: 文件声明的坐标类型 OvCoordType={clash[0]} 与指定的坐标系 {str(crs)[:40]} 矛盾 / the file "
                       f"declares OvCoordType {clash[0]} but the CRS {str(crs)[:40]} was given; leave the CRS out and the "
                       "declaration is used")
    counts = Counter(spelled[value] for value in declared if value is not None)
    if any(kinds):
        for key, count in sorted(counts.items()):
            if OV_COORD_TYPES[key]:
                correct("ov_coord_type", str(path), f"{count} 个地标声明坐标类型 OvCoordType={key}（奥维导出），已转换为 WGS84",
                        f"{count} placemark(s) declare OvCoordType {key} (an Ovital export): converted to WGS84")
        return kinds, None
    return kinds, f"EPSG:4326 (OvCoordType {', '.join(sorted(counts))})"


def _read_features(path: Path, *, layer, encoding, crs, degrees, max_bytes, max_vertices, max_features) -> Features:
    if not path.exists():
        raise InputError(f"{path}: 文件不存在 / no such file; check the path")
    if path.is_dir():
        return _read_gdb_folder(path, layer=layer, encoding=encoding, max_bytes=max_bytes, max_vertices=max_vertices,
                                max_features=max_features)
    size = path.stat().st_size
    if size == 0:
        raise InputError(f"{path}: 文件为空 / the file is empty; export the boundary again")
    if size > max_bytes:
        raise LimitError(f"{path}: 文件过大 / {size:,} bytes is over the {max_bytes:,}-byte limit for one project; "
                         "split it or raise the limit")
    suffix = path.suffix.lower()
    if suffix == ".txt":
        return Features.of(read_txt(path, encoding=encoding, crs=None if crs in WEB_MAP_CRS else crs))
    if suffix == ".csv":
        return Features.of(read_csv(path, encoding=encoding, degrees=degrees))
    if suffix in SHEET_SUFFIXES:
        return Features.of(read_sheet(path, layer=layer, degrees=degrees))
    if suffix == ".dxf":
        return choose_layer(path, read_dxf(path), layer)
    if suffix in KML_SUFFIXES:
        return Features.of(read_kml(path))
    if suffix in (".parquet", ".geoparquet"):
        return Features.of(read_geoparquet(path, max_features=max_features, max_vertices=max_vertices))
    if suffix not in GDAL_SUFFIXES:
        hint = UNREAD_FORMATS.get(suffix)
        if hint:
            raise FormatError(f"{path}: {hint[0]} / {hint[1]}")
        raise FormatError(f"{path}: 不支持的文件格式 / redline does not read {suffix or 'files without a suffix'}; send one of "
                          f"{', '.join(READABLE_SUFFIXES)}")
    limits = {"max_vertices": max_vertices, "max_features": max_features}
    if suffix == ".zip":
        return _read_zip(path, layer=layer, encoding=encoding, **limits)
    with open(path, "rb") as stream:
        driver = _checked_content(stream, suffix, source=str(path))
    return choose_layer(path, _dataset_layers(path, str(path), driver, encoding=encoding, dbf=_loose_dbf(path), **limits),
                        layer)


GDB_CATALOG = "a00000001.gdbtable"
"""The system catalog every File Geodatabase folder holds: its signature."""


def _read_gdb_folder(path: Path, *, layer, encoding, max_bytes, **limits) -> Features:
    """The project's layer of a File Geodatabase folder (``x.gdb``), read by GDAL's OpenFileGDB driver only."""
    if path.suffix.lower() != ".gdb" or not (path / GDB_CATALOG).is_file():
        raise FormatError(f"{path}: 是文件夹而不是文件 / is a folder, not a file: send a boundary file, or a File "
                          "Geodatabase folder (x.gdb) holding its a00000001.gdbtable")
    size = sum(item.stat().st_size for item in path.iterdir() if item.is_file())
    if size > max_bytes:
        raise LimitError(f"{path}: 文件过大 / {size:,} bytes is over the {max_bytes:,}-byte limit for one project")
    return choose_layer(path, _dataset_layers(path, str(path), GDB_DRIVER, encoding=encoding, **limits), layer)


def _read_zip(path: Path, *, layer, encoding, **limits) -> Features:
    """The project's layer of a zip archive: its one dataset, or the one ``layer`` names among several (datasets
    named by their path in the archive, so two of one name in different folders are both offered)."""
    members = check_zip(path)
    geodatabases = sorted({str(PurePosixPath(m).parent) for m in members if PurePosixPath(m).parent.suffix.lower() == ".gdb"})
    datasets = [m for m in members if Path(m).suffix.lower() in ZIPPED_DATASETS
                and not any(m.startswith(f"{gdb}/") for gdb in geodatabases)]
    if not datasets and not geodatabases:
        raise FormatError(f"{path}: 压缩包内无数据集 / the zip holds no dataset ({', '.join(ZIPPED_DATASETS)}); "
                          f"found {', '.join(members[:10]) or 'nothing'}")
    if any(Path(m).suffix.lower() == ".shp" for m in members) and not any(Path(m).suffix.lower() == ".shx" for m in members):
        raise FormatError(f"{path}: 压缩包内的 shapefile 缺 .shx / the shapefile in the zip lacks its .shx; "
                          "zip the .shp with its .shx, .dbf and .prj")
    with tempfile.TemporaryDirectory(prefix="redline-zip-") as folder, zipfile.ZipFile(path) as archive:
        layers = {}
        for gdb in geodatabases:
            if f"{gdb}/{GDB_CATALOG}" not in members:
                raise FormatError(f"{path}: {gdb} 不是完整的文件地理数据库 / {gdb} lacks its {GDB_CATALOG}: zip the whole "
                                  ".gdb folder")
            found = _dataset_layers(path, f"/vsizip/{path.resolve()}/{gdb}", GDB_DRIVER, encoding=encoding, **limits)
            layers.update({_zipped_name(gdb, name, geodatabases + datasets): reader for name, reader in found.items()})
        for member in datasets:
            with archive.open(member) as stream:
                driver = _checked_content(stream, Path(member).suffix.lower(), source=f"{path} ({member})")
            if driver == "GPKG":  # SQLite needs a real file, and its schema is checked like any GeoPackage
                extracted = Path(folder) / f"{len(layers)}.gpkg"
                with archive.open(member) as stream, open(extracted, "wb") as out:
                    shutil.copyfileobj(stream, out)
                found = _dataset_layers(path, str(extracted), driver, encoding=encoding, **limits)
                layers.update({_zipped_name(member, name, geodatabases + datasets): reader for name, reader in found.items()})
                continue
            dbf = _zipped_dbf(archive, member, members) if driver == "ESRI Shapefile" else None
            layers[_zipped_name(member, None, datasets)] = _layer_reader(path, f"/vsizip/{path.resolve()}/{member}", driver,
                                                                       None, encoding=encoding, dbf=dbf, **limits)
        return choose_layer(path, layers, layer)


def _zipped_name(member: str, layer: str | None, datasets: list[str]) -> str:
    """A layer's name in a zip: the dataset's stem when that names it alone, else its path in the archive (without
    suffix); a layer of a multi-layer dataset after it ("folder/x.gpkg/layer" when several datasets are zipped)."""
    stem = PurePosixPath(member).stem
    alone = sum(PurePosixPath(d).stem == stem for d in datasets) == 1
    name = stem if alone else str(PurePosixPath(member).with_suffix(""))
    if layer is None:
        return name
    return layer if len(datasets) == 1 else f"{member if not alone else stem}/{layer}"


def _dataset_layers(path: Path, source: str, driver: str, *, encoding, dbf=None, **limits) -> dict:
    """Layer name → reader of one dataset: the spatial layers of a GeoPackage or File Geodatabase (attribute tables
    beside them are not layers), or the one layer of any other format."""
    if driver not in MULTI_LAYER_DRIVERS:
        return {path.stem: _layer_reader(path, source, driver, None, encoding=encoding, dbf=dbf, **limits)}
    if driver == "GPKG":
        check_geopackage(Path(source), source=str(path))
    listed = _with_gdal(path, driver, lambda: pyogrio.list_layers(gdal_path(source, driver)))
    names = [str(name) for name, geometry_type in listed if geometry_type is not None]
    if not names:
        raise GeometryError(f"{path}: 无空间图层 / holds no layer with geometry (only tables: "
                            f"{', '.join(str(name)[:60] for name, _ in listed[:10]) or 'none'}); export the boundary layer")
    return {name: _layer_reader(path, source, driver, name, encoding=encoding, **limits) for name in names}


def _layer_reader(path: Path, source: str, driver: str, layer, *, encoding, max_vertices, max_features, dbf=None):
    """A reader of one layer of a GDAL dataset; a shapefile without .cpg gets the encoding its DBF shows."""
    def read() -> Features:
        chosen = encoding if encoding or dbf is None else dbf_encoding(dbf(), source=str(path))
        meta, _, geometries, values = _with_gdal(path, driver, lambda: read_raw(source, driver, layer=layer, encoding=chosen,
                                                                                max_features=max_features + 1))
        if len(geometries) > max_features:
            raise LimitError(f"{path}: 超过要素数限制 / more than {max_features:,} features, the limit for one "
                             "project; split the file")
        check_wkb(geometries, max_vertices=max_vertices, source=str(path))
        return Features(dict(zip(meta["fields"], values)), shapely.from_wkb(geometries),
                        CRS.from_user_input(meta["crs"]) if meta["crs"] else None)
    return read


def _loose_dbf(path: Path):
    """The first bytes of a loose shapefile's .dbf (a callable) when it has no .cpg; None otherwise."""
    if path.suffix.lower() != ".shp":
        return None
    siblings = {p.name.lower(): p for p in path.parent.glob(f"{glob.escape(path.stem)}.*")}
    dbf = siblings.get(f"{path.stem.lower()}.dbf")
    if dbf is None or f"{path.stem.lower()}.cpg" in siblings:
        return None

    def head() -> bytes:
        with open(dbf, "rb") as stream:
            return stream.read(DBF_HEAD_BYTES)
    return head


def _zipped_dbf(archive: zipfile.ZipFile, member: str, members: list[str]):
    """The first bytes of a zipped shapefile's .dbf (a callable) when it has no .cpg; None otherwise."""
    stem = member[: -len(Path(member).suffix)].lower()
    by_name = {m.lower(): m for m in members}
    if f"{stem}.cpg" in by_name or f"{stem}.dbf" not in by_name:
        return None

    def head() -> bytes:  # called while the archive is open (``_read_zip`` chooses the layer inside its ``with``)
        with archive.open(by_name[f"{stem}.dbf"]) as stream:
            return stream.read(DBF_HEAD_BYTES)
    return head


READABLE_SUFFIXES = (".geojson", ".json", ".gpkg", ".shp", ".zip", ".fgb", ".parquet", ".geoparquet", *KML_SUFFIXES,
                     ".csv", *SHEET_SUFFIXES, ".txt", ".dxf")
"""Every suffix a project file may have; anything else is refused before a byte is parsed."""
UNREAD_FORMATS = {
    ".dwg": ("DWG 不能直接读取，请在 AutoCAD 或 CASS 中另存为 DXF", "DWG is not read: save it as DXF in AutoCAD or CASS "
             "(另存为 → DXF) and send that"),
    **dict.fromkeys((".wp", ".wl", ".wt"), ("MapGIS 文件不能直接读取，请在 MapGIS 中导出为 Shapefile",
                                          "MapGIS files are not read: export the area file (.wp) to Shapefile in MapGIS")),
    ".mdb": ("个人地理数据库（.mdb）不能直接读取，请导出为文件地理数据库（.gdb）或 Shapefile",
             "a Personal Geodatabase (.mdb) is not read: export it to a File Geodatabase (.gdb) or a Shapefile"),
    ".gpx": ("GPX 轨迹是线，不是边界；请把边界画成面后导出为 KML 或 GeoJSON",
             "a GPX track is a line, not a boundary: draw the boundary as a polygon and export it as KML or GeoJSON"),
    **dict.fromkeys((".tab", ".mif", ".mid", ".map", ".id", ".dat"), (
        "MapInfo 文件不能直接读取，请导出为 Shapefile 或 GeoJSON",
        "MapInfo TAB/MIF files are not read: export the layer to Shapefile or GeoJSON")),
    ".ovobj": ("奥维 .ovobj 不能直接读取，请在奥维中导出为 .ovkml/.ovkmz", "an Ovital .ovobj is not read: export it as "
               ".ovkml or .ovkmz from Ovital"),
}
"""Formats planners send that redline does not read → what to do instead (zh, en)."""
GDB_DRIVER = "OpenFileGDB"
MULTI_LAYER_DRIVERS = ("GPKG", GDB_DRIVER)
GDAL_SUFFIXES = (".geojson", ".json", ".gpkg", ".shp", ".zip", ".fgb")
ZIPPED_DATASETS = (".shp", ".gpkg", ".geojson", ".json", ".fgb")


def _checked_content(stream, suffix: str, *, source: str) -> str:
    """The GDAL driver for the file open in ``stream`` named with ``suffix``, after checking that its bytes are that
    format (the whole of a GeoJSON, the first bytes of the others)."""
    head = stream.read(100)
    driver = check_signature(head, suffix, source=source)
    if driver == "GeoJSON":
        check_geojson(head + stream.read(), source=source)
    return driver


def _with_gdal(path: Path, driver: str, read):
    """``read()``, a pyogrio call on ``path``; FormatError naming the driver if GDAL cannot read it."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return read()
    except Exception as error:  # pyogrio raises many types for unreadable input
        raise FormatError(f"{path}: 无法按 {driver} 读取 / cannot be read as {driver} ({_first_line(error)}); "
                          "export it again") from None


WEB_MAP_CRS = ("gcj02", "bd09")


def _from_web_map(features: Features, path: Path, kinds: list):
    """Undo the GCJ-02 / BD-09 offset of the features whose ``kinds`` name one (lon/lat drawn on a Chinese web map);
    the result is WGS84, labelled with what was converted."""
    if not len(features.geometries):
        raise GeometryError(f"{path}: 无要素 / no features; the file holds no project boundary")
    if not _looks_geographic(shapely.total_bounds(features.geometries)):
        kind = next(kind for kind in kinds if kind)
        raise CRSError(f"{path}: crs={kind} 需经纬度坐标 / needs longitude/latitude, but the coordinates are in metres")
    geometries = features.geometries.copy()
    for kind, inverse in (("gcj02", gcj02_to_wgs84), ("bd09", bd09_to_wgs84)):
        rows = np.array([k == kind for k in kinds], dtype=bool)
        if rows.any():
            geometries[rows] = shapely.transform(geometries[rows], lambda xy: np.column_stack(inverse(xy[:, 0], xy[:, 1])))
    labels = sorted({WEB_MAP_LABELS[kind] for kind in kinds if kind})
    return (Features(features.attributes, geometries, CRS.from_epsg(4326)),
            f"{' + '.join(labels)} → EPSG:4326 (inversion residual < 1e-8 m)")


WEB_MAP_LABELS = {"gcj02": "GCJ-02", "bd09": "BD-09"}


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def _with_crs(features: Features, path: Path, crs) -> Features:
    """``features`` labelled with ``crs`` when given (a label, not a transform), checked against their coordinates."""
    if not len(features.geometries):
        raise GeometryError(f"{path}: 无要素 / no features; the file holds no project boundary")
    if crs is not None:
        features = Features(features.attributes, features.geometries, parse_crs(crs))
    bounds = shapely.total_bounds(features.geometries)
    if features.crs is None:
        raise CRSError(f"{path}: 无坐标系 / has no CRS. {suggest_crs(bounds)}")
    if features.crs.is_geographic and not _looks_geographic(bounds) and _looks_geographic(bounds[[1, 0, 3, 2]]):
        raise GeometryError(f"{path}: 经纬度颠倒 / latitude and longitude look swapped (x {bounds[0]:.4f}…{bounds[2]:.4f}, "
                            f"y {bounds[1]:.4f}…{bounds[3]:.4f}); write x = longitude, y = latitude")
    if features.crs.is_geographic and not _looks_geographic(bounds):
        raise CRSError(f"{path}: 坐标系为经纬度而坐标为米 / "
                       f"says {features.crs.to_string()} (degrees) but its coordinates are in metres. "
                       f"{suggest_crs(bounds)}")
    if features.crs.is_projected and _looks_geographic(bounds):
        raise CRSError(f"{path}: 坐标系为米而坐标像经纬度 / "
                       f"says {features.crs.to_string()} (metres) but its coordinates look like degrees; "
                       "pass crs=EPSG:4490 if they are CGCS2000 longitude/latitude")
    _tell_datum_shift(features.crs, path)
    return features


def _tell_datum_shift(crs: CRS, path: Path) -> None:
    """A correction for a datum moved onto CGCS2000 by its own 7 parameters, or not moved at all (``datum_shift``)."""
    shift = datum_shift(crs)
    datum = crs.geodetic_crs.datum.name if crs.geodetic_crs else crs.name
    if shift == "parameters":
        correct("datum_parameters", str(path), f"坐标系 {datum[:80]} 按其给定的七参数（TOWGS84）换算到 CGCS2000",
                f"{datum[:80]} converted to CGCS2000 with the 7 parameters the CRS gives (TOWGS84)")
    elif shift == "unknown":
        correct("datum_unknown_shift", str(path),
                f"{datum} 至 2000 国家大地坐标系无公开转换参数，按零平移换算：位置可能偏差数十米（天津地区按公开的区域参数"
                "约 64–72 米），面积几乎不受影响，但是否压占红线可能误判；请改用 CGCS2000 成果，或在坐标系中以 +towgs84 "
                "给出本单位的七参数",
                f"no published transformation from {datum} to CGCS2000: converted with a null shift, so positions may "
                "be tens of metres off (64–72 m in Tianjin by the published regional parameters); areas are hardly "
                "affected but an intrusion may be missed or invented. Send CGCS2000 coordinates, or give the bureau's "
                "7 parameters in the CRS (+towgs84)")


WEB_MERCATOR = CRS.from_epsg(3857)


def _lands_in_china(bounds, crs: CRS) -> bool:
    """Whether the box ``bounds`` (in ``crs``) lies in China once in CGCS2000 lon/lat: a suggestion must be plausible."""
    box = to_cgcs2000(np.array([shapely.box(*bounds)], dtype=object), crs)
    return bool(_in_china(box)[0])


def _looks_geographic(bounds) -> bool:
    west, south, east, north = bounds
    return -180 <= west <= east <= 180 and -90 <= south <= north <= 90


def suggest_crs(bounds) -> str:
    """A sentence suggesting the likely CRS from coordinate magnitudes; never applied silently."""
    west, south, east, north = bounds
    if _looks_geographic(bounds):
        return "坐标像经纬度 / Coordinates look like longitude/latitude: pass crs=EPSG:4490 (CGCS2000) if that is right."
    if 1e7 <= west and east < 1e8 and 1e6 <= south <= 1e7:
        zone = int(west // 1e6)
        width = 3 if zone >= 24 else 6
        crs = gauss_kruger_crs("CGCS2000", width, zone, prefixed=True)
        if crs is not None and _lands_in_china(bounds, crs):
            return (f"坐标像带带号前缀的高斯-克吕格 {zone} 带 / "
                    f"Coordinates look like CGCS2000 {width}-degree Gauss-Krüger zone {zone} with zone prefix: "
                    f"pass crs=EPSG:{crs.to_epsg()} if that is right.")
    if 8e6 <= west and east <= 1.6e7 and 3e5 <= south and north <= 7.3e6 and _lands_in_china(bounds, WEB_MERCATOR):
        return ("坐标像网络地图的墨卡托米制坐标 / Coordinates look like Web Mercator metres (EPSG:3857, as web maps and "
                "their exports use): pass crs=EPSG:3857 if that is right.")
    if 1e5 <= west and east < 1e6 and 1e6 <= south <= 1e7:
        example = gauss_kruger_crs("CGCS2000", 3, 39, prefixed=False)
        return ("坐标像无带号前缀的高斯-克吕格 / "
                "Coordinates look like Gauss-Krüger metres without zone prefix: pass the CRS of your zone, "
                f"e.g. crs=EPSG:{example.to_epsg()} (CGCS2000 3-degree, central meridian 117°E, Tianjin).")
    if 1e6 <= west <= 1e7 and (1e5 <= south < 1e6 or south >= 1e7):
        return ("坐标像 X、Y 颠倒的高斯-克吕格 / "
                "Coordinates look like Gauss-Krüger with X and Y swapped: X is the northing, Y the easting.")
    return "请指定坐标系 / Pass crs=… with the CRS the boundary was drawn in (e.g. crs=EPSG:4490 or crs=EPSG:4527)."


def _validated(features: Features, path: Path, *, repair: bool, max_vertices: int):
    geometries = shapely.force_2d(features.geometries)
    problems, repairs = [], []
    total = int(shapely.get_num_coordinates(geometries).sum())
    if total > max_vertices:
        raise LimitError(f"{path}: 顶点过多 / {total:,} vertices is over the {max_vertices:,}-vertex limit; "
                         "simplify the boundary or raise the limit")
    for row in np.flatnonzero(~_plainly_valid(geometries)):
        geometries[row], problem, note = _checked(geometries[row], _label(features.attributes, row), repair=repair)
        if problem:
            problems.append(problem)
        if note:
            warnings.warn(Correction(note.code, f"{path} {note.where}", note.zh, note.en), stacklevel=2)
            repairs.append(f"{note.where} {note.en}")
    if problems:
        raise GeometryError(f"{path}: " + "; ".join(problems[:10]) + (" …" if len(problems) > 10 else ""))
    return geometries, repairs


def _plainly_valid(geometries) -> np.ndarray:
    """Which geometries pass every check of ``_checked`` (tested for the whole array at once)."""
    polygonal = np.isin(shapely.get_type_id(geometries), [3, 6])  # Polygon, MultiPolygon
    coordinates, owner = shapely.get_coordinates(geometries, return_index=True)
    finite = ~np.isin(np.arange(len(geometries)), owner[~np.isfinite(coordinates).all(axis=1)])
    return polygonal & ~shapely.is_empty(geometries) & finite & shapely.is_valid(geometries)


def _checked(geometry, label: str, *, repair: bool):
    """(geometry, problem or None, the repair's ``Correction`` or None) for one feature."""
    if geometry is None or geometry.is_empty:
        return geometry, f"{label} 无几何 / has no geometry", None
    if geometry.geom_type not in POLYGONAL:
        return geometry, f"{label} 不是面 / is a {geometry.geom_type}; a project boundary must be a polygon", None
    if not np.isfinite(shapely.get_coordinates(geometry)).all():
        return geometry, f"{label} 坐标为非数或无穷 / has NaN or infinite coordinates", None
    if geometry.is_valid:
        return geometry, None, None
    reason = shapely.is_valid_reason(geometry)
    if not repair:
        return geometry, f"{label} 几何无效 / is invalid ({reason}); fix it or pass repair=True", None
    fixed = shapely.union_all([p for p in shapely.get_parts(shapely.make_valid(geometry)) if p.geom_type in POLYGONAL])
    change = f"{geometry.area:.6g} → {fixed.area:.6g}"
    if abs(fixed.area - geometry.area) > MAX_REPAIR_CHANGE * max(geometry.area, 0.0):
        return geometry, (f"{label} 修复将改变面积超过 {MAX_REPAIR_CHANGE:.0%}，不予修复 / is invalid ({reason}) and "
                          "repairing it "
                          f"would change its planar area from {geometry.area:.6g} to {fixed.area:.6g} CRS units², more "
                          f"than {MAX_REPAIR_CHANGE:.0%}: a repair fixes slivers and bow-ties, it does not redraw a parcel. "
                          "Check how the file groups its vertices into parcels and rings (e.g. a 地块号/分组 column) "
                          "and draw the boundary again"), None
    return fixed, None, Correction("repaired", label, f"几何无效（{reason}），已修复：平面面积 {change}（坐标单位²）",
                                   f"repaired ({reason}): planar area {change} CRS units²")


@dataclass(frozen=True)
class FeatureTable:
    """The features of a multi-application file with a trustworthy CRS, their ids, and the web-map conversion."""

    path: Path
    frame: gpd.GeoDataFrame
    ids: list[str]
    conversion: str | None = None
    warnings: tuple[dict, ...] = ()
    """Corrections made while reading the file, given to each of its applications."""


def read_feature_table(path, *, id_field: str = "id", crs=None, layer=None, encoding=None, degrees: str | None = None,
                       max_bytes: int = 2 * 1024 ** 3, max_features: int = MAX_APPLICATIONS) -> FeatureTable:
    """Read a multi-feature file (GeoPackage, GeoParquet, CSV, …) whose features are separate applications.

    ``id_field`` names each application (row numbers from 1 when the file has no such column and the
    default is kept); duplicate ids are refused, since results are keyed by id.
    """
    path = Path(path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RedlineWarning)
        features, conversion = _features_in_crs(path, layer=layer, encoding=encoding, crs=crs, degrees=degrees,
                                                max_bytes=max_bytes, max_vertices=MAX_VERTICES * max_features,
                                                max_features=max_features)
    return _feature_table(features, path, id_field, conversion, _replayed(caught))


def feature_table_of(frame: gpd.GeoDataFrame, *, id_field: str = "id", crs=None, label: str = "<memory>") -> FeatureTable:
    """A GeoDataFrame of applications (one per row) as a ``FeatureTable``, with the CRS checks of a file."""
    path = Path(label)
    return _feature_table(_with_crs(Features.of(frame), path, crs), path, id_field, None, ())


def _feature_table(features: Features, path: Path, id_field: str, conversion, corrections) -> FeatureTable:
    frame = features.to_frame()
    if id_field in frame.columns:
        given = frame[id_field].astype(str).tolist()
        ids = [cleaned(text)[0] for text in given]
        if ids != given:
            correct("text_cleaned", f"{path} ({id_field})", "申请编号已清理：去除控制或双向覆盖字符，过长者截断",
                    f"application ids cleaned: control and bidi-override characters removed, over {MAX_TEXT} characters cut")
    elif id_field == "id":
        ids = [str(number) for number in range(1, len(frame) + 1)]
    else:
        raise InputError(f"{path}: 无编号列 / "
                         f"no column {id_field!r} for the application ids; columns: {', '.join(frame.columns)}")
    duplicates = sorted(application for application, count in Counter(ids).items() if count > 1)
    if duplicates:
        raise InputError(f"{path}: 申请编号重复 / application ids repeat ({', '.join(duplicates[:10])}); ids must be unique")
    return FeatureTable(path, frame, ids, conversion, corrections)


def applications_of(table: FeatureTable, rows=None, *, repair: bool = False, max_vertices: int = MAX_VERTICES):
    """(id, Project or InputError) for the table's ``rows`` (all by default), in order.

    A bad feature is an error of its own, never the whole file's.
    """
    rows = np.arange(len(table.frame)) if rows is None else np.asarray(rows)
    frame, path = table.frame.iloc[rows], table.path
    ids = [table.ids[row] for row in rows]
    source_crs = CRS.from_user_input(frame.crs)
    geometries = shapely.force_2d(frame.geometry.values)
    sound = _plainly_valid(geometries)
    checked = [(g, None, None) if fine else _checked(g, f"application {i}", repair=repair)
               for g, i, fine in zip(geometries, ids, sound)]
    sizes = shapely.get_num_coordinates(geometries)
    ok = np.array([problem is None and size <= max_vertices for (_, problem, _), size in zip(checked, sizes)], dtype=bool)
    footprints = np.empty(len(checked), dtype=object)
    footprints[ok] = to_cgcs2000(np.array([g for g, _, _ in checked], dtype=object)[ok], source_crs)
    plausible = _in_china(footprints)
    wkb = shapely.to_wkb(np.array([g for g, _, _ in checked], dtype=object))
    name_column = next((c for c in ("name", "NAME", "项目名称", "名称") if c in frame.columns), None)
    names = [cleaned(text)[0] for text in frame[name_column].astype(str).tolist()] if name_column else [None] * len(frame)
    results = []
    for position, (application, (geometry, problem, note), size) in enumerate(zip(ids, checked, sizes)):
        if problem or size > max_vertices:
            message = problem or f"application {application}: {size:,} vertices is over the {max_vertices:,}-vertex limit"
            results.append((application, GeometryError(f"{path}: {message}")))
            continue
        if not plausible[position]:
            results.append((application, CRSError(f"{path}: application {application}: 换算后落在中国以外或为无穷 / "
                                                  f"falls outside China or at infinity in {source_crs.to_string()}; "
                                                  "the CRS or the axis order is wrong")))
            continue
        digest = hashlib.sha256(wkb[position]).hexdigest()
        corrections = table.warnings + ((note.to_dict(),) if note else ())
        results.append((application, Project(path, digest, names[position], source_crs, 1, footprints[position],
                                             (f"{note.where} {note.en}",) if note else (), table.conversion,
                                             warnings=corrections)))
    return results


def _in_china(geometries: np.ndarray) -> np.ndarray:
    """Which geometries (CGCS2000 lon/lat; None allowed) have finite bounds inside ``CHINA_BOUNDS``."""
    west, south, east, north = CHINA_BOUNDS
    bounds = shapely.bounds(geometries)
    with np.errstate(invalid="ignore"):
        return (np.isfinite(bounds).all(axis=1) & (bounds[:, 0] >= west) & (bounds[:, 1] >= south)
                & (bounds[:, 2] <= east) & (bounds[:, 3] <= north))


def _label(attributes: dict[str, np.ndarray], row: int) -> str:
    for column in ("name", "NAME", "id", "ID"):
        if column in attributes:
            return f"feature {row} ({column}={attributes[column][row]!s})"
    return f"feature {row}"


def ensure_in_region(project: Project, bounds, *, margin_deg: float = 0.5) -> None:
    """Refuse a project outside the layers' extent (degrees) plus ``margin_deg``."""
    west, south, east, north = bounds
    px0, py0, px1, py1 = project.geometry.bounds
    inside = west - margin_deg <= px0 and px1 <= east + margin_deg and south - margin_deg <= py0 and py1 <= north + margin_deg
    if inside:
        return
    where = f"lon {px0:.4f}…{px1:.4f}, lat {py0:.4f}…{py1:.4f}"
    raise GeometryError(f"{project.path}: 边界在图层范围以外 / the boundary ({where}) lies outside the region the layers cover "
                        f"(lon {west:.2f}…{east:.2f}, lat {south:.2f}…{north:.2f}); check its CRS (crs=…)")
