"""The batch's result tables: ``results.csv``, ``errors.csv`` and ``results.gpkg``, written atomically at the end.

One row per application in input order, laid out by ``redline.report.tables``.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import orjson
import shapely

from redline.batch.inputs import FILE_LIMITS, Application, ReadOptions, table_of
from redline.batch.journal import JOURNAL
from redline.crs import CGCS2000
from redline.errors import RedlineError
from redline.io import read_project
from redline.io.files import atomic_path, write_atomic
from redline.isolation import isolated
from redline.report.tables import Layout, csv_text, layout, workbook_xlsx

TABLES = ("csv", "gpkg", "parquet")
"""The result tables a batch can write: ``results.csv``, ``results.gpkg`` and the GeoParquet ``results.parquet``
(the last two with each application's boundary); ``errors.csv`` is always written."""


def write_tables(outdir: Path, applications: list[Application], rows: dict[int, tuple], read: ReadOptions,
                 columns: Layout, tables=TABLES) -> None:
    """The result tables of ``tables`` (``TABLES``) and errors.csv, each written atomically."""
    ordered = [rows[application.order] for application in applications]
    errors = [(row[0], row[3]) for row in ordered if row[1] == "error"]  # id, error (``RESULT_COLUMNS``)
    if "csv" in tables:
        write_atomic(outdir / "results.csv", csv_text(columns.header, ordered))
    write_atomic(outdir / "errors.csv", csv_text(["id", "error"], errors))
    if not {"gpkg", "parquet"} & set(tables):
        return
    cells = [[None if value == "" else value for value in column] for column in zip(*ordered)]  # "" is NULL here
    table = dict(zip(columns.header, cells)) if ordered else dict.fromkeys(columns.header, [])
    frame = gpd.GeoDataFrame(table, geometry=_footprints(applications, read), crs="EPSG:4490")
    if "gpkg" in tables:
        with atomic_path(outdir / "results.gpkg") as temporary:
            frame.to_file(temporary, layer="results", driver="GPKG", engine="pyogrio", use_arrow=True)
    if "parquet" in tables:
        with atomic_path(outdir / "results.parquet") as temporary:
            frame.to_parquet(temporary, index=False)


def _footprints(applications: list[Application], read: ReadOptions) -> list:
    """Each application's boundary as drawn (not densified), in CGCS2000, for results.gpkg; None if unreadable."""
    tables = {source: _in_cgcs2000(table_of(source, read).frame.geometry).values
              for source in {a.source for a in applications if a.row is not None}}
    geometries = []
    for application in applications:
        if application.row is not None:
            geometries.append(tables[application.source][application.row])
            continue
        try:
            project = isolated(read_project, application.source, crs=read.crs, encoding=read.encoding,
                               repair=read.repair, limits=FILE_LIMITS, label=application.source)
            geometries.append(shapely.union_all(project.source.to_frame().to_crs(4490).geometry.values))
        except RedlineError:
            geometries.append(None)
    return geometries


def _in_cgcs2000(geometries: gpd.GeoSeries) -> gpd.GeoSeries:
    return geometries if geometries.crs is not None and geometries.crs.equals(CGCS2000) else geometries.to_crs(CGCS2000)


def write_workbook(outdir: Path, path: Path, rules, *, lang: str = "zh") -> int:
    """The statistics workbook of the batch in ``outdir`` (``redline.report.tables.workbook_xlsx``), from its
    journal: every application in input order, and the features each hit; the number of applications."""
    with open(outdir / JOURNAL, encoding="utf-8") as journal:
        records = sorted(map(orjson.loads, journal), key=lambda record: record["order"])
    hits = [(record["id"], *hit) for record in records for hit in record["hits"]]
    by_id = {rule.RULE.id: rule.RULE for rule in rules}
    write_atomic(path, workbook_xlsx(layout(rules).header, [record["row"] for record in records], hits, by_id, lang=lang))
    return len(records)
