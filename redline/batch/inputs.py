"""The applications of a batch: read from a folder of files or a multi-feature file, each with its declarations.

Every file is read in a child process held to ``FILE_LIMITS``; a multi-feature input is read once, to
``TABLE_LIMITS``, and stored for the workers (``StoredTable``). An application's ``national_major`` and
``activity`` columns, when the input has them, are its declarations; a blank cell takes the batch's option.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import logging
import math
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import shapely
from pyproj import CRS

from redline.errors import InputError, RedlineError
from redline.io import FeatureTable, Project, applications_of, read_feature_table, read_project
from redline.io.cleaning import cleaned
from redline.io.formats import READABLE_SUFFIXES
from redline.isolation import Child, Limits, isolated, started
from redline.model import Options
from redline.parameters import DECLARATIONS, PARAMETERS, PARTICULARS

log = logging.getLogger(__name__)

FILE_LIMITS = Limits(seconds=60.0, memory_bytes=2 * 1024 ** 3)
"""What reading one application file may take (it is read in a child process, ``redline.isolation``)."""
TABLE_LIMITS = Limits(seconds=1800.0, memory_bytes=16 * 1024 ** 3)
"""What reading a multi-feature input may take (read once, in a child process)."""


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
    degrees: str | None = None



def read_inputs(inputs: list[Path], read: ReadOptions = ReadOptions(), *, meanwhile=lambda: None) -> tuple[list[Application],
                                                                                                           object]:
    """Every application of the inputs, in a deterministic order (folders sorted by file name); and what
    ``meanwhile()`` returned, run in this process while the first multi-feature input is read in its child (a batch
    loads its layers so)."""
    applications: list[Application] = []
    waiting = True
    for source in inputs:
        source = Path(source)
        if source.is_dir():
            for path in _folder_files(source):
                name = path.relative_to(source).with_suffix("").as_posix()
                applications.append(Application(len(applications), name, str(path)))
            continue
        reading = _start_table(str(source), read)
        if waiting:
            try:
                done, waiting = meanwhile(), False
            except BaseException:
                reading.stop()
                raise
        table = _keep_table(str(source), read, reading.result())
        applications += [Application(len(applications) + row, application_id, str(source), row)
                         for row, application_id in enumerate(table.ids)]
    if not applications:
        raise InputError(f"无可检查的申请 / no applications in {', '.join(str(s) for s in inputs)}: no file with one of the "
                         f"suffixes {', '.join(READABLE_SUFFIXES)} (sub-folders included)")
    ids = [a.id for a in applications]
    if len(set(ids)) < len(ids):
        raise InputError("各输入间申请编号重复 / application ids repeat across the inputs; give every application a "
                         "unique id")
    return applications, (meanwhile() if waiting else done)


SIDECARS = (".shx", ".dbf", ".prj", ".cpg", ".qix", ".sbn", ".sbx", ".qmd", ".fix", ".aux", ".xml")
"""Parts of a dataset read with it (a shapefile's index, attributes, CRS, encoding; metadata)."""


def _folder_files(folder: Path) -> list[Path]:
    """The readable files of a batch folder and of its sub-folders (one per project, as offices keep them), in order;
    every other file is named in a log line, never skipped without a word."""
    files, skipped = [], []
    for root, folders, names in os.walk(folder):
        here = Path(root)
        files += [here / name for name in folders if name.lower().endswith(".gdb")]  # a File Geodatabase is one input
        folders[:] = [name for name in folders if not name.lower().endswith(".gdb")]
        for name in names:
            path = here / name
            if path.suffix.lower() in READABLE_SUFFIXES:
                files.append(path)
            elif path.suffix.lower() not in SIDECARS:
                skipped.append(path.relative_to(folder).as_posix())
    files.sort()
    if skipped:
        skipped.sort()
        log.warning("跳过 %d 个无法读取的文件 / skipped %d file(s) redline does not read in %s: %s%s", len(skipped),
                    len(skipped), folder, ", ".join(skipped[:10]), " …" if len(skipped) > 10 else "")
    return files


CHUNK = 256
"""Applications checked together by a worker; a stored input's row group (``StoredTable``)."""


@dataclass(frozen=True)
class StoredTable:
    """A multi-feature input as read and checked in a child process, kept in a Parquet file of its own with row
    groups of ``CHUNK`` rows: the parent holds only the ids, a worker reads the rows of its chunk, and the result
    tables take the geometry bytes as they are. Read memory-mapped in the reading thread: the batch's workers already
    keep every core busy, so Arrow's reader threads would only compete with them."""

    path: Path
    """The input, as reports name it."""
    stored: Path
    ids: list[str]
    crs: str
    """The features' CRS (WKT): the file's, or the one given for it."""
    conversion: str | None = None
    warnings: tuple[dict, ...] = ()

    def rows(self, numbers) -> FeatureTable:
        """The features at row ``numbers`` (in that order) as a ``FeatureTable``."""
        stored = pq.ParquetFile(self.stored, metadata=_metadata(self.stored), memory_map=True)
        starts = np.cumsum([0] + [stored.metadata.row_group(g).num_rows for g in range(stored.num_row_groups)])
        numbers = np.asarray(numbers, dtype=np.int64)
        group_of = np.searchsorted(starts, numbers, side="right") - 1
        groups, inverse = np.unique(group_of, return_inverse=True)
        first = np.cumsum(np.r_[0, starts[groups + 1] - starts[groups]])[:-1]  # where each group starts when read
        positions = first[inverse] + numbers - starts[group_of]
        table = stored.read_row_groups(groups.tolist(), use_threads=False).take(positions)
        geometries = shapely.from_wkb(table.column(GEOMETRY).to_numpy(zero_copy_only=False))
        frame = gpd.GeoDataFrame(table.drop_columns([GEOMETRY]).to_pandas(), geometry=geometries, crs=_crs(self.crs))
        return FeatureTable(self.path, frame, [self.ids[n] for n in numbers.tolist()], self.conversion, self.warnings)

    def wkb(self) -> pa.ChunkedArray:
        """The geometry of every row, as WKB in the features' CRS."""
        return pq.read_table(self.stored, columns=[GEOMETRY], memory_map=True, use_threads=False).column(GEOMETRY)


@functools.cache
def _metadata(stored: Path) -> pq.FileMetaData:
    """A stored input's Parquet footer, read once per process (it never changes)."""
    return pq.read_metadata(stored)


@functools.cache
def _crs(wkt: str) -> CRS:
    return CRS.from_wkt(wkt)


GEOMETRY = "geometry"
DECLARATION_COLUMNS = tuple(parameter.name for parameter in DECLARATIONS if parameter.batch_column)
"""The declarations an application of a table may make in its own columns (``redline.parameters``)."""
PARTICULAR_COLUMNS = {parameter.name: (parameter.name, parameter.zh) for parameter in PARTICULARS if parameter.batch_column}
"""The particulars (申请单位, 文号, 项目代码) an application may give in its own attributes, for its documents and the
ledger: each in a column named by its keyword or its Chinese label (``project_code`` or ``项目代码``)."""
KEPT_COLUMNS = ("name", "NAME", "项目名称", "名称", *DECLARATION_COLUMNS,
                *(column for columns in PARTICULAR_COLUMNS.values() for column in columns))
"""What a worker needs of an input's attributes: the project name, the declarations and the particulars."""

_TABLES: dict[tuple, StoredTable] = {}
_STORE: list[tempfile.TemporaryDirectory] = []
_NUMBERS = itertools.count()


def table_of(path: str, read: ReadOptions) -> StoredTable:
    """A multi-feature input, read and stored once per process (a batch reads each of its inputs anew, in
    ``read_inputs``, and its workers then take that table: a file written again at the same path is never answered
    from an earlier read)."""
    stored = _TABLES.get(_table_key(path, read))
    return stored if stored is not None else _keep_table(path, read, _start_table(path, read).result())


def _table_key(path: str, read: ReadOptions) -> tuple:
    return path, read.id_field, read.crs, read.encoding, read.degrees


def _start_table(path: str, read: ReadOptions) -> Child:
    """The child that reads and stores a multi-feature input (``_stored_table``), started."""
    if not _STORE:
        _STORE.append(tempfile.TemporaryDirectory(prefix=f"redline-inputs-{os.getpid()}-"))
    stored = Path(_STORE[0].name) / f"{next(_NUMBERS)}.parquet"
    return started(_stored_table, path, stored, read, limits=TABLE_LIMITS, label=path)


def _keep_table(path: str, read: ReadOptions, table: StoredTable) -> StoredTable:
    """``table`` as this process's read of ``path``, in place of an earlier one (whose stored file goes)."""
    earlier = _TABLES.get(_table_key(path, read))
    _TABLES[_table_key(path, read)] = table
    if earlier is not None and earlier.stored != table.stored:
        earlier.stored.unlink(missing_ok=True)
    return table


def _stored_table(path: str, stored: Path, read: ReadOptions) -> StoredTable:
    """Run in the child that reads an input: read and check it (``read_feature_table``), store what the workers
    need of it."""
    table = read_feature_table(path, id_field=read.id_field, crs=read.crs, encoding=read.encoding, degrees=read.degrees)
    frame = table.frame
    columns = {column: _storable(frame[column]) for column in KEPT_COLUMNS if column in frame.columns}
    geometries = np.asarray(frame.geometry.values, dtype=object)
    schema = pa.schema([*(pa.field(name, values.type) for name, values in columns.items()), pa.field(GEOMETRY, pa.binary())])
    with pq.ParquetWriter(stored, schema, compression="none") as writer:  # read back soon, locally
        for first in range(0, len(frame), CHUNK):  # a row group at a time: the WKB is never all held at once
            rows = slice(first, first + CHUNK)
            writer.write_table(pa.table([*(values[rows] for values in columns.values()),
                                         pa.array(shapely.to_wkb(geometries[rows]), type=pa.binary())], schema=schema))
    return StoredTable(table.path, stored, table.ids, frame.crs.to_wkt(), table.conversion, table.warnings)


def _storable(values: pd.Series) -> pa.Array:
    """An attribute column as Arrow: numbers and booleans as they are, anything else as text (a missing value, None,
    NaN or NA, stays missing)."""
    if values.dtype.kind in "biuf":
        return pa.array(values.to_numpy())
    return pa.array([str(value) for value in values.to_numpy(dtype=object)], type=pa.string(), mask=values.isna().to_numpy())


def chunk_tables(chunk: list[Application], read: ReadOptions) -> dict[str, FeatureTable]:
    """The chunk's rows of each multi-feature input, as small tables in chunk order, read from the stored inputs
    (``table_of``): a worker reads what it checks, the parent never holds the geometries."""
    rows: dict[str, list[int]] = {}
    for application in chunk:
        if application.row is not None:
            rows.setdefault(application.source, []).append(application.row)
    return {source: table_of(source, read).rows(numbers) for source, numbers in rows.items()}


def projects(chunk: list[Application], read: ReadOptions, tables: dict[str, FeatureTable],
             options: Options) -> dict[int, tuple[Project, Options, dict[str, str]] | str]:
    """Each application's project, declarations (``options`` where it declares nothing) and particulars, or the error
    reading it, by order; ``tables`` from ``chunk_tables``."""
    found: dict[int, tuple[Project, Options, dict[str, str]] | str] = {}
    by_table: dict[str, list[Application]] = {}
    for application in chunk:
        if application.row is None:
            try:
                project = isolated(read_project, application.source, crs=read.crs, encoding=read.encoding, degrees=read.degrees,
                                   repair=read.repair, limits=FILE_LIMITS, label=application.source)
                declared = declarations(project.source.attributes, options, where=application.source)
                found[application.order] = (dataclasses.replace(project, source=None), declared,
                                            particulars(project.source.attributes))
            except RedlineError as error:
                found[application.order] = str(error)
        else:
            by_table.setdefault(application.source, []).append(application)
    for source, members in by_table.items():
        table = tables[source]
        kept = {column: table.frame[column].to_numpy() for column in KEPT_COLUMNS if column in table.frame.columns}
        for row, (application, (_, result)) in enumerate(zip(members, applications_of(table, repair=read.repair))):
            try:
                if isinstance(result, Exception):
                    raise result
                attributes = {column: values[row:row + 1] for column, values in kept.items()}
                found[application.order] = (result, declarations(attributes, options, where=f"{source} {application.id}"),
                                            particulars(attributes))
            except RedlineError as error:
                found[application.order] = str(error)
    return found


YES, NO = ("true", "1", "yes", "y", "是", "t"), ("false", "0", "no", "n", "否", "f")


def particulars(attributes: dict[str, np.ndarray]) -> dict[str, str]:
    """An application's particulars (``PARTICULAR_COLUMNS``) from its attributes, cleaned like any text read; where its
    features give several, all of them (``、``), none dropped unsaid."""
    found = {}
    for name, columns in PARTICULAR_COLUMNS.items():
        cells = (_cell(value, lower=False) for column in columns for value in attributes.get(column, []))
        values = dict.fromkeys(text for text in cells if text)
        if values:
            found[name] = cleaned("、".join(values))[0]
    return found


def declarations(attributes: dict[str, np.ndarray], options: Options, *, where: str) -> Options:
    """``options`` with the application's own declarations (``DECLARATION_COLUMNS``, one value over its features)."""
    declared = {}
    for column in DECLARATION_COLUMNS:
        values = {_cell(value) for value in attributes.get(column, [])} - {""}
        if len(values) > 1:
            raise InputError(f"{where}: {column} 各要素不一致 / {column} differs between the features ({sorted(values)}); "
                             "one application, one declaration")
        if values:
            declared[column] = _declared(column, values.pop(), where)
    return dataclasses.replace(options, **declared) if declared else options


def _cell(value, *, lower: bool = True) -> str:
    """A cell as text: blank for a missing value; a declaration's lower-cased, without a float's ".0"."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return ""
    return str(value).strip().lower().removesuffix(".0") if lower else str(value).strip()


def _declared(column: str, text: str, where: str):
    """The value of a declaration column's cell, read as its parameter's type and bounds say."""
    parameter = PARAMETERS[column]
    if parameter.kind is bool:
        if text in YES or text in NO:
            return text in YES
        raise InputError(f"{where}: {column} 列 {text!r} 不是 是/否 / is not yes or no (true/false, 1/0, 是/否)")
    try:
        value = parameter.kind(text)
    except ValueError:
        value = None
    low = -math.inf if parameter.minimum is None else parameter.minimum
    high = math.inf if parameter.maximum is None else parameter.maximum
    if value is None or not math.isfinite(value) or not low <= value <= high:
        bounds = f"{parameter.minimum:g}–{parameter.maximum:g}" if parameter.maximum is not None else f"≥ {low:g}"
        raise InputError(f"{where}: {column} 列 {text!r} 不是有效的{parameter.zh}（{bounds}） / is not a valid "
                         f"{parameter.en} ({bounds})")
    return value
