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
from redline.report.tables import Layout, csv_text, layout, report_hits, table_row, workbook_xlsx


def write_tables(outdir: Path, applications: list[Application], rows: dict[int, tuple], read: ReadOptions,
                 columns: Layout) -> None:
    ordered = [rows[application.order] for application in applications]
    errors = [(row[0], row[3]) for row in ordered if row[1] == "error"]  # id, error (``RESULT_COLUMNS``)
    write_atomic(outdir / "results.csv", csv_text(columns.header, ordered))
    write_atomic(outdir / "errors.csv", csv_text(["id", "error"], errors))
    table = dict(zip(columns.header, map(list, zip(*ordered)))) if ordered else dict.fromkeys(columns.header, [])
    frame = gpd.GeoDataFrame(table, geometry=_footprints(applications, read), crs="EPSG:4490")
    with atomic_path(outdir / "results.gpkg") as temporary:
        frame.to_file(temporary, layer="results", driver="GPKG")


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
    columns = layout(rules)
    rows, hits = [], []
    with open(outdir / JOURNAL, encoding="utf-8") as journal:
        for line in journal:
            record = orjson.loads(line)
            rows.append(table_row(record, columns))
            if "report" in record:
                hits.append((record["order"], report_hits(record["id"], record["report"])))
    ordered = [row for _, row in sorted(rows, key=lambda item: item[0])]
    found = [hit for _, each in sorted(hits, key=lambda item: item[0]) for hit in each]
    by_id = {rule.RULE.id: rule.RULE for rule in rules}
    write_atomic(path, workbook_xlsx(columns.header, ordered, found, by_id, lang=lang))
    return len(ordered)
