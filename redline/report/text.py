"""A readable summary table of a report for the terminal, in Chinese or English."""

from __future__ import annotations

import unicodedata

from redline.model import Report
from redline.report.review import recommended
from redline.report.style import STATUS_WORDS

LABELS = {
    "en": {"verdict": "Verdict", "project": "Project", "area": "Area", "rule": "Rule", "status": "Status",
           "detail": "Finding", "exemption": "Exemption", "layers": "Layers",
           "pass": "PASS", "review": "REVIEW", "violation": "VIOLATION",
           "clear": "clear", "not_checked": "not checked"},
    "zh": {"verdict": "结论", "project": "项目", "area": "面积", "rule": "管控要求", "status": "状态",
           "detail": "说明", "exemption": "豁免", "layers": "图层",
           **STATUS_WORDS["zh"]},
}


def summary(report: Report, *, lang: str = "en") -> str:
    """The verdict, the project and one line per rule: status and reason."""
    label = LABELS[lang]
    area = report.project["area_m2"]
    lines = [
        f"{label['project']}: {report.project.get('name') or report.project['file']}",
        f"{label['area']}: {area:,.1f} m² = {area / 10_000:,.4f} ha = {area * 15 / 10_000:,.2f} 亩",
        f"{label['verdict']}: {label[report.verdict.value]}",
        "",
    ]
    width = max(_width(f.title_zh if lang == "zh" else f.title_en) for f in report.findings) + 2
    for finding in report.findings:
        title = finding.title_zh if lang == "zh" else finding.title_en
        reason = finding.reason_zh if lang == "zh" else finding.reason_en
        lines.append(f"{_pad(title, width)}{_pad(label[finding.status.value], 12)}{reason}")
        if finding.exemption:
            lines.append(f"{'':<{width + 12}}{label['exemption']}: {finding.exemption}")
    lines += ["", report.manifest.get("disclaimer", "")]
    return "\n".join(lines)


def _width(text: str) -> int:
    """Terminal columns of ``text``: East Asian wide characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(width - _width(text), 1)


def avoid_table(result, again: Report, *, lang: str = "en") -> str:
    """What ``redline avoid`` kept and left out (``redline.avoid.Avoided``), and the verdict of the file written."""
    label = LABELS[lang]
    titles = {f.rule: (f.title_zh if lang == "zh" else f.title_en) for f in result.before.findings}
    before, kept = result.before.project["area_m2"], again.project["area_m2"]
    lines = [f"{label['project']}: {before / 10_000:,.4f} ha → {kept / 10_000:,.4f} ha "
             f"({kept / before:.1%} {'保留' if lang == 'zh' else 'kept'})"]
    width = max([_width(t) for t in titles.values()] + [10]) + 2
    for rule, lost in result.lost_m2.items():
        lines.append(f"{_pad(titles[rule], width)}−{lost / 10_000:,.4f} ha")
    if result.small_parts_m2:
        small = "小于最小面积的部分" if lang == "zh" else "parts below the minimum"
        lines.append(f"{_pad(small, width)}−{result.small_parts_m2 / 10_000:,.4f} ha")
    lines.append(f"{label['verdict']}: {label[again.verdict.value]}")
    return "\n".join(lines)


def compare_table(alternatives, rules, *, lang: str = "en") -> str:
    """Alternatives (``redline.compare.Alternative``) side by side: one column each; rows for the area, the verdict,
    every constraint's status and headline figure, and the area kept and lost once violations are avoided.
    ``rules`` maps a rule id to its ``Rule``."""
    label = LABELS[lang]
    words = {"kept": ("避让后保留", "kept after avoiding"), "lost": ("避让损失", "lost to avoiding")}
    index = 0 if lang == "zh" else 1
    rows = [("", [a.label for a in alternatives]),
            (f"{label['area']} (ha)", [f"{a.report.project['area_m2'] / 10_000:,.4f}" for a in alternatives]),
            (label["verdict"], [label[a.report.verdict.value] for a in alternatives])]
    for finding in alternatives[0].report.findings:
        rule = rules.get(finding.rule)
        figure = rule.figure if rule else "area_m2"
        cells = []
        for alternative in alternatives:
            found = next(f for f in alternative.report.findings if f.rule == finding.rule)
            value = found.measures.get(figure)
            amount = "" if value is None else (f" {value / 10_000:,.4f} ha" if figure.endswith("_m2") else f" {value:,.1f} m")
            cells.append(f"{label[found.status.value]}{amount}")
        rows.append((finding.title_zh if lang == "zh" else finding.title_en, cells))
    rows.append((f"{words['kept'][index]} (ha)", [f"{a.kept_m2 / 10_000:,.4f}" for a in alternatives]))
    rows.append((f"{words['lost'][index]} (ha)", [f"{a.lost_m2 / 10_000:,.4f}" for a in alternatives]))
    first = max(_width(title) for title, _ in rows) + 2
    widths = [max(_width(cells[n]) for _, cells in rows) + 2 for n in range(len(alternatives))]
    table = "\n".join(_pad(title, first) + "".join(_pad(cell, width) for cell, width in zip(cells, widths)).rstrip()
                      for title, cells in rows)
    return f"{table}\n{'推荐方案' if lang == 'zh' else 'Recommended'}: {recommended(alternatives).label}"


def diff_table(diffs, *, lang: str = "en") -> str:
    """One line per layer (``redline.diff.LayerDiff``): area (km²) or length (km) added and removed, features added,
    removed and changed; unchanged layers say so."""
    same, new, dropped = ("未变化", "新增图层", "已删除图层") if lang == "zh" else ("unchanged", "new layer", "dropped layer")
    width = max([_width(d.layer) for d in diffs] + [8]) + 2
    lines = []
    for diff in diffs:
        unit, scale = ("km²", 1e6) if diff.unit == "m2" else ("km", 1e3)
        if diff.same:
            lines.append(f"{_pad(diff.layer, width)}{same}")
            continue
        state = {"new": f" ({new})", "dropped": f" ({dropped})"}.get(diff.state, "")
        lines.append(f"{_pad(diff.layer, width)}+{diff.added / scale:,.6f} {unit}  −{diff.removed / scale:,.6f} {unit}  "
                     f"features +{len(diff.features_added)} −{len(diff.features_removed)} ~{len(diff.features_changed)}"
                     f"{state}")
        for mark, keys in (("+", diff.features_added), ("−", diff.features_removed), ("~", diff.features_changed)):
            if keys and diff.state == "changed":
                shown = ", ".join(keys[:8]) + (f" … ({len(keys)})" if len(keys) > 8 else "")
                lines.append(f"{'':<{width}}  {mark} {shown}")
    return "\n".join(lines)
