"""The batch's journal: ``journal.jsonl`` (one short line per application: what resuming and the tables need) and
``batch.json`` (what makes the batch: inputs, manifest, every layer's hash and the options, written once).

A journal line holds the application's order, id, results row, the features it hit and its ledger identity; an
application of a file of its own also its checked footprint (WKB, CGCS2000), so the result tables never read the
file again. With ``--reports`` the full report goes to ``reports.jsonl`` as well. Every finished chunk is appended
and flushed before the next; a batch started again with the same arguments skips what the journal holds (a line cut
by a kill is dropped and redone). A journal of another batch, or a damaged one, is refused with how to start over.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
from pathlib import Path

import orjson
import shapely

from redline.batch.inputs import Application
from redline.errors import RedlineError
from redline.io.files import sha256_file, write_atomic
from redline.layers import LayerSet
from redline.model import Report
from redline.report.json import compact_json
from redline.report.tables import identity, layout, report_hits

log = logging.getLogger(__name__)

JOURNAL = "journal.jsonl"
REPORTS = "reports.jsonl"
STATE = "batch.json"


def fingerprint(inputs, layers: LayerSet, options, id_field, crs, reports: bool = False) -> dict:
    """What makes a batch: its inputs' bytes, the manifest and every layer's data (PostGIS rows included),
    the options, and the columns of its results rows (``columns``, the journal's ``row`` field)."""
    digest = hashlib.sha256()
    for source in sorted(Path(p) for p in inputs):
        files = sorted(source.iterdir()) if source.is_dir() else [source]
        for path in files:
            if path.is_file():
                digest.update(path.name.encode())
                digest.update(bytes.fromhex(sha256_file(path)))
    return {"inputs": digest.hexdigest(), "sources": [str(Path(p).resolve()) for p in inputs],
            "manifest": layers.manifest.sha256,
            "layers": {spec.id: layers.data_sha256(spec) for spec in layers.manifest.layers.values()},
            "options": dataclasses.asdict(options), "id_field": id_field, "crs": crs, "reports": reports,
            "columns": list(layout(layers.rules).header)}


def resume(outdir: Path, fingerprint: dict, applications: list[Application]) -> set[int]:
    """Orders already in the journal; refuse a journal of a different batch; drop a line cut by a kill."""
    state, journal = outdir / STATE, outdir / JOURNAL
    start_over = f"remove {state} and {journal} to start the batch over (删除后重新运行)"
    if state.exists():
        try:
            recorded = json.loads(state.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as error:
            raise RedlineError(f"{state} 已损坏 / is damaged ({error}); {start_over}") from None
        if recorded != fingerprint:
            raise RedlineError(f"{outdir}: 该文件夹存有另一批次的结果 / holds the results of a different batch (other "
                               "inputs, layers or options); write to another folder")
    else:
        write_atomic(state, json.dumps(fingerprint, indent=2))
        journal.unlink(missing_ok=True)
    if not journal.exists():
        return set()
    data = journal.read_bytes()
    keep = data.rfind(b"\n") + 1
    if keep < len(data):
        log.warning("%s: 丢弃中断运行留下的残行 / dropping a line cut short by an interrupted run", journal)
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


def journal_line(application: Application, report: Report | None, row: tuple, particulars: dict[str, str]) -> str:
    """The journal line of one checked application: its order, id, results row, the features it hit and its
    ledger's identity (``redline.report.tables.identity`` of its report and ``particulars``)."""
    hits = [hit[1:] for hit in report_hits(application.id, report)] if report is not None else []
    footprint = {"footprint": shapely.to_wkb(report.footprint, hex=True)} \
        if application.row is None and report is not None and report.footprint is not None else {}
    return compact_json({"order": application.order, "id": application.id, "row": row, "hits": hits,
                         "ledger": identity(report, particulars), **footprint})


def record_order(line: str) -> int:
    """The order of a journal line's application."""
    return orjson.loads(line)["order"]


def footprints(outdir: Path) -> dict[int, bytes]:
    """The checked footprint (WKB) of each application of a file of its own in the journal, by order."""
    found = {}
    with open(outdir / JOURNAL, "rb") as journal:
        for line in journal:
            if b'"footprint"' in line:
                record = orjson.loads(line)
                found[record["order"]] = bytes.fromhex(record["footprint"])
    return found


def table_rows(outdir: Path) -> dict[int, tuple]:
    """The results row of each application already in the journal, by order (when resuming)."""
    with open(outdir / JOURNAL, encoding="utf-8") as journal:
        return {record["order"]: tuple(record["row"]) for record in map(orjson.loads, journal)}
