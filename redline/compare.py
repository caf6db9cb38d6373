"""compare(): alternative boundaries of one project (方案比选) side by side — each one's check, and how much of it
``redline.avoid`` would have to give up to leave no violation."""

from __future__ import annotations

from dataclasses import dataclass

from redline.avoid import avoid
from redline.errors import GeometryError
from redline.io import Project
from redline.layers import LayerSet
from redline.model import Options, Report
from redline.pipeline import check_projects


@dataclass(frozen=True)
class Alternative:
    """One alternative: its label, its report, and the area (m²) of its compliant footprint (``redline.avoid``;
    the whole project when it has no violation, 0 when nothing of it can be kept)."""

    label: str
    report: Report
    kept_m2: float

    @property
    def lost_m2(self) -> float:
        """Area (m²) the alternative loses to avoiding its violations."""
        return self.report.project["area_m2"] - self.kept_m2

    def to_dict(self) -> dict:
        report = self.report.to_dict()
        return {"label": self.label, "verdict": report["verdict"], "area_m2": report["project"]["area_m2"],
                "kept_m2": self.kept_m2, "lost_m2": self.lost_m2, "report": report}


def compare(projects: list[Project], layers: LayerSet, *, options: Options = Options(),
            min_part_m2: float = 100.0) -> list[Alternative]:
    """Each of ``projects`` (read, in the region) checked against ``layers``, with the area it keeps once its
    violations are avoided (parts under ``min_part_m2`` dropped, as ``redline avoid`` does)."""
    alternatives = []
    for project in projects:
        try:
            avoided = avoid(project, layers, options=options, min_part_m2=min_part_m2)
            report, kept = avoided.before, avoided.after.project["area_m2"]
        except GeometryError:  # nothing of it is left once its violations are avoided
            report, kept = check_projects([project], layers, options=options)[0], 0.0
        alternatives.append(Alternative(project.path.stem, report, kept))
    return alternatives


def changes(before: dict, after: dict) -> list[dict]:
    """What changed from one report (a JSON dict) to another of the same project, e.g. a resubmission: the verdict,
    the area, and each constraint whose status or headline figures differ (``rule``, ``status_before``/``_after``,
    the measures that changed with both values)."""
    found = []
    if before["verdict"] != after["verdict"]:
        found.append({"rule": None, "what": "verdict", "before": before["verdict"], "after": after["verdict"]})
    if abs(before["project"]["area_m2"] - after["project"]["area_m2"]) > 0.01:
        found.append({"rule": None, "what": "area_m2", "before": before["project"]["area_m2"],
                      "after": after["project"]["area_m2"]})
    earlier = {finding["rule"]: finding for finding in before["findings"]}
    for finding in after["findings"]:
        old = earlier.get(finding["rule"])
        if old is None:
            continue
        measures = {name: (old["measures"].get(name), value) for name, value in finding["measures"].items()
                    if name.endswith(("_m2", "_m")) and abs((old["measures"].get(name) or 0) - (value or 0)) > 0.01}
        if old["status"] != finding["status"] or measures:
            found.append({"rule": finding["rule"], "what": "finding", "before": old["status"], "after": finding["status"],
                          "measures": {name: {"before": b, "after": a} for name, (b, a) in measures.items()}})
    return found
