"""The batch's result tables: ``results.csv``, ``errors.csv`` and ``results.gpkg``, written atomically at the end.

One row per application in input order, laid out by ``redline.report.tables``.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import geopandas as gpd
import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pyogrio
import shapely
from pyproj import CRS

from redline.batch.inputs import GEOMETRY, Application, ReadOptions, table_of
from redline.batch.journal import JOURNAL, footprints
from redline.crs import CGCS2000
from redline.io.files import atomic_path, write_atomic
from redline.parameters import spelled
from redline.report.tables import Layout, csv_text, identity, layout, workbook_xlsx

TABLES = ("csv", "gpkg", "parquet")
"""The result tables a batch can write: ``results.csv``, ``results.gpkg`` and the GeoParquet ``results.parquet``
(the last two with each application's boundary); ``errors.csv`` is always written."""


def write_tables(outdir: Path, applications: list[Application], rows: dict[int, tuple], read: ReadOptions,
                 columns: Layout, tables=TABLES, spelling=None) -> None:
    """The result tables of ``tables`` (``TABLES``) and errors.csv, each written atomically, side by side in threads
    (GDAL, Arrow and the disk work without Python's lock). The two with geometry are written from one Arrow table
    (pyarrow, pyogrio's Arrow writer): the boundaries' WKB goes from the stored inputs to the files without being
    decoded. ``spelling`` (``redline.parameters.cli_spelling``, say) respells the parameters error texts name.
    """
    ordered = [rows[application.order] for application in applications]
    if spelling is not None:  # the error texts name the library's keywords (crs=…) as the front that ran the batch does
        ordered = [(*row[:3], spelled(row[3], spelling), *row[4:]) if row[1] == "error" else row for row in ordered]
    errors = [(row[0], row[3]) for row in ordered if row[1] == "error"]  # id, error (``RESULT_COLUMNS``)
    with ThreadPoolExecutor(4) as pool:
        written = [pool.submit(write_atomic, outdir / "errors.csv", csv_text(["id", "error"], errors, free=FREE_TEXT))]
        if {"gpkg", "parquet"} & set(tables):
            geometry = pool.submit(_footprints, applications, read, outdir)  # read from disk while the columns are made
            values = list(zip(*ordered)) if ordered else [()] * len(columns.header)
            cells = {name: _column(column) for name, column in zip(columns.header, values)}
            table = pa.table({**cells, GEOMETRY: geometry.result()})
            if "gpkg" in tables:
                written.append(pool.submit(_write_geopackage, outdir / "results.gpkg", table,
                                           _geometry_type(table.column(GEOMETRY))))
            if "parquet" in tables:
                written.append(pool.submit(_write_geoparquet, outdir / "results.parquet", table))
        if "csv" in tables:
            write_atomic(outdir / "results.csv", csv_text(columns.header, ordered, free=FREE_TEXT))
        for future in written:
            future.result()


def _write_geopackage(path: Path, table: pa.Table, geometry_type: str) -> None:
    with atomic_path(path) as temporary:
        pyogrio.write_arrow(table, temporary, layer="results", driver="GPKG", geometry_name=GEOMETRY,
                            geometry_type=geometry_type, crs=CGCS2000.to_wkt())


def _write_geoparquet(path: Path, table: pa.Table) -> None:
    with atomic_path(path) as temporary:
        pq.write_table(table.replace_schema_metadata({b"geo": orjson.dumps(_geoparquet_metadata())}), temporary)


FREE_TEXT = ("id", "error")
"""The columns whose text comes from the inputs (the rest are codes and numbers redline writes)."""


def _column(cells) -> pa.Array:
    """A results column as Arrow: "" (not applicable) is null; a column of nothing but nulls is text."""
    array = pa.array([None if value == "" else value for value in cells])
    return array.cast(pa.string()) if pa.types.is_null(array.type) else array


def _footprints(applications: list[Application], read: ReadOptions, outdir: Path) -> pa.ChunkedArray:
    """Each application's boundary, in CGCS2000, as WKB, for the geometry tables: a table row's as drawn (its stored
    WKB, never decoded when the input is CGCS2000 already), a file's as checked (from the journal: the file is never
    read again); null when it could not be checked."""
    tables = {}
    for source in {a.source for a in applications if a.row is not None}:
        stored = table_of(source, read)
        wkb = stored.wkb()  # a chunk per row group, as read: 250 MB for 100,000 boundaries is not copied again
        if not CRS.from_user_input(stored.crs).equals(CGCS2000):
            drawn = gpd.GeoSeries(shapely.from_wkb(wkb.to_numpy(zero_copy_only=False)), crs=stored.crs)
            wkb = pa.chunked_array([shapely.to_wkb(drawn.to_crs(CGCS2000).values)], type=pa.binary())
        tables[source] = wkb
    if len(tables) == 1 and all(application.row == number for number, application in enumerate(applications)):
        return next(iter(tables.values()))  # one input file, every row in its order: the common batch
    checked = footprints(outdir) if any(application.row is None for application in applications) else {}
    rows = {source: wkb.combine_chunks() for source, wkb in tables.items()}  # a row by its number, not chunk by chunk
    return pa.chunked_array([pa.array([rows[application.source][application.row].as_py() if application.row is not None
                                       else checked.get(application.order) for application in applications],
                                      type=pa.binary())])


def _geometry_type(wkb: pa.ChunkedArray) -> str:
    """The GeoPackage geometry type of the WKB column: the one type all share, else "Unknown" (read from each
    value's first five bytes, byte order and type code, as arrays: the geometries never become Python objects)."""
    kinds = set()
    for chunk in wkb.chunks:
        heads = pc.binary_slice(pc.drop_null(chunk), 0, 5)
        heads = heads.filter(pc.equal(pc.binary_length(heads), 5)).cast(pa.binary(5))
        raw = np.frombuffer(heads.buffers()[1], np.uint8, count=5 * len(heads), offset=5 * heads.offset).reshape(-1, 5)
        codes = np.ascontiguousarray(raw[:, 1:])
        code = np.where(raw[:, 0] == 1, codes.view("<u4").ravel(), codes.view(">u4").ravel())
        kinds |= set(((code & 0x0FFFFFFF) % 1000).tolist())
    return {3: "Polygon", 6: "MultiPolygon"}.get(kinds.pop(), "Unknown") if len(kinds) == 1 else "Unknown"


def _geoparquet_metadata() -> dict:
    """GeoParquet 1.1 ``geo`` metadata for the results: one WKB column in CGCS2000."""
    return {"version": "1.1.0", "primary_column": GEOMETRY,
            "columns": {GEOMETRY: {"encoding": "WKB", "geometry_types": [], "crs": CGCS2000.to_json_dict()}}}


def write_workbook(outdir: Path, path: Path, rules, *, lang: str = "zh") -> int:
    """The statistics workbook of the batch in ``outdir`` (``redline.report.tables.workbook_xlsx``), from its
    journal: every application in input order, and the features each hit; the number of applications."""
    with open(outdir / JOURNAL, encoding="utf-8") as journal:
        records = sorted(map(orjson.loads, journal), key=lambda record: record["order"])
    hits = [(record["id"], *hit) for record in records for hit in record["hits"]]
    by_id = {rule.RULE.id: rule.RULE for rule in rules}
    identities = [record.get("ledger") or identity(None, {}) for record in records]  # (a journal of before the ledger)
    write_atomic(path, workbook_xlsx(layout(rules).header, [record["row"] for record in records], hits, by_id,
                                     identities=identities, lang=lang))
    return len(records)
