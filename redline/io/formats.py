"""Which reader reads which file: the input formats, declared once (``FORMATS``), and the GDAL datasets' readers
(one driver allowed per suffix, the bytes checked against it before GDAL sees them, zips and File Geodatabases)."""

from __future__ import annotations

import glob
import importlib
import shutil
import tempfile
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import shapely
from pyproj import CRS

from redline.errors import FormatError, GeometryError, InputError, LimitError
from redline.io.encoding import DBF_SAMPLE_BYTES, dbf_encoding
from redline.io.features import Features, choose_layer
from redline.io.gdal import gdal_path, pyogrio, read_raw
from redline.io.kml import KML_SUFFIXES, read_kml
from redline.io.parquet import read_geoparquet
from redline.io.safety import check_geojson, check_geopackage, check_signature, check_wkb, check_zip
from redline.io.sheet import SHEET_SUFFIXES, read_sheet
from redline.io.table import read_csv
from redline.io.txt import read_txt
from redline.io.webmaps import WEB_MAP_CRS


@dataclass(frozen=True)
class Format:
    """One input format: the suffixes it is known by, its name, its reader (``read(path, **reading) → Features``, the
    CRS as the file declares it, None if it declares none; ``reading``: ``layer``, ``encoding``, ``crs``, ``degrees``,
    ``max_vertices``, ``max_features``, each reader taking what it needs), and the files that travel beside it under
    the same name (a shapefile's .shx, .dbf, .prj: uploaded together, or zipped)."""

    suffixes: tuple[str, ...]
    name: str
    read: Callable[..., Features]
    parts: tuple[str, ...] = ()
    """Suffixes of the files beside it; the first ``needed`` of them must be there."""
    needed: int = 0

    @property
    def one_file(self) -> bool:
        return not self.parts


def _gdal_file(path: Path, *, layer, encoding, max_vertices, max_features, **_) -> Features:
    """A file GDAL opens, with the one driver its suffix allows (``redline.io.safety.SIGNATURES``) once its bytes
    are checked to be that format."""
    with open(path, "rb") as stream:
        driver = _checked_content(stream, path.suffix.lower(), source=str(path))
    layers = _dataset_layers(path, str(path), driver, encoding=encoding, dbf=_loose_dbf(path), max_vertices=max_vertices,
                             max_features=max_features)
    return choose_layer(path, layers, layer)


FORMATS = [
    Format((".geojson", ".json"), "GeoJSON", _gdal_file),
    Format((".gpkg",), "GeoPackage", _gdal_file),
    Format((".shp",), "Shapefile", _gdal_file, parts=(".shx", ".dbf", ".prj", ".cpg"), needed=2),
    Format((".zip",), "zip (Shapefile, GeoPackage, GeoJSON, FlatGeobuf, File Geodatabase)",
           lambda path, crs, degrees, **r: _read_zip(path, **r)),
    Format((".fgb",), "FlatGeobuf", _gdal_file),
    Format((".parquet", ".geoparquet"), "GeoParquet",
           lambda path, **r: Features.of(read_geoparquet(path, max_features=r["max_features"],
                                                         max_vertices=r["max_vertices"]))),
    Format(KML_SUFFIXES, "KML/KMZ (Google Earth, 奥维)", lambda path, **r: Features.of(read_kml(path))),
    Format((".csv",), "CSV (WKT or vertex rows)",
           lambda path, **r: Features.of(read_csv(path, encoding=r["encoding"], degrees=r["degrees"]))),
    Format(SHEET_SUFFIXES, "Excel (vertex rows)",
           lambda path, **r: Features.of(read_sheet(path, layer=r["layer"], degrees=r["degrees"]))),
    Format((".txt",), "部标 TXT (land-submission coordinates)",
           lambda path, **r: Features.of(read_txt(path, encoding=r["encoding"],
                                                  crs=None if r["crs"] in WEB_MAP_CRS else r["crs"]))),
    Format((".dxf",), "DXF (AutoCAD, CASS)", lambda path, **r: choose_layer(path, _read_dxf(path), r["layer"])),
]
"""Every format a project file may be in, by suffix: adding one is a reader module and an entry here."""


def _read_dxf(path: Path) -> Features:
    from redline.io.cad import read_dxf  # ezdxf costs 0.2 s to import: only when a DXF is read (``preload``)

    return read_dxf(path)


IMPORTED_ON_FIRST_USE = {".dxf": "redline.io.cad"}
"""The readers imported only when a file of theirs is read (by suffix)."""


def preload(paths=None) -> None:
    """Import the readers imported on first use that files at ``paths`` need (every one when None), in a process that
    forks a child to read each file (a batch's workers, the service's check processes): the children inherit them
    instead of importing them each time."""
    suffixes = set(IMPORTED_ON_FIRST_USE) if paths is None else {Path(path).suffix.lower() for path in paths}
    for suffix in suffixes & set(IMPORTED_ON_FIRST_USE):
        importlib.import_module(IMPORTED_ON_FIRST_USE[suffix])


def format_of(suffix: str) -> Format | None:
    return next((found for found in FORMATS if suffix in found.suffixes), None)


def read_features(path: Path, *, layer, encoding, crs, degrees, max_bytes, max_vertices, max_features) -> Features:
    """The features of the file at ``path`` as its format's reader gives them; a File Geodatabase folder (x.gdb)
    by GDAL's OpenFileGDB driver. Missing, empty, oversized and unknown files are refused before any reader runs."""
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
    found = format_of(suffix)
    if found is None:
        hint = UNREAD_FORMATS.get(suffix)
        if hint:
            raise FormatError(f"{path}: {hint[0]} / {hint[1]}")
        raise FormatError(f"{path}: 不支持的文件格式 / redline does not read {suffix or 'files without a suffix'}; send one of "
                          f"{', '.join(s for f in FORMATS for s in f.suffixes)}")
    return found.read(path, layer=layer, encoding=encoding, crs=crs, degrees=degrees, max_vertices=max_vertices,
                      max_features=max_features)


READABLE_SUFFIXES = tuple(suffix for found in FORMATS for suffix in found.suffixes)
"""Every suffix a project file may have; anything else is refused before a byte is parsed."""
UPLOADABLE_SUFFIXES = tuple(suffix for found in FORMATS if found.one_file for suffix in found.suffixes)
"""The suffixes of formats that are one file (what a single upload can be)."""
MULTIPART_FORMATS = {suffix: found for found in FORMATS if found.parts for suffix in found.suffixes}
"""Formats uploaded as several files, by the suffix of the main one (a shapefile: its .shp)."""


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




ZIPPED_DATASETS = (".shp", ".gpkg", ".geojson", ".json", ".fgb")


DBF_HEAD_BYTES = 65_536 + DBF_SAMPLE_BYTES
"""Bytes of a .dbf read to tell its encoding: the largest header and the records ``dbf_encoding`` decodes."""


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
        raise FormatError(f"{path}: 无法按 {driver} 读取 / cannot be read as {driver} ({first_line(error)}); "
                          "export it again") from None


def first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
