"""What a batch draws per application after checking: HTML maps and their index (``--maps``) and the review
files (``--pdf-dir``). The journal keeps reports, not geometry, so the applications are read and checked again
(with their geometry); the figures are the same as the journal's."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

from redline.batch.inputs import CHUNK, ReadOptions, chunk_tables, projects, read_inputs
from redline.batch.journal import STATE
from redline.batch.run import in_region
from redline.io.files import write_atomic
from redline.layers import LayerSet, load_layers
from redline.model import Options, Report
from redline.pipeline import check_projects


def write_maps(outdir: Path, manifest, *, options: Options = Options(), id_field: str = "id", crs=None, encoding=None,
               repair=False, lang: str = "en", cdn: bool = False, progress=None) -> int:
    """One HTML map per checked application in OUTDIR/maps/, and OUTDIR/maps/index.html (every application by id,
    the ones that could not be checked listed apart); the number of maps.

    File names are ``<order>_<id>.html`` with anything but letters, digits, '.', '-' and '_' replaced.
    """
    from redline.report.html import index_html, map_html

    folder, entries, failed = outdir / "maps", [], []
    layers = load_layers(manifest)
    for application, result in _rechecked(outdir, layers, options, ReadOptions(id_field, crs, encoding, repair), progress):
        if isinstance(result, str):
            failed.append((application.id, result))
            continue
        name = f"{_stem(application)}.html"
        write_atomic(folder / name, map_html(result, layers.nearby(result.footprint), overview=layers.outline,
                                             lang=lang, cdn=cdn))
        entries.append((result.to_dict(), result.footprint, name, application.id))
    write_atomic(folder / "index.html", index_html(entries, overview=layers.outline, lang=lang, cdn=cdn, failed=failed))
    return len(entries)


def write_review_files(outdir: Path, folder: Path, manifest, *, options: Options = Options(), id_field: str = "id",
                       crs=None, encoding=None, repair=False, lang: str = "zh", progress=None) -> int:
    """The review PDF of every checked application in ``folder`` (``<order>_<id>.pdf``); the number written."""
    from redline.report.filing import review_files

    layers = load_layers(manifest)
    written = 0
    for application, result in _rechecked(outdir, layers, options, ReadOptions(id_field, crs, encoding, repair), progress):
        if isinstance(result, str):
            continue
        pdf = review_files(result, layers.rules, layers.nearby, ("pdf",), lang=lang)["pdf"]
        write_atomic(Path(folder) / f"{_stem(application)}.pdf", pdf)
        written += 1
    return written


def _rechecked(outdir: Path, layers: LayerSet, options: Options, read: ReadOptions,
               progress) -> Iterator[tuple[object, Report | str]]:
    """Each application of the batch in OUTDIR with its report (geometry included) or why it could not be checked."""
    state = json.loads((outdir / STATE).read_text(encoding="utf-8"))
    applications = read_inputs([Path(p) for p in state["sources"]], read)
    progress = progress or (lambda finished, total: None)
    progress(0, len(applications))
    for start in range(0, len(applications), CHUNK):
        chunk = applications[start:start + CHUNK]
        for application, project in in_region(chunk, projects(chunk, read, chunk_tables(chunk, read), options), layers):
            if isinstance(project, str):
                yield application, project
                continue
            found, declared = project
            try:
                yield application, check_projects([found], layers, options=declared)[0]
            except Exception as error:  # noqa: BLE001 - that application's failure, listed; the others go on
                yield application, f"{type(error).__name__}: {error}"
        progress(start + len(chunk), len(applications))


def _stem(application) -> str:
    return f"{application.order:06d}_{re.sub(r'[^0-9A-Za-z._-]', '_', application.id)[:80]}"
