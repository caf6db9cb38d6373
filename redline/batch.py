"""batch(): check many applications unattended, in worker processes, resumable after a kill.

Input: a folder of files (one application each, id = file name without suffix), or one multi-feature
file (one application per feature; id from ``id_field``). Applications are checked in chunks; each
worker loads the layers once and checks a whole chunk with ``check_many`` (one bulk query per layer).

Nothing is lost: an application that cannot be checked becomes an error row and the batch goes on.
Every finished chunk is appended to ``reports.jsonl`` (one line per application, in input order) and
flushed to disk before the next; a batch started again with the same arguments skips what the journal
holds (a line cut by a kill is dropped and redone), so the final outputs equal an uninterrupted run's.
The tables (``results.csv``, ``results.gpkg``, ``errors.csv``) are written atomically at the end.
"""

from __future__ import annotations

import csv
import ctypes
import ctypes.util
import dataclasses
import hashlib
import io
import json
import logging
import multiprocessing
import os
import re
import sys
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import orjson
import shapely

from redline.crs import CGCS2000
from redline.errors import InputError, RedlineError
from redline.io import FeatureTable, Project, applications_of, ensure_in_region, read_feature_table, read_project
from redline.io.files import atomic_path, write_atomic
from redline.isolation import Limits, die_with_parent, isolated
from redline.layers import LayerSet, load_layers
from redline.model import Options
from redline.pipeline import check_each, check_many
from redline.report.json import compact_json

log = logging.getLogger(__name__)

CHUNK = 256
FILE_LIMITS = Limits(seconds=60.0, memory_bytes=2 * 1024 ** 3)
"""What reading one application file may take (it is read in a child process, ``redline.isolation``)."""
TABLE_LIMITS = Limits(seconds=1800.0, memory_bytes=16 * 1024 ** 3)
"""What reading a multi-feature input may take (read once, in a child process)."""
JOURNAL = "reports.jsonl"
STATE = "batch.json"
FILE_SUFFIXES = (".geojson", ".json", ".gpkg", ".parquet", ".shp", ".zip", ".kml", ".kmz", ".csv", ".txt", ".dxf", ".fgb")
RESULT_COLUMNS = ("id", "verdict", "area_m2", "error")
"""Leading columns of results.csv; then ``<rule>_status`` and ``<rule>_<figure>`` for each rule."""
RULE_FIGURES = {"redline": "area_m2", "farmland": "permanent_area_mu", "coastline": "natural_within_setback_length_m",
                "reclamation": "area_m2", "urban_boundary": "outside_area_m2", "river_lake": "area_m2",
                "nature_reserves": "core_area_m2", "zoning": "priority_area_m2"}


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


@dataclass(frozen=True)
class Summary:
    """What a batch did: counts per verdict, errors, how many were already done, seconds taken."""

    total: int
    verdicts: dict[str, int]
    errors: int
    resumed: int
    seconds: float


def read_inputs(inputs: list[Path], read: ReadOptions = ReadOptions()) -> list[Application]:
    """Every application of the inputs, in a deterministic order (folders sorted by file name)."""
    applications: list[Application] = []
    for source in inputs:
        source = Path(source)
        if source.is_dir():
            for path in sorted(p for p in source.iterdir() if p.suffix.lower() in FILE_SUFFIXES and p.is_file()):
                applications.append(Application(len(applications), path.stem, str(path)))
        else:
            table = _table(str(source), read)
            applications += [Application(len(applications) + row, application_id, str(source), row)
                             for row, application_id in enumerate(table.ids)]
    ids = [a.id for a in applications]
    if len(set(ids)) < len(ids):
        raise InputError("application ids repeat across the inputs; give every application a unique id")
    return applications


_TABLES: dict[tuple, FeatureTable] = {}
_WORKER_LAYERS: LayerSet | None = None


def _table(path: str, read: ReadOptions) -> FeatureTable:
    """A multi-feature input, read once per process."""
    key = (path, read.id_field, read.crs, read.encoding)
    if key not in _TABLES:
        _TABLES[key] = isolated(read_feature_table, path, id_field=read.id_field, crs=read.crs, encoding=read.encoding,
                                limits=TABLE_LIMITS, label=path)
    return _TABLES[key]


try:
    _LIBC = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6") if sys.platform.startswith("linux") else None
    _LIBC.malloc_trim  # only glibc has it: AttributeError elsewhere
except (OSError, AttributeError):
    _LIBC = None


def _release_memory() -> None:
    """Hand memory freed by a chunk back to the OS (glibc ``malloc_trim``; elsewhere nothing), so a
    long-running worker does not grow by allocator fragmentation."""
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


def chunk_tables(chunk: list[Application], read: ReadOptions) -> dict[str, FeatureTable]:
    """The chunk's rows of each multi-feature input, as small tables in chunk order: what a worker needs
    of the inputs (the parent reads each input once; workers never hold a whole table)."""
    rows: dict[str, list[int]] = {}
    for application in chunk:
        if application.row is not None:
            rows.setdefault(application.source, []).append(application.row)
    tables = {}
    for source, numbers in rows.items():
        table = _table(source, read)
        tables[source] = FeatureTable(table.path, table.frame.iloc[numbers].reset_index(drop=True),
                                      [table.ids[row] for row in numbers], table.conversion)
    return tables


def _projects(chunk: list[Application], read: ReadOptions, tables: dict[str, FeatureTable]) -> dict[int, Project | str]:
    """Each application's project, or the error reading it, by order; ``tables`` from ``chunk_tables``."""
    projects: dict[int, Project | str] = {}
    by_table: dict[str, list[Application]] = {}
    for application in chunk:
        if application.row is None:
            try:
                project = isolated(read_project, application.source, crs=read.crs, encoding=read.encoding,
                                   repair=read.repair, limits=FILE_LIMITS, label=application.source)
                projects[application.order] = dataclasses.replace(project, source=None)
            except RedlineError as error:
                projects[application.order] = str(error)
        else:
            by_table.setdefault(application.source, []).append(application)
    for source, members in by_table.items():
        results = applications_of(tables[source], repair=read.repair)
        for application, (_, result) in zip(members, results):
            projects[application.order] = str(result) if isinstance(result, Exception) else result
    return projects


def check_chunk(chunk: list[Application], options: Options, read: ReadOptions, tables: dict[str, FeatureTable],
                layers: LayerSet | None = None) -> list[tuple[str, dict]]:
    """A chunk of applications, in order: each one's journal line (JSON: its full report and id, or its
    error) and its results-table row."""
    layers = layers or _WORKER_LAYERS
    projects = _projects(chunk, read, tables)
    ready, lines = [], {}
    for application in chunk:
        project = projects[application.order]
        if isinstance(project, str):
            lines[application.order] = {"id": application.id, "order": application.order, "error": project}
            continue
        try:
            ensure_in_region(project, layers.bounds)
            ready.append((application, project))
        except RedlineError as error:
            lines[application.order] = {"id": application.id, "order": application.order, "error": str(error)}
    if ready:
        results = check_each([p for _, p in ready], layers, options=options, with_geometry=False)
        for (application, _), result in zip(ready, results):
            if isinstance(result, Exception):
                lines[application.order] = {"id": application.id, "order": application.order,
                                            "error": f"could not check: {result}"}
            else:
                lines[application.order] = {"id": application.id, "order": application.order,
                                            "report": result.report.to_dict()}
    records = [(compact_json(lines[a.order]), _table_row(lines[a.order])) for a in chunk]
    _release_memory()
    return records


def run_batch(inputs: list[Path], outdir: Path, *, manifest, options: Options = Options(), workers: int = 1,
              id_field: str = "id", crs=None, encoding=None, repair=False, progress=None,
              dask_address: str | None = None) -> Summary:
    """Check every application of ``inputs`` into ``outdir``; resume from its journal if one is there.

    ``dask_address`` runs the checks on a Dask distributed cluster (scheduler address, or a
    ``distributed.LocalCluster``) through dask-geopandas partitions instead of local worker processes.
    """
    started = time.monotonic()
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    read = ReadOptions(id_field=id_field, crs=crs, encoding=encoding, repair=repair)
    applications = read_inputs(inputs, read)
    layers = load_layers(manifest)
    fingerprint = _fingerprint(inputs, layers, options, id_field, crs)
    done = _resume(outdir, fingerprint, applications)
    rows = _table_rows(outdir) if done else {}
    todo = [a for a in applications if a.order not in done]
    chunks = [todo[i:i + CHUNK] for i in range(0, len(todo), CHUNK)]
    progress = progress or (lambda finished, total: None)
    finished = len(done)
    progress(finished, len(applications))
    with open(outdir / JOURNAL, "a", encoding="utf-8") as journal:
        source = _dask_chunks(todo, manifest, options, read, dask_address) if dask_address is not None \
            else _checked_chunks(chunks, layers, options, read, workers)
        del layers  # held by the local workers' generator only, which lets go before the tables are written
        for records in source:
            journal.write("".join(line + "\n" for line, _ in records))
            journal.flush()
            os.fsync(journal.fileno())
            rows.update(row for _, row in records)
            finished += len(records)
            progress(finished, len(applications))
    _write_tables(outdir, applications, rows, read)
    verdicts: dict[str, int] = {}
    for values in rows.values():
        verdicts[values[1]] = verdicts.get(values[1], 0) + 1
    return Summary(len(applications), verdicts, verdicts.pop("error", 0), len(applications) - len(todo),
                   time.monotonic() - started)


def _checked_chunks(chunks, layers: LayerSet, options, read, workers) -> Iterator[list[tuple[str, dict]]]:
    """Checked chunks in order; forked workers share this process's ``layers`` (copy-on-write)."""
    global _WORKER_LAYERS
    if workers <= 1 or len(chunks) <= 1:
        for chunk in chunks:
            yield check_chunk(chunk, options, read, chunk_tables(chunk, read), layers)
        return
    _WORKER_LAYERS = layers
    try:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"),
                                 initializer=die_with_parent) as pool:
            pending: deque = deque()
            for chunk in chunks:  # at most 2 chunks per worker in flight, so the inputs are never all in the queue
                pending.append(pool.submit(check_chunk, chunk, options, read, chunk_tables(chunk, read)))
                if len(pending) >= 2 * workers:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
    finally:  # the tables are written next: without the layers
        _WORKER_LAYERS = layers = None
        _release_memory()


def _dask_chunks(todo: list[Application], manifest, options: Options, read: ReadOptions,
                 address) -> Iterator[list[tuple[str, dict]]]:
    """Check on a Dask cluster: the applications travel as dask-geopandas partitions (CHUNK rows each),
    every worker loads the layers from ``manifest`` once (the manifest must be readable at the same path on
    the workers), and partitions come back in input order, each journaled as it arrives."""
    import dask_geopandas
    import pandas as pd
    from distributed import Client

    if not todo:
        return
    sources = {a.source for a in todo}
    if len(sources) != 1 or any(a.row is None for a in todo):
        raise RedlineError("--dask takes one multi-feature input file (GeoPackage, GeoParquet, …), not folders")
    table = _table(sources.pop(), read)
    rows = [a.row for a in todo]
    frame = table.frame.iloc[rows].copy()
    frame["_order"], frame["_id"] = [a.order for a in todo], [a.id for a in todo]
    partitions = dask_geopandas.from_geopandas(frame, chunksize=CHUNK, sort=False)
    meta = pd.DataFrame({"line": pd.Series(dtype=object), "row": pd.Series(dtype=object)})
    checked = partitions.map_partitions(_check_partition, str(manifest), options, read, str(table.path),
                                        table.conversion, meta=meta)
    client = address if isinstance(address, Client) else Client(address)
    try:
        futures = client.compute(checked.to_delayed())
        for future in futures:
            result = future.result()
            yield list(zip(result["line"], result["row"]))
    finally:
        if client is not address:
            client.close()


_DASK_LAYERS: dict[str, LayerSet] = {}


def _check_partition(part, manifest: str, options: Options, read: ReadOptions, path: str, conversion):
    """Run on a Dask worker: one partition of applications → a frame of journal lines and table rows, in order."""
    import pandas as pd

    if manifest not in _DASK_LAYERS:
        _DASK_LAYERS[manifest] = load_layers(manifest)
    table = FeatureTable(Path(path), part.drop(columns=["_order", "_id"]), part["_id"].tolist(), conversion)
    chunk = [Application(int(order), application_id, path, row)
             for row, (order, application_id) in enumerate(zip(part["_order"], part["_id"]))]
    records = check_chunk(chunk, options, read, {path: table}, _DASK_LAYERS[manifest]) if chunk else []
    return pd.DataFrame({"line": pd.array([line for line, _ in records], dtype=object),
                         "row": pd.array([row for _, row in records], dtype=object)}, index=part.index)


def write_maps(outdir: Path, manifest, *, options: Options = Options(), id_field: str = "id", crs=None, encoding=None,
               repair=False, lang: str = "en", cdn: bool = False) -> int:
    """One HTML map per checked application in OUTDIR/maps/, and OUTDIR/maps/index.html; the number of maps.

    Applications are checked again with their geometry (the journal keeps reports, not geometry).
    File names are ``<order>_<id>.html`` with anything but letters, digits, '.', '-' and '_' replaced.
    """
    from redline.report.html import index_html, map_html

    read = ReadOptions(id_field=id_field, crs=crs, encoding=encoding, repair=repair)
    state = json.loads((outdir / STATE).read_text(encoding="utf-8"))
    applications = read_inputs([Path(p) for p in state["sources"]], read)
    layers = load_layers(manifest)
    folder = outdir / "maps"
    entries = []
    for start in range(0, len(applications), CHUNK):
        chunk = applications[start:start + CHUNK]
        projects = _projects(chunk, read, chunk_tables(chunk, read))
        ready = [(a, projects[a.order]) for a in chunk if not isinstance(projects[a.order], str)]
        inside = []
        for application, project in ready:
            try:
                ensure_in_region(project, layers.bounds)
                inside.append((application, project))
            except RedlineError:
                continue
        for (application, _), result in zip(inside, check_many([p for _, p in inside], layers, options=options)):
            name = f"{application.order:06d}_{re.sub(r'[^0-9A-Za-z._-]', '_', application.id)[:80]}.html"
            write_atomic(folder / name, map_html(result, layers.nearby(result.footprint), overview=layers.outline,
                                                 lang=lang, cdn=cdn))
            entries.append((result.report.to_dict(), result.footprint, name))
    write_atomic(folder / "index.html", index_html(entries, overview=layers.outline, lang=lang, cdn=cdn))
    return len(entries)


def _fingerprint(inputs, layers: LayerSet, options, id_field, crs) -> dict:
    """What makes a batch: its inputs' bytes, the manifest and every layer's data (PostGIS rows included),
    the options."""
    digest = hashlib.sha256()
    for source in sorted(Path(p) for p in inputs):
        files = sorted(source.iterdir()) if source.is_dir() else [source]
        for path in files:
            if path.is_file():
                digest.update(path.name.encode())
                digest.update(hashlib.sha256(path.read_bytes()).digest())
    return {"inputs": digest.hexdigest(), "sources": [str(Path(p).resolve()) for p in inputs],
            "manifest": layers.manifest.sha256,
            "layers": {spec.id: layers.data_sha256(spec) for spec in layers.manifest.layers.values()},
            "options": dataclasses.asdict(options), "id_field": id_field, "crs": crs}


def _resume(outdir: Path, fingerprint: dict, applications: list[Application]) -> set[int]:
    """Orders already in the journal; refuse a journal of a different batch; drop a line cut by a kill."""
    state, journal = outdir / STATE, outdir / JOURNAL
    start_over = f"remove {state} and {journal} to start the batch over (删除后重新运行)"
    if state.exists():
        try:
            recorded = json.loads(state.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as error:
            raise RedlineError(f"{state} 已损坏 / is damaged ({error}); {start_over}") from None
        if recorded != fingerprint:
            raise RedlineError(f"{outdir} holds the results of a different batch (other inputs, layers or options); "
                               "write to another folder")
    else:
        write_atomic(state, json.dumps(fingerprint, indent=2))
        journal.unlink(missing_ok=True)
    if not journal.exists():
        return set()
    data = journal.read_bytes()
    keep = data.rfind(b"\n") + 1
    if keep < len(data):
        log.warning("%s: dropping a line cut short by an interrupted run", journal)
        with open(journal, "r+b") as stream:
            stream.truncate(keep)
    ids = {a.order: a.id for a in applications}
    done = set()
    for number, line in enumerate(data[:keep].splitlines(), 1):
        try:
            record = orjson.loads(line)
            order, application = record["order"], record["id"]
        except (orjson.JSONDecodeError, KeyError, TypeError) as error:
            raise RedlineError(f"{journal} 第 {number} 行已损坏 / line {number} is damaged ({error}); {start_over}") from None
        if ids.get(order) == application:
            done.add(order)
    return done


HEADER = list(RESULT_COLUMNS) + [f"{rule}_{part}" for rule in RULE_FIGURES for part in ("status", RULE_FIGURES[rule])]


def _table_rows(outdir: Path) -> dict[int, tuple]:
    """The results row of each application already in the journal, by order (when resuming)."""
    with open(outdir / JOURNAL, encoding="utf-8") as journal:
        return dict(_table_row(orjson.loads(line)) for line in journal)


def _table_row(record: dict) -> tuple[int, tuple]:
    """The order and the flat results row (values in ``HEADER`` order; a tuple, as a batch holds many) of
    one journal record."""
    row = dict.fromkeys(HEADER, "")
    row["id"] = record["id"]
    if "error" in record:
        row.update(verdict="error", error=record["error"])
        return record["order"], tuple(row.values())
    report = record["report"]
    row.update(verdict=report["verdict"], area_m2=round(report["project"]["area_m2"], 3))
    for finding in report["findings"]:
        figure = RULE_FIGURES.get(finding["rule"])
        if figure is None:  # a rule without a column: its status is in reports.jsonl only
            continue
        row[f"{finding['rule']}_status"] = finding["status"]
        if figure in finding["measures"]:
            row[f"{finding['rule']}_{figure}"] = round(finding["measures"][figure], 3)
    return record["order"], tuple(row.values())


def _write_tables(outdir: Path, applications: list[Application], rows: dict[int, tuple], read: ReadOptions) -> None:
    ordered = [rows[application.order] for application in applications]
    errors = [(row[0], row[3]) for row in ordered if row[1] == "error"]  # id, error (``RESULT_COLUMNS``)
    write_atomic(outdir / "results.csv", _csv(HEADER, ordered))
    write_atomic(outdir / "errors.csv", _csv(["id", "error"], errors))
    columns = dict(zip(HEADER, map(list, zip(*ordered)))) if ordered else dict.fromkeys(HEADER, [])
    frame = gpd.GeoDataFrame(columns, geometry=_footprints(applications, read), crs="EPSG:4490")
    with atomic_path(outdir / "results.gpkg") as temporary:
        frame.to_file(temporary, layer="results", driver="GPKG")


def _footprints(applications: list[Application], read: ReadOptions) -> list:
    """Each application's boundary as drawn (not densified), in CGCS2000, for results.gpkg; None if unreadable."""
    tables = {source: _in_cgcs2000(_table(source, read).frame.geometry).values
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


class ProgressBar:
    """A one-line progress bar on stderr with rate and ETA; call it with (finished, total)."""

    def __init__(self, stream=sys.stderr, width: int = 30):
        self.stream, self.width, self.start = stream, width, None

    def __call__(self, finished: int, total: int) -> None:
        now = time.monotonic()
        if self.start is None:
            self.start = (now, finished)
        start, first = self.start
        rate = (finished - first) / (now - start) if now > start else 0.0
        eta = f"{(total - finished) / rate:,.0f} s" if rate else "?"
        filled = int(self.width * finished / total) if total else self.width
        self.stream.write(f"\r[{'#' * filled}{'.' * (self.width - filled)}] {finished:,}/{total:,} {rate:,.0f}/s ETA {eta} ")
        if finished >= total:
            self.stream.write("\n")
        self.stream.flush()
