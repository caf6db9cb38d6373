"""The applications of a batch: read from a folder of files or a multi-feature file, each with its declarations.

Every file is read in a child process held to ``FILE_LIMITS`` (a multi-feature input once, to
``TABLE_LIMITS``). An application's ``national_major`` and ``activity`` columns, when the input has them,
are its declarations; a blank cell takes the batch's option.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from redline.errors import InputError, RedlineError
from redline.io import FeatureTable, Project, applications_of, read_feature_table, read_project
from redline.isolation import Limits, isolated
from redline.model import Options

FILE_LIMITS = Limits(seconds=60.0, memory_bytes=2 * 1024 ** 3)
"""What reading one application file may take (it is read in a child process, ``redline.isolation``)."""
TABLE_LIMITS = Limits(seconds=1800.0, memory_bytes=16 * 1024 ** 3)
"""What reading a multi-feature input may take (read once, in a child process)."""
FILE_SUFFIXES = (".geojson", ".json", ".gpkg", ".parquet", ".shp", ".zip", ".kml", ".kmz", ".csv", ".txt", ".dxf", ".fgb")


@dataclass(frozen=True)
class Application:
    """One application: its position in the input, id, and where it is read from.

    ``row`` is its feature in a multi-feature file; None when the whole file is the application.
    Workers read it, so the parent never holds the footprints.
    """

    order: int
    id: str
    source: str
    row: int | None = None


@dataclass(frozen=True)
class ReadOptions:
    """How to read the inputs (see ``read_project``)."""

    id_field: str = "id"
    crs: str | None = None
    encoding: str | None = None
    repair: bool = False



def read_inputs(inputs: list[Path], read: ReadOptions = ReadOptions()) -> list[Application]:
    """Every application of the inputs, in a deterministic order (folders sorted by file name)."""
    applications: list[Application] = []
    for source in inputs:
        source = Path(source)
        if source.is_dir():
            for path in sorted(p for p in source.iterdir() if p.suffix.lower() in FILE_SUFFIXES and p.is_file()):
                applications.append(Application(len(applications), path.stem, str(path)))
        else:
            table = table_of(str(source), read)
            applications += [Application(len(applications) + row, application_id, str(source), row)
                             for row, application_id in enumerate(table.ids)]
    ids = [a.id for a in applications]
    if len(set(ids)) < len(ids):
        raise InputError("application ids repeat across the inputs; give every application a unique id")
    return applications


_TABLES: dict[tuple, FeatureTable] = {}


def table_of(path: str, read: ReadOptions) -> FeatureTable:
    """A multi-feature input, read once per process."""
    key = (path, read.id_field, read.crs, read.encoding)
    if key not in _TABLES:
        _TABLES[key] = isolated(read_feature_table, path, id_field=read.id_field, crs=read.crs, encoding=read.encoding,
                                limits=TABLE_LIMITS, label=path)
    return _TABLES[key]


def chunk_tables(chunk: list[Application], read: ReadOptions) -> dict[str, FeatureTable]:
    """The chunk's rows of each multi-feature input, as small tables in chunk order: what a worker needs
    of the inputs (the parent reads each input once; workers never hold a whole table)."""
    rows: dict[str, list[int]] = {}
    for application in chunk:
        if application.row is not None:
            rows.setdefault(application.source, []).append(application.row)
    tables = {}
    for source, numbers in rows.items():
        table = table_of(source, read)
        tables[source] = FeatureTable(table.path, table.frame.iloc[numbers].reset_index(drop=True),
                                      [table.ids[row] for row in numbers], table.conversion, table.warnings)
    return tables




def projects(chunk: list[Application], read: ReadOptions, tables: dict[str, FeatureTable],
             options: Options) -> dict[int, tuple[Project, Options] | str]:
    """Each application's project and declarations (``options`` where it declares nothing), or the error reading
    it, by order; ``tables`` from ``chunk_tables``."""
    found: dict[int, tuple[Project, Options] | str] = {}
    by_table: dict[str, list[Application]] = {}
    for application in chunk:
        if application.row is None:
            try:
                project = isolated(read_project, application.source, crs=read.crs, encoding=read.encoding,
                                   repair=read.repair, limits=FILE_LIMITS, label=application.source)
                declared = declarations(project.source.attributes, options, where=application.source)
                found[application.order] = (dataclasses.replace(project, source=None), declared)
            except RedlineError as error:
                found[application.order] = str(error)
        else:
            by_table.setdefault(application.source, []).append(application)
    for source, members in by_table.items():
        table = tables[source]
        for row, (application, (_, result)) in enumerate(zip(members, applications_of(table, repair=read.repair))):
            try:
                if isinstance(result, Exception):
                    raise result
                attributes = {column: table.frame[column].to_numpy()[row:row + 1] for column in DECLARATION_COLUMNS
                              if column in table.frame.columns}
                found[application.order] = (result, declarations(attributes, options, where=f"{source} {application.id}"))
            except RedlineError as error:
                found[application.order] = str(error)
    return found


DECLARATION_COLUMNS = ("national_major", "activity")
YES, NO = ("true", "1", "yes", "y", "是", "t"), ("false", "0", "no", "n", "否", "f")


def declarations(attributes: dict[str, np.ndarray], options: Options, *, where: str) -> Options:
    """``options`` with the application's own ``national_major`` / ``activity`` (one value over its features)."""
    declared = {}
    for column in DECLARATION_COLUMNS:
        values = {_cell(value) for value in attributes.get(column, [])} - {""}
        if len(values) > 1:
            raise InputError(f"{where}: {column} 各要素不一致 / {column} differs between the features ({sorted(values)}); "
                             "one application, one declaration")
        if values:
            declared[column] = _declared(column, values.pop(), where)
    return dataclasses.replace(options, **declared)


def _cell(value) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return ""
    return str(value).strip().lower().removesuffix(".0")


def _declared(column: str, text: str, where: str):
    if column == "national_major":
        if text in YES or text in NO:
            return text in YES
        raise InputError(f"{where}: national_major={text!r} 不是 是/否 / is not yes or no (true/false, 1/0, 是/否)")
    if text.isdigit() and 1 <= int(text) <= 10:
        return int(text)
    raise InputError(f"{where}: activity={text!r} 不是 1–10 / is not one of the 10 allowed activities (1–10)")
