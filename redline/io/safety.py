"""Checks on hostile files before any driver opens them: signatures, zip archives, XML (KML), JSON, GeoPackage.

Signatures: a file is opened only by the driver its suffix names, and only when its first bytes are that
format's (``check_signature``); GeoJSON must be GeoJSON, not another JSON dialect GDAL reads.

Zip (shapefile zip, KMZ): members that climb out of the folder (absolute paths, ``..``, drive letters,
symbolic links), too many members, too many uncompressed bytes, or an extreme compression ratio (a zip
bomb) are refused. Nothing is extracted: GDAL reads members through ``/vsizip/``.
XML: a KML never needs a DTD, so any ``<!DOCTYPE`` or ``<!ENTITY`` (entity expansion, external
entities) is refused by the parser when it meets one, after decoding (``parse_xml``).
"""

from __future__ import annotations

import re
import sqlite3
import stat
import struct
import xml.etree.ElementTree as ElementTree
import zipfile
from contextlib import closing
from pathlib import Path, PurePosixPath
from xml.parsers import expat

import orjson

from redline.errors import FormatError, InputError, LimitError

MAX_MEMBERS = 200
MAX_GDB_MEMBERS = 2000
"""Members of a zip holding a File Geodatabase folder (one holds a few files per table: hundreds)."""
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_RATIO = 200


def check_zip(path: Path) -> list[str]:
    """Names of the members of a zip archive that passed every check; InputError otherwise."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        raise InputError(f"{path}: 压缩包不可读 / not a readable zip archive ({error}); export it again") from None
    with archive:
        members = archive.infolist()
        limit = MAX_GDB_MEMBERS if any(".gdb/" in m.filename.lower() for m in members) else MAX_MEMBERS
        if len(members) > limit:
            raise LimitError(f"{path}: 压缩包成员过多 / "
                             f"{len(members)} members is over the {limit}-member limit for one project")
        names = [m.filename for m in members]
        repeated = sorted({name for name in names if names.count(name) > 1}) if len(set(names)) < len(names) else []
        if repeated:
            raise InputError(f"{path}: 压缩包内有同名成员 / member {repeated[0][:80]!r} appears twice: readers disagree on "
                             "which one is meant; refusing the archive")
        total = 0
        for member in members:
            name = PurePosixPath(member.filename.replace("\\", "/"))
            if name.is_absolute() or ".." in name.parts or re.match(r"^[A-Za-z]:", member.filename):
                raise InputError(f"{path}: 压缩包成员路径越界 / "
                                 f"member {member.filename!r} climbs out of the archive's folder (zip slip); "
                                 "refusing the archive")
            if stat.S_ISLNK(member.external_attr >> 16):
                raise InputError(f"{path}: 压缩包含符号链接 / "
                                 f"member {member.filename!r} is a symbolic link; refusing the archive")
            total += member.file_size
            if member.compress_size and member.file_size / member.compress_size > MAX_RATIO and member.file_size > 1 << 20:
                ratio = member.file_size / member.compress_size
                raise InputError(f"{path}: 压缩比异常（压缩炸弹）/ member {member.filename!r} expands {ratio:,.0f}"
                                 " times (a zip bomb?); refusing the archive")
        if total > MAX_UNCOMPRESSED_BYTES:
            raise LimitError(f"{path}: 解压后过大 / "
                             f"{total:,} uncompressed bytes is over the {MAX_UNCOMPRESSED_BYTES:,}-byte limit")
        return [m.filename for m in members if not m.is_dir()]


def parse_xml(data: bytes, *, source: str):
    """The root element of ``data``, parsed by expat with any DTD or entity declaration refused as it is met.

    The refusal is made on the decoded text (expat calls the handlers whatever the encoding: UTF-16 included),
    so no entity is ever expanded and nothing external is fetched.
    """
    def refuse(*_):
        raise InputError(f"{source}: KML 含 DTD 或实体声明 / declares a DTD or XML entities, which a KML never needs "
                         "(entity expansion or external entities); remove the <!DOCTYPE …> and export it again")
    builder = ElementTree.TreeBuilder()
    parser = expat.ParserCreate(namespace_separator="}")
    parser.buffer_text = True
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = parser.EntityDeclHandler = parser.ExternalEntityRefHandler = refuse
    parser.StartElementHandler = lambda name, attributes: builder.start(_tag(name), attributes)
    parser.EndElementHandler = lambda name: builder.end(_tag(name))
    parser.CharacterDataHandler = builder.data
    try:
        parser.Parse(data, True)
    except expat.ExpatError as error:
        raise FormatError(f"{source}: KML 格式错误 / not well-formed XML ({error}); export it again") from None
    return builder.close()


def _tag(name: str) -> str:
    """ElementTree's spelling of an expat name: "{namespace}local"."""
    return "{" + name if "}" in name else name


def zipped_kml(path: Path, members: list[str]) -> bytes:
    """The KML text inside a KMZ."""
    with zipfile.ZipFile(path) as archive:
        kml = [m for m in members if m.lower().endswith(".kml")]
        if not kml:
            raise InputError(f"{path}: KMZ 内无 .kml / a KMZ without a .kml member; export it again")
        return b"".join(archive.read(m) for m in kml)


SIGNATURES = {
    ".gpkg": ("GPKG", lambda head: head.startswith(b"SQLite format 3\x00") and head[68:72] in (b"GPKG", b"GP10", b"GP11")),
    ".fgb": ("FlatGeobuf", lambda head: head.startswith(b"fgb\x03")),
    ".shp": ("ESRI Shapefile", lambda head: head.startswith(b"\x00\x00\x27\x0a")),
    ".geojson": ("GeoJSON", lambda head: head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{")),
    ".json": ("GeoJSON", lambda head: head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{")),
}
"""Suffix → (the one GDAL driver that may open it, a test of the file's first bytes): the allow-list of what GDAL
opens for a project file. KML, CSV, DXF, TXT and GeoParquet are read by redline itself."""

GEOJSON_TYPES = {"FeatureCollection", "Feature", "Polygon", "MultiPolygon", "GeometryCollection", "Point", "MultiPoint",
                 "LineString", "MultiLineString"}


def check_signature(head: bytes, suffix: str, *, source: str) -> str:
    """The GDAL driver for a file with this suffix whose content starts with ``head``; FormatError if the bytes are
    not that format (e.g. VRT XML or a GDALG pipeline named ``.geojson``)."""
    driver, matches = SIGNATURES.get(suffix, (None, None))
    if driver is None:
        raise FormatError(f"{source}: 不支持的格式 / {suffix or 'no suffix'} is not a format redline opens with GDAL")
    if not matches(head):
        raise FormatError(f"{source}: 文件内容与扩展名不符 / the content is not {driver} although the name ends in {suffix}; "
                          "export the boundary again in that format")
    return driver


def check_geojson(data: bytes, *, source: str) -> None:
    """Refuse JSON that GDAL would read as something other than GeoJSON (a GDALG pipeline, Esri JSON, TopoJSON)
    or that names its CRS by a link (fetched from a URL); RFC 7946 GeoJSON has neither. A UTF-8 byte order mark
    (Notepad writes one) is ignored, as RFC 7946 §11.2 allows."""
    try:
        document = orjson.loads(data.removeprefix(b"\xef\xbb\xbf"))
    except orjson.JSONDecodeError as error:
        raise FormatError(f"{source}: 不是有效的 JSON / not valid JSON ({error}); export it again") from None
    kind = document.get("type") if isinstance(document, dict) else None
    if kind is None and isinstance(document, dict) and {"geometryType", "spatialReference", "features"} & set(document):
        raise FormatError(f"{source}: 这是 Esri JSON（ArcGIS 导出）/ this is Esri JSON (an ArcGIS export), not GeoJSON; "
                          "export it as GeoJSON (ArcGIS: Features To JSON with the GeoJSON option) or as a Shapefile")
    if kind not in GEOJSON_TYPES:
        raise FormatError(f"{source}: 不是 GeoJSON / the JSON is not GeoJSON (its \"type\" is {str(kind)[:40]!r}, not "
                          "FeatureCollection, Feature or a geometry); export it again as GeoJSON")
    crs = document.get("crs")
    if isinstance(crs, dict) and crs.get("type") != "name":
        raise FormatError(f"{source}: crs 不得为链接 / its \"crs\" member refers to a link; name the CRS (e.g. "
                          "\"urn:ogc:def:crs:EPSG::4490\") or leave it out for WGS84")


def check_geopackage(path: Path, *, source: str) -> None:
    """Refuse a GeoPackage whose schema holds virtual tables other than spatial indexes (R-trees), which can open
    other files, or that loads extensions or attaches databases."""
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)) as db:
            db.execute("PRAGMA trusted_schema = OFF")
            schema = db.execute("SELECT type, name, coalesce(sql, '') FROM sqlite_master").fetchall()
    except sqlite3.DatabaseError as error:
        raise FormatError(f"{source}: 无法读取的 GeoPackage / not a readable GeoPackage ({error}); export it again") from None
    for kind, name, sql in schema:
        module = re.search(r"\bVIRTUAL\s+TABLE\b.*?\bUSING\s+(\w+)", sql, re.IGNORECASE | re.DOTALL)
        if (module and module.group(1).lower() != "rtree") or re.search(r"load_extension|\bATTACH\b", sql, re.IGNORECASE):
            raise FormatError(f"{source}: 含虚拟表或外部引用 / {kind} {name!r} is a virtual table or loads other files, which a "
                              "GeoPackage of a boundary never needs; export the layer again")


MAX_NESTING = 3
"""Deepest GeometryCollection nesting accepted in WKB (a boundary needs none; GEOS recurses per level)."""
_WKB_SIMPLE = {1, 2, 3, 4, 5, 6, 7}


def check_wkb(wkbs, *, max_vertices: int, source: str) -> None:
    """Refuse WKB over the vertex limit or nested deeper than ``MAX_NESTING``, before any geometry is built.

    The byte count bounds the vertices from below (at most 32 bytes a vertex, XYZM), so an oversized file is
    refused without decoding (``check_wkb_bytes``); then each geometry's header (``check_wkb_kinds``).
    """
    present = [w for w in wkbs if w is not None]
    check_wkb_bytes(sum(map(len, present)), len(present), max_vertices=max_vertices, source=source)
    check_wkb_kinds(wkbs, source=source)


def check_wkb_bytes(total: int, count: int, *, max_vertices: int, source: str) -> None:
    """Refuse ``count`` WKB geometries of ``total`` bytes that must hold more than ``max_vertices`` vertices."""
    if total > 32 * max_vertices + 64 * count + 1024:
        raise LimitError(f"{source}: 超过顶点数限制 / {total:,} bytes of geometry are over the "
                         f"{max_vertices:,}-vertex limit for one project; simplify the boundary or split it")


def check_wkb_kinds(wkbs, *, source: str, first: int = 0) -> None:
    """Refuse WKB geometries of a kind redline does not read, or nested deeper than ``MAX_NESTING`` (only
    GeometryCollections nest, so only they are walked); ``first`` numbers the first one in messages; None is
    skipped."""
    for number, wkb in enumerate(wkbs, start=first):
        if wkb is None:
            continue
        try:
            _, kind, _, _ = _wkb_header(wkb, 0)
            if kind not in _WKB_SIMPLE:
                raise FormatError(f"{source}: 不支持的几何类型 / feature {number} has WKB geometry type {kind}, which "
                                  "redline does not read (curves, surfaces); export it with straight edges")
            if kind == 7:
                _wkb_skip(wkb, 0, 0, source, number)
        except (IndexError, struct.error):
            raise FormatError(f"{source}: 几何数据已损坏 / feature {number} has damaged WKB geometry; export it again") from None


def _wkb_header(wkb: bytes, offset: int) -> tuple[str, int, int, int]:
    """(byte order, base type, coordinate dimensions, offset after the header) of the WKB geometry at ``offset``
    (ISO or EWKB)."""
    order = "<" if wkb[offset] == 1 else ">"
    (code,) = struct.unpack_from(order + "I", wkb, offset + 1)
    flags, code_iso = code & 0xE0000000, code & 0x0FFFFFFF
    base, thousands = code_iso % 1000, code_iso // 1000
    dimensions = 2 + (thousands in (1, 2)) + 2 * (thousands == 3) + bool(flags & 0x80000000) + bool(flags & 0x40000000)
    return order, base, dimensions, offset + 5 + (4 if flags & 0x20000000 else 0)


def _wkb_skip(wkb: bytes, offset: int, depth: int, source: str, number: int) -> int:
    """The offset after the geometry at ``offset``; FormatError when collections nest deeper than ``MAX_NESTING``."""
    if depth > MAX_NESTING:
        raise FormatError(f"{source}: 几何集合嵌套过深 / feature {number} nests geometry collections more than "
                          f"{MAX_NESTING} deep (a hostile file?); a boundary needs polygons only")
    order, kind, dimensions, offset = _wkb_header(wkb, offset)
    count = lambda at: struct.unpack_from(order + "I", wkb, at)[0]  # noqa: E731
    if kind == 1:
        return offset + 8 * dimensions
    if kind == 2:
        return offset + 4 + 8 * dimensions * count(offset)
    if kind == 3:
        rings, offset = count(offset), offset + 4
        for _ in range(rings):
            offset += 4 + 8 * dimensions * count(offset)
        return offset
    if kind in (4, 5, 6, 7):
        parts, offset = count(offset), offset + 4
        for _ in range(parts):
            offset = _wkb_skip(wkb, offset, depth + (kind == 7), source, number)
        return offset
    raise FormatError(f"{source}: 不支持的几何类型 / feature {number} holds WKB geometry type {kind}; "
                      "export it with straight edges")
