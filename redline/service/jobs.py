"""What runs in a check process: reading and checking an upload, re-running, avoiding, making documents and the
ledger of past checks.

Each job gets the layers the process inherited and its own store (``in_check_process``)."""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass
from pathlib import Path

import orjson
import shapely

from redline.crs import regional_crss, warm_transformers
from redline.io import as_project
from redline.io.formats import preload
from redline.isolation import Limits as IsolationLimits
from redline.isolation import die_with_parent, isolated
from redline.layers import LayerSet
from redline.model import Options, Report
from redline.parameters import form_spelling, spelled
from redline.pipeline import check
from redline.report.documents import OF_RECORD
from redline.report.html import map_html
from redline.report.json import compact_json, intrusions_geojson, read_intrusions_geojson
from redline.report.review import beijing_time
from redline.report.tables import identity, layout, report_hits, table_row, workbook_xlsx
from redline.service.config import Limits
from redline.service.forms import STATES
from redline.service.store import Store


@dataclass(frozen=True)
class Upload:
    """One upload to check: where it was saved, the name the client gave it, and the request's options."""

    path: Path
    filename: str
    options: Options
    reading: dict
    """How to read it: keywords of ``read_project`` the request gave (``redline.parameters.READING``)."""
    lang: str
    limits: Limits
    owner: str | None = None
    """The user who submitted it (None in single-person mode)."""
    previous: str | None = None
    """The check this upload answers (a resubmission)."""
    particulars: dict = dataclasses.field(default_factory=dict)
    """申请单位, 文号 and 项目代码 given with the upload, for the review documents."""


CHECK_NICENESS = 19
"""Check processes run this much nicer than the event loop (the most there is: they take the CPU the loop
leaves): under load the loop, which reads requests and writes answers for every connection, must not wait
for the CPU behind checks. Measured with benchmarks/bench_service.py: p95 ≈ 1 s in 6 runs of 6 at 0 and
at 2, 6 of 24 at 5, 1 of 14 at 10; at 19, p95 148–193 ms in 21 runs of 21. On a host shared with other
busy work, the checks get only what that work leaves."""

CHECK_PROCESS: dict = {}
"""The layers and the database path the check processes inherit when forked; each opens its own store."""


def start_check_process(server: int) -> None:
    """A check process: niced, killed by the kernel if the server dies, with the CRS transformers of the region made
    and every reader imported (the child reading each upload inherits them instead of asking PROJ again and importing
    them). ``server`` is the process that forked it."""
    die_with_parent(server)
    os.nice(CHECK_NICENESS)
    warm_transformers(regional_crss(CHECK_PROCESS["layers"].bounds))
    preload()




def in_check_process(function, *args):
    """``function(*args, layers=…, store=…)`` in a check process, with the layers it inherited and its own store."""
    if "store" not in CHECK_PROCESS:
        CHECK_PROCESS["store"] = Store(CHECK_PROCESS["db"])
    return function(*args, layers=CHECK_PROCESS["layers"], store=CHECK_PROCESS["store"])


def outdated_layers(manifest: dict, layers: LayerSet) -> list[str]:
    """The layers a stored check was made against that the service now holds in another vintage."""
    return [layer["id"] for layer in manifest["layers"] if layer["id"] in layers.manifest.layers
            and layers.data_sha256(layers.manifest.layers[layer["id"]]) != layer["sha256"]]


DOCUMENT_LIMITS = IsolationLimits(seconds=60.0, memory_bytes=1024 ** 3)
"""What making one review document may take, in a child of a check process."""




def document_of(check_id: str, kind: str, lang: str, *, layers: LayerSet, store: Store) -> tuple[bytes, list[str]]:
    """A stored check's review document made now, in a child held to ``DOCUMENT_LIMITS`` (a hostile name never keeps
    a worker), from its stored figures; without the map sheet when the layers changed since. The layers changed."""
    from redline.avoid import removed_m2
    from redline.report.basis import read_templates
    from redline.report.filing import review_files

    row = store.get(check_id)
    result = stored_report(row)
    changed = outdated_layers(result.manifest, layers)
    files = isolated(review_files, result, layers.rules, layers.nearby, (kind,), lang=lang, overview=layers.outline,
                     templates=read_templates(layers.manifest.review),
                     removed_m2=removed_m2(result, layers) if result.intrusions and not changed else None,
                     decision=json.loads(row["review"]) if row["review"] else None, with_sheet=not changed,
                     limits=DOCUMENT_LIMITS, label=f"check {check_id[:8]}", **particulars_of(row))
    return files[kind], changed




def documents_of_record(check_id: str, *, layers: LayerSet, store: Store) -> dict:
    """Issue and keep a decided check's PDF and Word (Chinese) as they are at the decision: served from then on byte
    for byte, whatever changes later (layers, templates, code). Their SHA-256 by kind."""
    from redline.avoid import removed_m2
    from redline.report.basis import read_templates
    from redline.report.filing import review_files

    row = store.get(check_id)
    result = stored_report(row)
    files = isolated(review_files, result, layers.rules, layers.nearby, OF_RECORD, lang="zh", overview=layers.outline,
                     templates=read_templates(layers.manifest.review),
                     removed_m2=removed_m2(result, layers) if result.intrusions else None,
                     decision=json.loads(row["review"]), limits=DOCUMENT_LIMITS, label=f"check {check_id[:8]}",
                     **particulars_of(row))
    return {kind: store.keep_document(check_id, kind, "zh", content) for kind, content in files.items()}




def avoided_stored(check_id: str, review: bool, *, layers: LayerSet, store: Store) -> str:
    """The compliant footprint of a stored check as a GeoJSON Feature (lon/lat) with its figures."""
    from redline.avoid import avoid

    row = store.get(check_id)
    earlier = json.loads(row["report"])
    project = as_project(shapely.from_wkb(row["footprint"]), crs="EPSG:4490", name=earlier["project"].get("name"))
    result = avoid(project, layers, options=Options(**earlier["options"]), avoid_review=review)
    properties = {"check": check_id, "name": earlier["project"].get("name"), "area_m2": result.before.project["area_m2"],
                  "kept_m2": result.after.project["area_m2"], "lost_m2": result.lost_m2,
                  "small_parts_m2": result.small_parts_m2, "verdict": result.after.verdict.value,
                  "avoid_review": review}
    return compact_json({"type": "Feature", "properties": properties,
                         "geometry": orjson.Fragment(shapely.to_geojson(result.project.geometry))})


def rerun_stored(check_id: str, *, layers: LayerSet, store: Store) -> str:
    """Check a stored boundary (its CGCS2000 footprint) again with ``layers`` and its declarations; store the result
    with ``previous`` = ``check_id``; the response body: the new report with its id and ``previous``."""
    row = store.get(check_id)
    earlier = json.loads(row["report"])
    result = check(shapely.from_wkb(row["footprint"]), layers, crs="EPSG:4490", options=Options(**earlier["options"]),
                   name=earlier["project"].get("name"))
    report = result.to_dict()
    report["project"]["file"] = earlier["project"]["file"]
    text = compact_json(report)
    new_id = store.add(text, intrusions_geojson(result), shapely.to_wkb(result.footprint), row["lang"], previous=check_id,
                       owner=row["owner"], particulars=particulars_of(row))
    return compact_json({"id": new_id, "previous": check_id})[:-1] + "," + text[1:]


def check_upload(upload: Upload, *, layers: LayerSet, store: Store) -> str:
    """Read and check one upload in an isolated child, store the result; the response body: the report with its id."""
    result = check(upload.path, layers, options=upload.options, limits=upload.limits.isolation, **upload.reading,
                            max_bytes=upload.limits.max_bytes, max_vertices=upload.limits.max_vertices)
    report = result.to_dict()
    report["project"]["file"] = upload.filename
    for note in report["project"]["warnings"]:
        note["where"] = for_the_web(note["where"], upload)
    report["project"]["repairs"] = [for_the_web(text, upload) for text in report["project"]["repairs"]]
    text = compact_json(report)
    check_id = store.add(text, intrusions_geojson(result), shapely.to_wkb(result.footprint), upload.lang,
                         owner=upload.owner, previous=upload.previous, particulars=upload.particulars)
    return compact_json({"id": check_id})[:-1] + "," + text[1:]


def for_the_web(message: str, upload: Upload) -> str:
    """``message`` for a web user: the client's file name for the server's temporary one, parameters as form fields."""
    message = message.replace(str(upload.path), upload.filename)
    message = message.replace(str(upload.path.with_suffix("")), Path(upload.filename).stem)
    return spelled(message, form_spelling)


def particulars_of(row: dict) -> dict:
    """The 申请单位, 文号 and 项目代码 stored with a check ({} for a check stored before they were)."""
    return json.loads(row["particulars"]) if row["particulars"] else {}


STATE_WORDS = {"pending": "待审", **dict(STATES.values())}
"""A check's review state in the ledger's words."""


def ledger_of(filters: dict, *, layers: LayerSet, store: Store) -> bytes:
    """The 台账 workbook of the past checks ``Store.find(**filters)`` lists (newest first): each one's id, project
    particulars and districts, submission time (Beijing), review state, verdict and every constraint's status and
    figure, and a sheet of the features each hit (``redline.report.tables.workbook_xlsx``)."""
    columns = layout(layers.rules)
    rows, identities, hits = [], [], []
    for row in store.find(**filters, full=True):
        report = Report.from_dict(json.loads(row["report"]))
        cells = table_row(row["id"], report, columns)
        rows.append((cells[0], beijing_time(row["created"]), STATE_WORDS.get(row["state"] or "pending", ""), *cells[1:]))
        identities.append(identity(report, particulars_of(row)))
        hits += report_hits(row["id"], report)
    return workbook_xlsx(("id", "created", "state", *columns.header[1:]), rows, hits,
                         {rule.RULE.id: rule.RULE for rule in layers.rules}, identities=identities)


def stored_report(row: dict) -> Report:
    """The stored report with its footprint and intrusion pieces (the upload itself is never kept)."""
    return dataclasses.replace(Report.from_dict(json.loads(row["report"])), footprint=shapely.from_wkb(row["footprint"]),
                               intrusions=read_intrusions_geojson(row["intrusions"]))


def map_from_stored(row: dict, layers: LayerSet, *, cdn: bool) -> str:
    """Rebuild the map from the stored report, intrusions and footprint."""
    result = stored_report(row)
    return map_html(result, layers.nearby(result.footprint), overview=layers.outline, lang=row["lang"], cdn=cdn,
                    rules=layers.rules)


