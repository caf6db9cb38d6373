"""What a batch draws per application: an HTML map each with their index (``Drawing.maps``, in OUTDIR/maps/) and a
review PDF each (``Drawing.pdf_dir``).

An application is drawn in the worker that checked it, from the report it just made (``draw_chunk``), before its
chunk is journaled: a killed batch resumes without losing a drawing or making one twice. Only applications checked
without drawing (by an earlier run that was not asked for them, or on a Dask cluster) are read and checked again to
be drawn (``missing``); their figures equal the journal's. A map's index entry (what ``index.html`` lists) goes to
OUTDIR/maps/index.jsonl, so the index of a resumed batch lists the maps of every run.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from pathlib import Path

import orjson
import shapely

from redline.batch.inputs import Application
from redline.io.files import UNSAFE_IN_NAMES, write_atomic
from redline.isolation import Limits, isolated
from redline.layers import LayerSet
from redline.model import Report

MAPS = "maps"
"""The folder of a batch's maps, in its output folder."""
ENTRIES = "index.jsonl"
"""Each drawn map's index entry, one line per application, in the maps folder."""
ASSETS = "assets"
"""The folder beside the maps that holds Leaflet, its plugins and redline's script once for all of them."""

log = logging.getLogger(__name__)
DOCUMENT_LIMITS = Limits(seconds=120.0, memory_bytes=2 * 1024 ** 3)
"""What making one application's review PDF may take (in a child: a hostile name costs that PDF only)."""


@dataclass(frozen=True)
class Drawing:
    """What a batch draws for each application it checks."""

    maps: bool = False
    """An HTML map each in OUTDIR/maps/ (``<id>.html``) and OUTDIR/maps/index.html, every application by id."""
    pdf_dir: Path | None = None
    """A review PDF each (``<id>.pdf``) in this folder."""
    map_lang: str = "en"
    pdf_lang: str = "zh"
    cdn: bool = False
    """Maps link Leaflet from the CDN instead of OUTDIR/maps/assets/ (written once; the folder opens offline)."""
    linked: str | None = None
    """Where the maps link their scripts from (set by ``prepared``)."""

    def __bool__(self) -> bool:
        return self.maps or self.pdf_dir is not None


def prepared(drawing: Drawing, outdir: Path) -> Drawing:
    """``drawing`` with its folders made and the maps' shared scripts written once."""
    from redline.report.assets import write_assets

    if drawing.pdf_dir is not None:
        Path(drawing.pdf_dir).mkdir(parents=True, exist_ok=True)
    if drawing.maps:
        (outdir / MAPS).mkdir(parents=True, exist_ok=True)
        if not drawing.cdn:
            return replace(drawing, linked=write_assets(outdir / MAPS / ASSETS, lang=drawing.map_lang))
    return drawing


def draw_chunk(chunk: list[Application], checked: dict[int, Report | str], given: dict[int, dict[str, str]],
               layers: LayerSet, drawing: Drawing, outdir: Path) -> dict[int, bytes]:
    """Draw each checked application of ``chunk`` (reports with their geometry, and the particulars each gives, by
    order); the index entry of each map drawn, by order."""
    entries = {}
    for application in chunk:
        report = checked[application.order]
        if isinstance(report, str):
            continue
        if drawing.maps:
            entries[application.order] = _draw_map(application, report, layers, drawing, outdir / MAPS)
        if drawing.pdf_dir is not None:
            _draw_pdf(application, report, layers, drawing, given.get(application.order, {}))
    return entries


def _draw_map(application: Application, report: Report, layers: LayerSet, drawing: Drawing, folder: Path) -> bytes:
    from redline.report.html import map_html

    name = f"{stem(application)}.html"
    write_atomic(folder / name, map_html(report, layers.nearby(report.footprint), overview=layers.outline,
                                         lang=drawing.map_lang, cdn=drawing.cdn, linked=drawing.linked, rules=layers.rules))
    whole = report.to_dict()
    summary = {"verdict": whole["verdict"], "project": {key: whole["project"].get(key) for key in ("name", "file", "area_m2")},
               "findings": [{key: finding[key] for key in ("rule", "status", "title_zh", "title_en")}
                            for finding in whole["findings"]]}
    return orjson.dumps({"order": application.order, "id": application.id, "report": summary, "link": name,
                         "footprint": shapely.to_wkb(report.footprint, hex=True)})


def _draw_pdf(application: Application, report: Report, layers: LayerSet, drawing: Drawing, given: dict) -> None:
    from redline.avoid import removed_m2
    from redline.report.basis import read_templates
    from redline.report.filing import review_files

    try:
        pdf = isolated(review_files, report, layers.rules, layers.nearby, ("pdf",), lang=drawing.pdf_lang,
                       templates=read_templates(layers.manifest.review), overview=layers.outline,
                       removed_m2=removed_m2(report, layers) if report.intrusions else None,
                       limits=DOCUMENT_LIMITS, label=application.id, **given)["pdf"]
    except Exception as error:  # noqa: BLE001 - this application's document only; the others are written
        log.warning("%s: 审查报告未能生成 / the review PDF could not be made (%s: %s)", application.id,
                    type(error).__name__, str(error)[:200])
        return
    write_atomic(Path(drawing.pdf_dir) / f"{stem(application)}.pdf", pdf)


def entries(outdir: Path) -> dict[int, dict]:
    """The index entries of the maps drawn so far, by order (a line cut by a kill is left out: its map is drawn again)."""
    path = outdir / MAPS / ENTRIES
    found = {}
    if path.exists():
        for line in path.read_bytes().splitlines():
            try:
                entry = orjson.loads(line)
            except orjson.JSONDecodeError:
                continue
            found[entry["order"]] = entry
    return found


def missing(applications: list[Application], rows: dict[int, tuple], drawing: Drawing, outdir: Path) -> list[Application]:
    """The applications of ``applications`` checked (``rows``, by order) but not drawn as ``drawing`` asks."""
    if not drawing:
        return []
    mapped = entries(outdir) if drawing.maps else {}
    return [application for application in applications if application.order in rows
            and rows[application.order][1] != "error"  # a results row's verdict (``RESULT_COLUMNS``)
            and ((drawing.maps and application.order not in mapped)
                 or (drawing.pdf_dir is not None and not (Path(drawing.pdf_dir) / f"{stem(application)}.pdf").exists()))]


def write_index(outdir: Path, applications: list[Application], rows: dict[int, tuple], drawing: Drawing, overview) -> int:
    """OUTDIR/maps/index.html: every drawn map, and the applications that could not be checked with why; the
    number of maps."""
    from redline.report.html import index_html

    drawn = entries(outdir)
    listed = [(entry["report"], shapely.from_wkb(entry["footprint"]), entry["link"], entry["id"])
              for entry in (drawn.get(application.order) for application in applications) if entry is not None]
    failed = [(application.id, rows[application.order][3]) for application in applications  # (``RESULT_COLUMNS``)
              if application.order in rows and rows[application.order][1] == "error"]
    write_atomic(outdir / MAPS / "index.html", index_html(listed, overview=overview, lang=drawing.map_lang,
                                                          cdn=drawing.cdn, failed=failed, linked=drawing.linked))
    return len(listed)


def stem(application: Application) -> str:
    """The file name of an application's map or PDF: its id as it is (西青工厂), or prefixed with its order when
    characters a file name cannot hold had to be replaced (two ids must never share a name)."""
    safe = UNSAFE_IN_NAMES.sub("_", application.id)[:80]
    return safe if safe == application.id and safe else f"{application.order:06d}_{safe}"
