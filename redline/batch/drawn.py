"""What a batch draws per application after checking: HTML maps and their index (``--maps``) and the review
files (``--pdf-dir``). The journal keeps reports, not geometry, so the applications are read and checked again
(with their geometry), chunk by chunk in the batch's worker processes, each worker writing its chunk's files;
the figures are the same as the journal's."""

from __future__ import annotations

import json
import logging
import re
from functools import partial
from pathlib import Path

from redline.batch.inputs import CHUNK, Application, ReadOptions, chunk_tables, particulars, read_inputs
from redline.batch.journal import STATE
from redline.batch.run import checked_chunk
from redline.batch.workers import in_workers
from redline.io.files import write_atomic
from redline.isolation import Limits, isolated
from redline.layers import LayerSet, load_layers
from redline.model import Options

ASSETS = "assets"
"""The folder beside the maps that holds Leaflet, its plugins and redline's script once for all of them."""

log = logging.getLogger(__name__)
DOCUMENT_LIMITS = Limits(seconds=120.0, memory_bytes=2 * 1024 ** 3)
"""What making one application's review PDF may take (in a child: a hostile name costs that PDF only)."""


def write_maps(outdir: Path, manifest, *, options: Options = Options(), id_field: str = "id", crs=None, encoding=None,
               degrees=None,
               repair=False, lang: str = "en", cdn: bool = False, progress=None, workers: int = 1) -> int:
    """One HTML map per checked application in OUTDIR/maps/, and OUTDIR/maps/index.html (every application by id,
    the ones that could not be checked listed apart); the number of maps.

    File names are ``<order>_<id>.html`` with anything but letters, digits, '.', '-' and '_' replaced. The maps
    link Leaflet and redline's script from OUTDIR/maps/assets/ (written once; the folder opens offline as a
    whole), or from the CDN with ``cdn``.
    """
    from redline.report.assets import write_assets
    from redline.report.html import index_html

    folder, entries, failed = outdir / "maps", [], []
    linked = None if cdn else write_assets(folder / ASSETS, lang=lang)
    layers, read = load_layers(manifest), ReadOptions(id_field, crs, encoding, repair, degrees)
    draw = partial(_map_chunk, options=options, read=read, folder=folder, lang=lang, cdn=cdn, linked=linked)
    for drawn in _each_chunk(outdir, layers, draw, read, workers, progress):
        for application_id, entry in drawn:
            if isinstance(entry, str):
                failed.append((application_id, entry))
            else:
                entries.append(entry)
    write_atomic(folder / "index.html", index_html(entries, overview=layers.outline, lang=lang, cdn=cdn, failed=failed,
                                                   linked=linked))
    return len(entries)


def write_review_files(outdir: Path, folder: Path, manifest, *, options: Options = Options(), id_field: str = "id",
                       crs=None, encoding=None, degrees=None, repair=False, lang: str = "zh", progress=None,
                       workers: int = 1) -> int:
    """The review PDF of every checked application in ``folder`` (``<order>_<id>.pdf``); the number written."""
    layers, read = load_layers(manifest), ReadOptions(id_field, crs, encoding, repair, degrees)
    draw = partial(_pdf_chunk, options=options, read=read, folder=Path(folder), lang=lang)
    return sum(_each_chunk(outdir, layers, draw, read, workers, progress))


def _each_chunk(outdir: Path, layers: LayerSet, draw, read: ReadOptions, workers: int, progress) -> list:
    """``draw(chunk, layers)`` of every chunk of the batch in OUTDIR, in order, in ``workers`` processes."""
    state = json.loads((outdir / STATE).read_text(encoding="utf-8"))
    applications = read_inputs([Path(p) for p in state["sources"]], read)
    progress = progress or (lambda finished, total: None)
    progress(0, len(applications))
    chunks = [applications[start:start + CHUNK] for start in range(0, len(applications), CHUNK)]
    results, finished = [], 0
    for chunk, drawn in zip(chunks, in_workers(draw, chunks, layers, workers)):
        results.append(drawn)
        finished += len(chunk)
        progress(finished, len(applications))
    return results


def _map_chunk(chunk: list[Application], layers: LayerSet, *, options: Options, read: ReadOptions, folder: Path,
               lang: str, cdn: bool, linked: str | None) -> list[tuple[str, tuple | str]]:
    """Each application's (id, index entry) with its map written, or (id, why it could not be checked)."""
    from redline.report.html import map_html

    checked = checked_chunk(chunk, layers, options=options, read=read, with_geometry=True)
    drawn = []
    for application in chunk:
        report = checked[application.order]
        if isinstance(report, str):
            drawn.append((application.id, report))
            continue
        name = f"{_stem(application)}.html"
        write_atomic(folder / name, map_html(report, layers.nearby(report.footprint), overview=layers.outline,
                                             lang=lang, cdn=cdn, linked=linked, rules=layers.rules))
        drawn.append((application.id, (report.to_dict(), report.footprint, name, application.id)))
    return drawn


def _pdf_chunk(chunk: list[Application], layers: LayerSet, *, options: Options, read: ReadOptions, folder: Path,
               lang: str) -> int:
    """The review PDFs of a chunk's checked applications; how many were written."""
    from redline.avoid import removed_m2
    from redline.report.basis import read_templates
    from redline.report.filing import review_files

    tables = chunk_tables(chunk, read)
    checked = checked_chunk(chunk, layers, options=options, read=read, tables=tables, with_geometry=True)
    given = particulars(chunk, tables)
    templates = read_templates(layers.manifest.review)
    written = 0
    for application in chunk:
        report = checked[application.order]
        if isinstance(report, str):
            continue
        try:
            pdf = isolated(review_files, report, layers.rules, layers.nearby, ("pdf",), lang=lang, templates=templates,
                           overview=layers.outline,
                           removed_m2=removed_m2(report, layers) if report.intrusions else None,
                           limits=DOCUMENT_LIMITS, label=application.id, **given.get(application.order, {}))["pdf"]
        except Exception as error:  # noqa: BLE001 - this application's document only; the others are written
            log.warning("%s: 审查报告未能生成 / the review PDF could not be made (%s: %s)", application.id,
                        type(error).__name__, str(error)[:200])
            continue
        write_atomic(folder / f"{_stem(application)}.pdf", pdf)
        written += 1
    return written


UNSAFE_IN_NAMES = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]|^\.+')
"""Characters no file name may hold on the systems reviewers use (and a leading dot, which hides a file)."""


def _stem(application) -> str:
    """The file name of an application's map or PDF: its id as it is (西青工厂), or prefixed with its order when
    characters a file name cannot hold had to be replaced (two ids must never share a name)."""
    safe = UNSAFE_IN_NAMES.sub("_", application.id)[:80]
    return safe if safe == application.id and safe else f"{application.order:06d}_{safe}"
