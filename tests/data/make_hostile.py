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


HOSTILE = {
    "vrt_as.geojson": SECRET, "vrt_as.json": SECRET, "vrt_as.kml": SECRET, "gdalg_as.json": SECRET,
    "gdalg_as.geojson": SECRET, "vrt_in.zip": SECRET, "remote_vrt.geojson": None, "esri_link_crs.geojson": None,
    "nested_collection.parquet": None, "nested_collection.gpkg": None, "two_million_rows.parquet": None,
    "slow_view.gpkg": None, "huge_field.csv": None, "virtual_table.gpkg": SECRET,
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
    return HOSTILE


if __name__ == "__main__":
    write_hostile(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("hostile"))
