"""run_batch(): check many applications unattended, in worker processes, resumable after a kill.

Input: a folder of files (one application each, id = file name without suffix), or one multi-feature
file (one application per feature; id from ``id_field``). Applications are checked in chunks; each
worker loads the layers once and checks a whole chunk with ``check_projects(each=True)`` (one bulk query per layer and
set of declarations). Workers die with the batch (``redline.batch.workers``).

Nothing is lost: an application that cannot be checked becomes an error row and the batch goes on. The
journal (``redline.batch.journal``) holds every finished chunk; the tables (``redline.batch.tables``)
are written atomically at the end, so the final outputs equal an uninterrupted run's.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import NamedTuple

from redline.batch.drawn import ENTRIES, MAPS, Drawing, draw_chunk, missing, prepared, stem, write_index
from redline.batch.inputs import CHUNK, Application, ReadOptions, chunk_tables, projects, read_inputs, table_of
from redline.batch.journal import JOURNAL, REPORTS, fingerprint, journal_line, record_order, resume, table_rows
from redline.batch.tables import TABLES, write_tables
from redline.batch.workers import in_workers, release_memory
from redline.crs import regional_crss, warm_transformers
from redline.errors import Interrupted, RedlineError
from redline.footprint import ensure_in_region
from redline.io import FeatureTable
from redline.io.formats import preload
from redline.isolation import sweep_scratch
from redline.layers import LayerSet, load_layers
from redline.model import Options, Report
from redline.pipeline import check_projects
from redline.report.json import compact_json
from redline.report.tables import layout, table_row


@dataclass(frozen=True)
class Summary:
    """What a batch did: counts per verdict, errors, how many were already done, seconds taken, and the maps and
    review PDFs there are of it."""

    total: int
    verdicts: dict[str, int]
    errors: int
    resumed: int
    seconds: float
    maps: int = 0
    pdfs: int = 0
    phases: dict[str, float] = field(default_factory=dict)
    """Seconds by phase, in order: loading the ``layers`` and making the transformers the workers inherit (while the
    first multi-feature input is read in its child; after the folders are listed when there is none), ``reading`` the
    inputs (what it took beyond the layers), ``checking`` (with the drawing), ``tables`` (the index page and the result
    tables)."""


class Record(NamedTuple):
    """One checked application as a batch keeps it."""

    line: str
    """Its journal line (``redline.batch.journal.journal_line``)."""
    row: tuple
    """Its results-table row."""
    report: str | None
    """Its full report as a line of JSON (with ``reports``)."""
    entry: bytes | None
    """Its map's index entry (when maps are drawn)."""


def check_chunk(chunk: list[Application], layers: LayerSet, *, options: Options, read: ReadOptions,
                tables: dict[str, FeatureTable] | None = None, reports: bool = False, drawing: Drawing = Drawing(),
                outdir: Path | None = None) -> list[Record]:
    """A chunk of applications, in order, as ``Record``s; with ``drawing`` each one is drawn as well (into
    ``outdir``), from the report just made."""
    checked, given = checked_chunk(chunk, layers, options=options, read=read, tables=tables, with_geometry=bool(drawing))
    drawn = draw_chunk(chunk, checked, given, layers, drawing, outdir) if drawing else {}
    columns = layout(layers.rules)
    records = []
    for application in chunk:
        result = checked[application.order]
        report, error = (None, result) if isinstance(result, str) else (result, "")
        row = table_row(application.id, report, columns, error=error)
        full = None
        if reports:
            full = compact_json({"id": application.id, "order": application.order,
                                 **({"report": report.to_dict()} if report else {"error": error})})
        line = journal_line(application, report, row, given.get(application.order, {}))
        records.append(Record(line, row, full, drawn.get(application.order)))
    return records


def draw_again(chunk: list[Application], layers: LayerSet, *, options: Options, read: ReadOptions, drawing: Drawing,
               outdir: Path) -> dict[int, bytes]:
    """Draw a chunk of applications checked earlier without drawing: read and checked again (the figures equal the
    journal's); the index entries of the maps drawn, by order."""
    checked, given = checked_chunk(chunk, layers, options=options, read=read, with_geometry=True)
    return draw_chunk(chunk, checked, given, layers, drawing, outdir)


def checked_chunk(chunk: list[Application], layers: LayerSet, *, options: Options, read: ReadOptions,
                  tables: dict[str, FeatureTable] | None = None,
                  with_geometry: bool) -> tuple[dict[int, Report | str], dict[int, dict[str, str]]]:
    """Each application's report, or why it could not be checked, by its order; and the particulars each gives
    (``redline.batch.inputs.particulars``), by order. Applications with the same declarations are checked together.
    The rows of multi-feature inputs are read here (``chunk_tables``) unless ``tables`` holds them."""
    tables = chunk_tables(chunk, read) if tables is None else tables
    checked: dict[int, Report | str] = {}
    given: dict[int, dict[str, str]] = {}
    groups: dict[Options, list] = {}
    found = projects(chunk, read, tables, options)
    for application in chunk:
        if isinstance(found[application.order], str):
            checked[application.order] = found[application.order]
            continue
        project, declared, given[application.order] = found[application.order]
        try:
            ensure_in_region(project, layers.bounds)
        except RedlineError as error:
            checked[application.order] = str(error)
            continue
        groups.setdefault(declared, []).append((application, project))
    for declared, ready in groups.items():
        results = check_projects([p for _, p in ready], layers, options=declared, with_geometry=with_geometry, each=True)
        for (application, _), result in zip(ready, results):
            checked[application.order] = f"could not check: {result}" if isinstance(result, Exception) else result
    return checked, given


def run_batch(inputs: list[Path], outdir: Path, *, manifest, options: Options = Options(), workers: int = 1,
              id_field: str = "id", crs=None, encoding=None, degrees=None, repair=False, progress=None,
              dask_address: str | None = None, reports: bool = False, tables=TABLES, drawing: Drawing = Drawing(),
              spelling=None) -> Summary:
    """Check every application of ``inputs`` into ``outdir``; resume from its journal if one is there.

    ``drawing`` (``redline.batch.drawn.Drawing``) draws a map and/or a review PDF of each application as it is
    checked. ``spelling`` names the library's parameters in the tables' error texts as the calling front does (the
    CLI passes ``redline.parameters.cli_spelling``, which names them as its options); without it they read
    ``repair=True``.

    ``dask_address`` runs the checks on a Dask distributed cluster (scheduler address, or a
    ``distributed.LocalCluster``) through dask-geopandas partitions instead of local worker processes (the drawings
    are then made here afterwards).
    """
    phases = Phases()
    sweep_scratch()  # what killed readers and batches of an earlier run left behind
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    read = ReadOptions(id_field=id_field, crs=crs, encoding=encoding, repair=repair, degrees=degrees)
    applications, layers = read_inputs(inputs, read, meanwhile=partial(_loaded, manifest, phases))
    phases.end("reading")
    done = resume(outdir, fingerprint(inputs, layers, options, id_field, crs, reports), applications)
    drawing = prepared(drawing, outdir)
    columns = layout(layers.rules)
    rows = table_rows(outdir) if done else {}
    todo = [a for a in applications if a.order not in done]
    preload(a.source for a in applications if a.row is None)  # before the workers fork: their reader children inherit it
    chunks = [todo[i:i + CHUNK] for i in range(0, len(todo), CHUNK)]
    progress = progress or (lambda finished, total: None)
    finished = len(done)
    progress(finished, len(applications))
    with (open(outdir / JOURNAL, "a", encoding="utf-8") as journal,
          open(outdir / REPORTS, "a", encoding="utf-8") if reports else nullcontext() as full,
          open(outdir / MAPS / ENTRIES, "ab") if drawing.maps else nullcontext() as mapped,
          _stopped_by_signals(finished, len(applications)) as stop):
        source = _dask_chunks(todo, manifest, options, read, dask_address, reports) if dask_address is not None \
            else in_workers(partial(check_chunk, options=options, read=read, reports=reports, drawing=drawing,
                                    outdir=outdir), chunks, layers, workers)
        for records in source:
            with stop.deferred():  # a chunk is journaled whole: a signal now stops the batch after the write
                _keep_entries(mapped, [record.entry for record in records])
                if full is not None:  # the reports first: a report line without its journal line is redone
                    full.write("".join(record.report + "\n" for record in records))
                    full.flush()
                journal.write("".join(record.line + "\n" for record in records))
                journal.flush()
                os.fsync(journal.fileno())
            rows.update((record_order(record.line), record.row) for record in records)
            finished += len(records)
            stop.finished = finished
            progress(finished, len(applications))
        # drawn now: what was checked without drawing, by an earlier run or on the Dask cluster
        again = missing(applications if dask_address is not None else [a for a in applications if a.order in done],
                        rows, drawing, outdir)
        redraw = partial(draw_again, options=options, read=read, drawing=drawing, outdir=outdir)
        for number, drawn in enumerate(in_workers(redraw, [again[i:i + CHUNK] for i in range(0, len(again), CHUNK)],
                                                  layers, workers), 1):
            with stop.deferred():
                _keep_entries(mapped, list(drawn.values()))
            progress(min(number * CHUNK, len(again)), len(again))
    phases.end("checking")
    maps = write_index(outdir, applications, rows, drawing, layers.outline) if drawing.maps else 0
    pdfs = sum((Path(drawing.pdf_dir) / f"{stem(a)}.pdf").exists() for a in applications) if drawing.pdf_dir else 0
    del layers  # what writing the tables takes is not added to the layers
    write_tables(outdir, applications, rows, read, columns, tables, spelling)
    release_memory()  # what writing the tables took goes back to the OS, not into the next batch of this process
    phases.end("tables")
    verdicts: dict[str, int] = {}
    for values in rows.values():
        verdicts[values[1]] = verdicts.get(values[1], 0) + 1
    return Summary(len(applications), verdicts, verdicts.pop("error", 0), len(applications) - len(todo),
                   sum(phases.seconds.values()), maps, pdfs, phases.seconds)


def _loaded(manifest, phases: Phases) -> LayerSet:
    """The layers of ``manifest``, loaded while the inputs are read (``read_inputs``' ``meanwhile``), and the
    transformers the workers inherit made then too (``in_workers`` finds them made)."""
    layers = load_layers(manifest)
    warm_transformers(regional_crss(layers.bounds))
    phases.end("layers")
    return layers


class Phases:
    """Seconds by phase: ``end(name)`` closes the phase that began where the last one ended."""

    def __init__(self):
        self.seconds: dict[str, float] = {}
        self._last = time.monotonic()

    def end(self, name: str) -> None:
        now = time.monotonic()
        self.seconds[name] = now - self._last
        self._last = now


def _keep_entries(mapped, entries: list[bytes | None]) -> None:
    """Append the maps' index entries (before their chunk is journaled: an entry without its journal line is
    harmless, the map is drawn again)."""
    if mapped is not None:
        mapped.write(b"".join(entry + b"\n" for entry in entries if entry is not None))
        mapped.flush()


class _Stop:
    """SIGTERM and SIGINT (Ctrl-C) in the batch process raise ``Interrupted`` there, except while a chunk is being
    journaled (then right after it), so the journal never holds a half-written chunk."""

    def __init__(self, finished: int, total: int):
        self.finished, self.total, self.pending, self.deferring = finished, total, None, False

    def handle(self, number, _frame):
        self.pending = signal.Signals(number).name
        if not self.deferring:
            self.raise_pending()

    def raise_pending(self):
        if self.pending:
            raise Interrupted(f"批处理已中断 / the batch was stopped by {self.pending}: {self.finished:,} of {self.total:,} "
                              "applications are done and kept; run the same command again to resume")

    @contextmanager
    def deferred(self):
        self.deferring = True
        try:
            yield
        finally:
            self.deferring = False
        self.raise_pending()


@contextmanager
def _stopped_by_signals(finished: int, total: int):
    stop = _Stop(finished, total)
    if threading.current_thread() is not threading.main_thread():  # signals reach the main thread only
        yield stop
        return
    previous = {number: signal.signal(number, stop.handle) for number in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield stop
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def _dask_chunks(todo: list[Application], manifest, options: Options, read: ReadOptions,
                 address, reports: bool) -> Iterator[list[tuple]]:
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
        raise RedlineError("Dask 集群只接受一个多要素输入文件 / a Dask cluster takes one multi-feature input file "
                           "(GeoPackage, GeoParquet, …), not folders")
    table = table_of(sources.pop(), read)
    frame = table.rows([a.row for a in todo]).frame
    frame["_order"], frame["_id"] = [a.order for a in todo], [a.id for a in todo]
    partitions = dask_geopandas.from_geopandas(frame, chunksize=CHUNK, sort=False)
    meta = pd.DataFrame({"line": pd.Series(dtype=object), "row": pd.Series(dtype=object),
                         "report": pd.Series(dtype=object)})
    checked = partitions.map_partitions(_check_partition, str(manifest), options, read, str(table.path),
                                        table.conversion, reports, meta=meta)
    client = address if isinstance(address, Client) else Client(address)
    try:
        futures = client.compute(checked.to_delayed())
        for future in futures:
            result = future.result()
            yield [Record(*values, None) for values in zip(result["line"], result["row"], result["report"])]
    finally:
        if client is not address:
            client.close()


_DASK_LAYERS: dict[str, LayerSet] = {}


def _check_partition(part, manifest: str, options: Options, read: ReadOptions, path: str, conversion, reports: bool):
    """Run on a Dask worker: one partition of applications → a frame of journal lines and table rows, in order."""
    import pandas as pd

    if manifest not in _DASK_LAYERS:
        _DASK_LAYERS[manifest] = load_layers(manifest)
    table = FeatureTable(Path(path), part.drop(columns=["_order", "_id"]), part["_id"].tolist(), conversion)
    chunk = [Application(int(order), application_id, path, row)
             for row, (order, application_id) in enumerate(zip(part["_order"], part["_id"]))]
    records = check_chunk(chunk, _DASK_LAYERS[manifest], options=options, read=read, tables={path: table},
                          reports=reports) if chunk else []
    release_memory()
    columns = list(zip(*records))[:3] if records else [[], [], []]
    return pd.DataFrame({name: pd.array(list(values), dtype=object) for name, values in zip(("line", "row", "report"), columns)},
                        index=part.index)
