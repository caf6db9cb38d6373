"""The batch's result tables: ``results.csv``, ``errors.csv`` and ``results.gpkg``, written atomically at the end.

One row per application in input order: ``RESULT_COLUMNS``, then ``<rule>_status`` and ``<rule>_<figure>``
for each rule. Text cells a spreadsheet would run as formulas are neutralised.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import shapely

from redline.batch.inputs import FILE_LIMITS, Application, ReadOptions, table_of
from redline.crs import CGCS2000
from redline.errors import RedlineError
from redline.io import read_project
from redline.io.files import atomic_path, write_atomic
from redline.isolation import isolated

RESULT_COLUMNS = ("id", "verdict", "area_m2", "error", "national_major", "activity")
"""Leading columns of results.csv; then ``<rule>_status`` and ``<rule>_<figure>`` for each rule."""


@dataclass(frozen=True)
class Layout:
    """The columns of the result tables: ``RESULT_COLUMNS``, then each rule's status and headline figure."""

    figures: dict[str, str]
    """Rule id → its headline figure."""
    header: tuple[str, ...]


def layout(layers) -> Layout:
    """The tables' layout for every rule the layers are checked against (``LayerSet.rules``)."""
    figures = {rule.RULE.id: rule.RULE.figure for rule in layers.rules}
    return Layout(figures, RESULT_COLUMNS + tuple(f"{rule}_{part}" for rule, figure in figures.items()
                                                  for part in ("status", figure)))


def table_row(record: dict, columns: Layout) -> tuple[int, tuple]:
    """The order and the flat results row (values in ``columns.header`` order; a tuple, as a batch holds many)
    of one journal record."""
    row = dict.fromkeys(columns.header, "")
    row["id"] = record["id"]
    if "error" in record:
        row.update(verdict="error", error=record["error"])
        return record["order"], tuple(row.values())
    report = record["report"]
    row.update(verdict=report["verdict"], area_m2=round(report["project"]["area_m2"], 3),
               national_major=report["options"]["national_major"], activity=report["options"]["activity"] or "")
    for finding in report["findings"]:
        figure = columns.figures.get(finding["rule"])
        if figure is None:  # a report of a rule no longer checked: its status is in reports.jsonl only
            continue
        row[f"{finding['rule']}_status"] = finding["status"]
        if figure in finding["measures"]:
            row[f"{finding['rule']}_{figure}"] = round(finding["measures"][figure], 3)
    return record["order"], tuple(row.values())


def write_tables(outdir: Path, applications: list[Application], rows: dict[int, tuple], read: ReadOptions,
                 columns: Layout) -> None:
    ordered = [rows[application.order] for application in applications]
    errors = [(row[0], row[3]) for row in ordered if row[1] == "error"]  # id, error (``RESULT_COLUMNS``)
    write_atomic(outdir / "results.csv", _csv(columns.header, ordered))
    write_atomic(outdir / "errors.csv", _csv(["id", "error"], errors))
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


def _csv(header, rows) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([_spreadsheet_safe(value) for value in row] for row in rows)
    return buffer.getvalue()


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _spreadsheet_safe(value):
    """A text cell that a spreadsheet would run as a formula (``=HYPERLINK(…)``) gets a leading apostrophe
    (the OWASP CSV-injection rule); numbers stay numbers."""
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_STARTS) else value


