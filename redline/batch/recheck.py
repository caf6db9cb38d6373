"""recheck(): a finished batch checked again with other layers (a new vintage), and every application whose verdict
or figures change, with before and after.

The new results go to a folder of their own (a batch of the same inputs, declarations and options against the new
manifest), so results of two layer vintages are never mixed; each change names both manifests' hashes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import orjson

from redline.batch.journal import JOURNAL, REPORTS, STATE
from redline.batch.run import Summary, run_batch
from redline.errors import RedlineError
from redline.model import Options

FIGURE_TOLERANCE = 0.01
"""Figures (m², m) closer than this are the same: a layer file rewritten without change moves nothing."""


@dataclass(frozen=True)
class Change:
    """One application whose results differ: its id, each changed column's (before, after), both manifests' hashes."""

    id: str
    order: int
    columns: dict[str, tuple]
    manifests: tuple[str, str]

    @property
    def verdicts(self) -> tuple:
        return self.columns.get("verdict", (None, None))

    def to_dict(self) -> dict:
        return {"id": self.id, "order": self.order, "changes": {k: list(v) for k, v in self.columns.items()},
                "manifest_before": self.manifests[0], "manifest_after": self.manifests[1]}


def recheck(outdir: Path, newdir: Path, manifest, *, workers: int = 1, progress=None) -> tuple[list[Change], Summary]:
    """Check the applications of the batch in ``outdir`` again against ``manifest`` into ``newdir`` (resumable like
    any batch, with full reports), and the applications whose results changed, in input order."""
    outdir, newdir = Path(outdir), Path(newdir)
    if outdir.resolve() == newdir.resolve():
        raise RedlineError(f"{newdir}: 新结果须写入另一个文件夹 / the new results need a folder of their own")
    try:
        before = json.loads((outdir / STATE).read_text(encoding="utf-8"))
        rows_before = _rows(outdir, before["columns"])
    except (OSError, ValueError, KeyError) as error:
        raise RedlineError(f"{outdir}: 不是完整的批处理结果 / is not a finished batch folder ({error})") from None
    summary = run_batch([Path(p) for p in before["sources"]], newdir, manifest=manifest,
                        options=Options(**before["options"]), workers=workers, id_field=before["id_field"],
                        crs=before["crs"], progress=progress, reports=True, tables=("csv", "parquet"))
    after = json.loads((newdir / STATE).read_text(encoding="utf-8"))
    rows_after = _rows(newdir, after["columns"])
    changes = []
    for identifier, (order, old) in rows_before.items():
        new = rows_after.get(identifier, (order, {}))[1]
        differ = {column: (old.get(column), new.get(column)) for column in dict.fromkeys([*old, *new])
                  if column != "id" and not _same(old.get(column), new.get(column))}
        if differ:
            changes.append(Change(identifier, order, differ, (before["manifest"], after["manifest"])))
    return sorted(changes, key=lambda change: change.order), summary


def changed_reports(newdir: Path, changes: list[Change]) -> dict[str, dict]:
    """The new full reports of the changed applications, by id."""
    wanted = {change.id for change in changes}
    with open(Path(newdir) / REPORTS, encoding="utf-8") as reports:
        return {record["id"]: record["report"] for record in map(orjson.loads, reports)
                if record["id"] in wanted and "report" in record}


def _rows(folder: Path, columns: list[str]) -> dict[str, tuple[int, dict]]:
    with open(folder / JOURNAL, encoding="utf-8") as journal:
        return {record["id"]: (record["order"], dict(zip(columns, record["row"]))) for record in map(orjson.loads, journal)}


def _same(a, b) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return abs(a - b) <= FIGURE_TOLERANCE
    return a == b
