"""Write hostile upload files into a folder: python tests/data/make_hostile.py FOLDER

Each file is what an attacker would send through the CLI, a batch or the service (issue 12). ``HOSTILE``
maps each file name to what must never appear in any answer about it (a secret it tries to read), or None.
The tests call ``write_hostile(folder)``; nothing is committed, every file is rebuilt on demand.
"""

from __future__ import annotations

import io
import json
import sqlite3
import struct
import sys
import zipfile
from pathlib import Path

import geopandas as gpd
import pyarrow as pa
import pyarrow.parquet as pq
import shapely

SECRET = "root:x:0:0"
"""The first line of /etc/passwd: a file that reads it and shows it must fail the tests."""

VRT = ('<OGRVRTDataSource><OGRVRTLayer name="x"><SrcDataSource>CSV:/etc/passwd</SrcDataSource>'
       '<GeometryType>wkbNone</GeometryType></OGRVRTLayer></OGRVRTDataSource>')
GDALG = json.dumps({"type": "gdal_streamed_alg", "command_line": "gdal vector read /etc/passwd ! write --of stream streamed"})
REMOTE_VRT = ('<OGRVRTDataSource><OGRVRTLayer name="x"><SrcDataSource>/vsicurl/http://127.0.0.1:9/x.geojson'
              '</SrcDataSource></OGRVRTLayer></OGRVRTDataSource>')
BOX = shapely.box(117.20, 39.10, 117.21, 39.11)


def nested_collection_wkb(depth: int) -> bytes:
    """A WKB GeometryCollection nested ``depth`` deep around one point (overflows GEOS's stack when decoded)."""
    head = b"".join(b"\x01" + struct.pack("<II", 7, 1) for _ in range(depth))
    return head + b"\x01" + struct.pack("<Idd", 1, 117.2, 39.1)


def geoparquet(path: Path, wkbs: list[bytes]) -> None:
    geo = {"version": "1.0.0", "primary_column": "geometry",
           "columns": {"geometry": {"encoding": "WKB", "geometry_types": []}}}
    table = pa.table({"geometry": pa.array(wkbs, pa.binary())}).replace_schema_metadata({"geo": json.dumps(geo)})
    pq.write_table(table, path)


def slow_geopackage(path: Path) -> None:
    """A GeoPackage whose only layer is a view that counts to 10^12 before yielding a row."""
    gpd.GeoDataFrame({"name": ["p"]}, geometry=[BOX], crs=4490).to_file(path, layer="project", driver="GPKG")
    with sqlite3.connect(path) as db:
        db.executescript("""
            CREATE VIEW slow AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000000000000)
              SELECT p.fid AS fid, p.geom AS geom FROM project p WHERE (SELECT max(x) FROM c) > 0;
            INSERT INTO gpkg_contents (table_name, data_type, identifier, srs_id) VALUES ('slow', 'features', 'slow', 4490);
            INSERT INTO gpkg_geometry_columns VALUES ('slow', 'geom', 'POLYGON', 4490, 0, 0);
            DELETE FROM gpkg_geometry_columns WHERE table_name = 'project';
            DELETE FROM gpkg_contents WHERE table_name = 'project';
        """)


def zipped(path: Path, member: str, data: bytes) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(member, data)
    path.write_bytes(buffer.getvalue())


def xlsx_with(path: Path, extra: dict[str, bytes], *, replace: dict[str, bytes] | None = None) -> None:
    """A real workbook (openpyxl) with ``extra`` members added and ``replace`` members swapped in."""
    import openpyxl
    buffer = io.BytesIO()
    book = openpyxl.Workbook()
    book.active.append(["点号", "X", "Y"])
    book.save(buffer)
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for item in source.infolist():
            out.writestr(item.filename, (replace or {}).get(item.filename, source.read(item.filename)))
        for name, data in extra.items():
            out.writestr(name, data)


LAUGHS = ('<?xml version="1.0"?><!DOCTYPE s [<!ENTITY a "aaaaaaaaaa">' + "".join(
    f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(8)) + ']><s>&i;</s>')
"""Entity expansion ("billion laughs"): 10^9 characters from a few hundred bytes."""


def deep_blocks_dxf(path: Path, depth: int) -> None:
    """A DXF whose one INSERT nests blocks ``depth`` deep (each block inserting the next)."""
    import ezdxf
    document = ezdxf.new()
    for level in range(depth):
        block = document.blocks.new(f"B{level}")
        if level + 1 < depth:
            block.add_blockref(f"B{level + 1}", (1, 1))
        else:
            block.add_lwpolyline([(0, 0), (10, 0), (10, 10)], close=True)
    document.modelspace().add_blockref("B0", (0, 0), dxfattribs={"layer": "红线"})
    document.saveas(path)


def corrupt_gdb_zip(path: Path, folder: Path) -> None:
    """A zipped File Geodatabase whose catalog table is cut short."""
    gdb = folder / "corrupt.gdb"
    gpd.GeoDataFrame({"name": ["p"]}, geometry=[BOX], crs=4490).to_file(gdb, layer="红线", driver="OpenFileGDB")
    with zipfile.ZipFile(path, "w") as archive:
        for item in sorted(gdb.iterdir()):
            data = item.read_bytes()
            archive.writestr(f"corrupt.gdb/{item.name}", data[: len(data) // 3] if item.name.endswith(".gdbtable") else data)
    for item in gdb.iterdir():
        item.unlink()
    gdb.rmdir()


HOSTILE = {
    "vrt_as.geojson": SECRET, "vrt_as.json": SECRET, "vrt_as.kml": SECRET, "gdalg_as.json": SECRET,
    "gdalg_as.geojson": SECRET, "vrt_in.zip": SECRET, "remote_vrt.geojson": None, "esri_link_crs.geojson": None,
    "nested_collection.parquet": None, "nested_collection.gpkg": None, "two_million_rows.parquet": None,
    "slow_view.gpkg": None, "huge_field.csv": None, "virtual_table.gpkg": SECRET,
    "bomb.xlsx": None, "external_link.xlsx": SECRET, "laughs.xlsx": None, "fake.xls": None, "corrupt_gdb.zip": None,
    "deep_blocks.dxf": None, "huge_arc.dxf": None, "utf16_laughs.kml": None, "unknown_type.ovkml": None,
}


def write_hostile(folder: Path) -> dict[str, str | None]:
    """Write every hostile file into ``folder``; ``HOSTILE``."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("vrt_as.geojson", "vrt_as.json", "vrt_as.kml"):
        (folder / name).write_text(VRT)
    for name in ("gdalg_as.json", "gdalg_as.geojson"):
        (folder / name).write_text(GDALG)
    zipped(folder / "vrt_in.zip", "project/x.geojson", VRT.encode())
    (folder / "remote_vrt.geojson").write_text(REMOTE_VRT)
    (folder / "esri_link_crs.geojson").write_text(json.dumps({
        "type": "FeatureCollection", "crs": {"type": "link", "properties": {"href": "http://127.0.0.1:9/crs", "type": "proj4"}},
        "features": [{"type": "Feature", "properties": {}, "geometry": shapely.geometry.mapping(BOX)}]}))
    geoparquet(folder / "nested_collection.parquet", [nested_collection_wkb(20_000)])
    geoparquet(folder / "two_million_rows.parquet", [shapely.to_wkb(shapely.Point(117.2, 39.1))] * 2_000_000)
    nested = folder / "nested_collection.gpkg"
    gpd.GeoDataFrame({"name": ["p"]}, geometry=[BOX], crs=4490).to_file(nested, layer="project", driver="GPKG")
    with sqlite3.connect(nested) as db:  # a GeoPackage geometry blob: 8-byte header, then the WKB
        for (trigger,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
            db.execute(f'DROP TRIGGER "{trigger}"')  # the spatial-index triggers need GDAL's SQL functions
        db.execute("UPDATE project SET geom = ?", (b"GP\x00\x01" + struct.pack("<i", 4490) + nested_collection_wkb(20_000),))
    slow_geopackage(folder / "slow_view.gpkg")
    virtual = folder / "virtual_table.gpkg"
    gpd.GeoDataFrame({"name": ["p"]}, geometry=[BOX], crs=4490).to_file(virtual, layer="project", driver="GPKG")
    with sqlite3.connect(virtual) as db:  # a virtual-table definition in the schema, as GDAL's VirtualOGR would read
        db.execute("PRAGMA writable_schema = ON")
        db.execute("INSERT INTO sqlite_master (type, name, tbl_name, rootpage, sql) VALUES ('table', 'passwd', 'passwd', 0, "
                   "'CREATE VIRTUAL TABLE passwd USING VirtualOGR(''/etc/passwd'')')")
    (folder / "huge_field.csv").write_text("x,y,name\n117.2,39.1," + "A" * 200_000 + "\n", encoding="utf-8")
    xlsx_with(folder / "bomb.xlsx", {"xl/worksheets/sheet9.xml": b" " * (50 * 1024 * 1024)})
    xlsx_with(folder / "external_link.xlsx", {
        "xl/externalLinks/externalLink1.xml": b'<externalLink xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
                                              b'2006/main"><externalBook r:id="rId1"/></externalLink>',
        "xl/externalLinks/_rels/externalLink1.xml.rels": b'<Relationships xmlns="http://schemas.openxmlformats.org/package/'
        b'2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        b'relationships/externalLinkPath" Target="file:///etc/passwd" TargetMode="External"/></Relationships>'})
    xlsx_with(folder / "laughs.xlsx", {}, replace={"xl/worksheets/sheet1.xml": LAUGHS.encode()})
    (folder / "fake.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\xff" * 4096)
    corrupt_gdb_zip(folder / "corrupt_gdb.zip", folder)
    deep_blocks_dxf(folder / "deep_blocks.dxf", 2_000)
    import ezdxf
    document = ezdxf.new()
    document.modelspace().add_circle((500_000, 4_330_000), 1e12, dxfattribs={"layer": "红线"})
    document.saveas(folder / "huge_arc.dxf")
    (folder / "utf16_laughs.kml").write_bytes(LAUGHS.replace("<s>", "<kml>").replace("</s>", "</kml>")
                                              .replace('<?xml version="1.0"?>', '<?xml version="1.0" encoding="UTF-16"?>')
                                              .encode("utf-16"))
    (folder / "unknown_type.ovkml").write_text(
        '<kml><Document><Placemark><OvCoordType>' + "M" * 10_000 + '</OvCoordType><Polygon><outerBoundaryIs><LinearRing>'
        '<coordinates>117.2,39.1 117.21,39.1 117.21,39.11 117.2,39.1</coordinates></LinearRing></outerBoundaryIs>'
        '</Polygon></Placemark></Document></kml>', encoding="utf-8")
    return HOSTILE


if __name__ == "__main__":
    write_hostile(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("hostile"))
