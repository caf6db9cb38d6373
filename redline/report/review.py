"""The review file's content (审查报告): headings, fields, tables and paragraphs in reading order, in Chinese or
English, built from a report's figures. ``redline.report.pdf`` and ``redline.report.word`` lay out the same
blocks, so the two documents never say different things.

The 审查意见 of each constraint is generated from templates and the measured figures; nothing in it is
typed by hand, and every number in it is one of the report's measures.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

from redline.crs import CGCS2000, SQUARE_METRES_PER_MU, gauss_kruger_crs
from redline.model import Finding, Report, Status, Verdict
from redline.report.basis import Templates, read_templates
from redline.report.style import STATUS_WORDS, VERDICT_WORDS, status_key
from redline.rules.base import ACTIVITIES

NUMERALS = "一二三四五六七八九十"
BEIJING = ZoneInfo("Asia/Shanghai")
WORDS = {
    "zh": {"title": "建设项目用地红线管控审查报告", "id": "报告编号", "office_number": "文号",
           "project": "项目基本情况", "name": "项目名称", "code": "项目代码", "applicant": "申请单位",
           "reference": "项目文号", "districts": "坐落", "area": "用地面积", "parcels": "地块数", "land": "地类构成",
           "crs": "提交坐标系", "file": "提交文件", "declared": "申报情形", "corrections": "读取说明",
           "basis": "审查依据", "conclusion": "审查结论", "verdict": "审查结论",
           "sections": "分项审查意见", "clause": "政策原文", "own_basis": "依据", "figures": "量测结果",
           "hits": "涉及要素", "hit_header": ("名称", "类别", "面积或长度", "占项目用地比例"),
           "exemption": "适用情形", "opinion": "审查意见",
           "advice": "结论与建议", "context": "区位与用地现状", "landcover": "土地覆盖（参考）",
           "map": "附图1 建设项目用地红线审查图", "annex": "附件1 界址点坐标表",
           "points_header": ("点号", "圈号", "X（北坐标，米）", "Y（东坐标，米）"),
           "data": "数据说明", "layers_header": ("图层", "版本", "SHA-256（前 16 位）", "状态"),
           "loaded": "已加载", "missing": "未加载", "manifest": "图层清单", "version": "redline 版本",
           "sha": "提交文件 SHA-256", "checked": "检查时间（北京时间）", "generated": "报告生成时间（北京时间）",
           "disclaimer": "数据声明", "templates": "审查依据与意见模板",
           "method": "面积为 2000 国家大地坐标系椭球面精确面积，长度为椭球面测地线长度；小于 0.01 平方米的重叠视为数值误差。",
           "sign": "审查签署", "signers": ("经办人", "复核人", "审核（签发）人"),
           "sign_header": ("职责", "意见", "签名", "日期"), "date_blank": "　　年　　月　　日",
           "seal": "审查单位（盖章）", "none": "无", "not_involved": "不涉及", "tabulation": "统计（不作结论）",
           "page": "第 {page} 页 / 共 {pages} 页", "ha": "公顷", "mu": "亩", "m": "米"},
    "en": {"title": "Red-line compliance review report", "id": "Report no.", "office_number": "Office no.",
           "project": "Project", "name": "Project name", "code": "Project code", "applicant": "Applicant",
           "reference": "Reference no.", "districts": "Location", "area": "Area", "parcels": "Parcels",
           "land": "Land classes", "crs": "Submitted CRS", "file": "Submitted file", "declared": "Declared",
           "corrections": "Notes on reading the file", "basis": "Legal basis", "conclusion": "Conclusion",
           "verdict": "Verdict", "sections": "Constraint by constraint", "clause": "Policy clause",
           "own_basis": "Basis", "figures": "Measured", "hits": "Features hit",
           "hit_header": ("Name", "Class", "Area or length", "Share of project"), "exemption": "Case applied",
           "opinion": "Review opinion", "advice": "Conclusion and next steps", "context": "Location and land use",
           "landcover": "Land cover (reference)", "map": "Figure 1 Review map", "annex": "Annex 1 Boundary points",
           "points_header": ("Point", "Ring", "X (northing, m)", "Y (easting, m)"),
           "data": "Data", "layers_header": ("Layer", "Vintage", "SHA-256 (first 16)", "State"),
           "loaded": "loaded", "missing": "not loaded", "manifest": "Layer manifest", "version": "redline version",
           "sha": "Submitted file SHA-256", "checked": "Checked (Beijing time)", "generated": "Generated (Beijing time)",
           "disclaimer": "Data disclaimer", "templates": "Basis and opinion templates",
           "method": "Areas are exact on the CGCS2000 ellipsoid, lengths geodesic; overlaps under 0.01 m² are numerical "
                     "noise.",
           "sign": "Signatures", "signers": ("Prepared by", "Checked by", "Approved by"),
           "sign_header": ("Role", "Opinion", "Signature", "Date"), "date_blank": "",
           "seal": "Reviewing office (seal)", "none": "none", "not_involved": "not involved",
           "tabulation": "tabulation (decides nothing)",
           "page": "Page {page} of {pages}", "ha": "ha", "mu": "mu", "m": "m"},
}
MAX_POINTS = 2_000
"""Boundary points listed in the annex; a longer boundary says how many more there are."""
MEASURE_WORDS = {"area_m2": ("面积", "area"), "share": ("占项目用地比例", "share of project"), "length_m": ("长度", "length"),
                 "deduction_m2": ("扣除面积", "deduction"), "net_m2": ("净面积", "net area"), "m": ("距离", "distance")}
PREFIX_WORDS = {"layer": ("图层总", "layer total "), "buffer": ("缓冲区", "buffer "), "city_natural_before": (
    "全市自然岸线（项目前）", "city natural coast before "), "city_natural_after": ("全市自然岸线（项目后）",
                                                                          "city natural coast after "),
    "retention_before": ("自然岸线保有率（项目前）", "natural coast retained before, "),
    "retention_after": ("自然岸线保有率（项目后）", "natural coast retained after, "),
    "natural_in_footprint": ("用地内自然岸线", "natural coast in the footprint, "),
    "natural_within_setback": ("退让范围内自然岸线", "natural coast within the setback, "),
    "setback": ("岸线退让", "setback "), "outside": ("边界外", "outside "), "inside": ("边界内", "inside ")}
MEASURE_NAMES = {"setback_m": ("岸线退让距离", "coastal setback"), "buffer_m": ("缓冲距离", "buffer distance"),
                 "city_natural_before_m": ("全市自然岸线长度（项目前）", "city natural coast before"),
                 "city_natural_after_m": ("全市自然岸线长度（项目后）", "city natural coast after"),
                 "retention_before_share": ("自然岸线保有率（项目前）", "natural coast retained before"),
                 "retention_after_share": ("自然岸线保有率（项目后）", "natural coast retained after")}
"""Measures whose name the prefix and suffix words would say wrongly."""
MU_RULES = ("farmland",)
"""Rules whose areas are also given in 亩 (cultivated land); every other area is in 公顷 only."""


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 1


@dataclass(frozen=True)
class Paragraph:
    text: str
    style: str = "body"
    """``body``, ``verdict`` (large, coloured by ``status``), ``clause`` (quoted), ``opinion`` or ``note``."""
    status: str | None = None


@dataclass(frozen=True)
class Fields:
    rows: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class MapSheet:
    """Where the map sheet goes (a page of its own in the PDF, a figure in Word), when one was drawn."""

    caption: str


@dataclass(frozen=True)
class Signatures:
    """The signing block: one row per signer (role; opinion, signature and date left to fill by hand) and a box
    for the office's seal, at least ``seal_mm`` square."""

    header: tuple[str, ...]
    signers: tuple[str, ...]
    date: str
    seal: str
    seal_mm: float = 42.0
    signed: dict = field(default_factory=dict)
    """Signer → (name, date) already known (the reviewer who decided in the service)."""


@dataclass(frozen=True)
class ReviewDocument:
    """What a review file says: its title, number, language and blocks; the footer a renderer prints on every page."""

    title: str
    subtitle: str
    number: str
    lang: str
    blocks: tuple = field(default_factory=tuple)
    office_number: str = ""
    """The office's own number (文号) from its template, the sequence left blank to fill by hand."""

    @property
    def label(self) -> str:
        """'报告编号 RL-…' / 'Report no. RL-…'."""
        return f"{WORDS[self.lang]['id']} {self.number}"

    def footer(self, page: int, pages: int | str) -> str:
        return f"{self.label} · " + WORDS[self.lang]["page"].format(page=page, pages=pages)


def report_number(report: Report) -> str:
    """The report's number: RL-, the check's date and 8 hex digits of the SHA-256 of its project, layers and time,
    so the same check always has the same number and two checks never share one."""
    digest = hashlib.sha256(f"{report.project['sha256']}|{report.manifest['sha256']}|{report.created}".encode())
    return f"RL-{report.created[:10].replace('-', '')}-{digest.hexdigest()[:8].upper()}"


def beijing_date(moment: str | datetime, lang: str = "zh") -> str:
    """An ISO time (UTC or with its offset) or a datetime as its Beijing date: '2026年12月6日' / '2026-12-06'."""
    when = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    when = (when if when.tzinfo else when.replace(tzinfo=timezone.utc)).astimezone(BEIJING)
    return f"{when.year}年{when.month}月{when.day}日" if lang == "zh" else when.strftime("%Y-%m-%d")


def beijing_time(moment: str | datetime, lang: str = "zh") -> str:
    """'2026年12月6日 08:30' / '2026-12-06 08:30 (UTC+8)'."""
    when = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    when = (when if when.tzinfo else when.replace(tzinfo=timezone.utc)).astimezone(BEIJING)
    return f"{beijing_date(when, lang)} {when:%H:%M}" + ("" if lang == "zh" else " (UTC+8)")


def review_document(report: Report, rules, *, lang: str = "zh", applicant: str | None = None,
                    reference: str | None = None, project_code: str | None = None, with_map: bool = False,
                    templates: Templates | None = None, removed_m2: float | None = None,
                    decision: dict | None = None) -> ReviewDocument:
    """The review file of ``report`` (审查报告), Chinese only in Chinese and English only in English.

    ``rules`` maps each finding's rule id to its ``Rule`` (titles of class roles, headline figure), e.g.
    ``{r.RULE.id: r.RULE for r in layers.rules}``; ``templates`` give the legal basis and the opinions' wording
    (``redline.report.basis``; the national defaults when None); ``removed_m2`` is what avoiding the violations
    takes away (``redline.avoid.removed_m2``), stated in the conclusion; ``with_map`` adds the map sheet.
    """
    templates = templates or read_templates()
    words = WORDS[lang]
    zh = lang == "zh"
    project = report.project
    area_m2 = project["area_m2"]
    districts = list(report.context.get("region_features", []))
    findings = [found for found in report.findings if rules.get(found.rule) is None or rules[found.rule].decides]
    tabulated = [found for found in report.findings if found not in findings]

    rows = [(words["name"], str(project.get("name") or Path(project["file"]).stem))]
    rows += [(words[key], value) for key, value in (("code", project_code), ("applicant", applicant),
                                                     ("reference", reference)) if value]
    rows += [(words["districts"], "、".join(districts) if districts else words["none"]),
             (words["area"], _area(area_m2, lang)), (words["parcels"], str(project["parcels"]))]
    land = _land_classes(tabulated, templates, lang)
    if land:
        rows.append((words["land"], land))
    rows += [(words["crs"], crs_words(project["crs"], lang)), (words["file"], Path(project["file"]).name),
             (words["declared"], _declaration(report.options, lang))]
    rows += [(words["corrections"], note[lang]) for note in project.get("warnings", [])]
    rows += [(words["corrections"], note[lang]) for note in project.get("notes", [])]
    blocks: list = [Heading(f"{_numeral(1, lang)}{words['project']}"), Fields(tuple(rows))]

    blocks.append(Heading(f"{_numeral(2, lang)}{words['basis']}"))
    cited = list(dict.fromkeys([i.cite() for i in templates.general]
                               + [i.cite() for found in report.findings for i in templates.basis(found.rule)]))
    blocks += [Paragraph(f"{number}. {text}" + ("；" if zh and number < len(cited) else "。" if zh else ""))
               for number, text in enumerate(cited, 1)]

    verdict = report.verdict.value
    blocks += [Heading(f"{_numeral(3, lang)}{words['conclusion']}"),
               Paragraph(f"{words['verdict']}：{VERDICT_WORDS[lang][verdict]}" if zh
                         else f"{words['verdict']}: {VERDICT_WORDS[lang][verdict]}", "verdict", verdict)]
    blocks += [Paragraph(text) for text in _summary(findings, lang)]

    blocks.append(Heading(f"{_numeral(4, lang)}{words['sections']}"))
    for number, found in enumerate(report.findings, 1):
        blocks += _section(number, found, rules.get(found.rule), report, lang, templates)

    blocks.append(Heading(f"{_numeral(5, lang)}{words['advice']}"))
    blocks += [Paragraph(text) for text in _advice(findings, rules, report, lang, templates, removed_m2)]

    blocks.append(Heading(f"{_numeral(6, lang)}{words['context']}"))
    names = templates.document_names("landcover")
    landcover = [(f"{words['landcover']}：{names[str(code)]}" if zh else f"{words['landcover']}: {names[str(code)]}",
                  _area(area, lang)) for code, area in report.context.get("landcover_m2", {}).items() if str(code) in names]
    blocks.append(Fields(((words["districts"], "、".join(districts) if districts else words["none"]), *landcover)))
    blocks.append(Heading(f"{_numeral(7, lang)}{words['data']}"))
    manifest = report.manifest
    disclaimer = manifest.get("disclaimer_zh") if zh else manifest.get("disclaimer")
    blocks.append(Fields((
        (words["manifest"], f"{manifest.get('name', '')}（{Path(manifest['file']).name}）" if zh else
         f"{manifest.get('name', '')} ({Path(manifest['file']).name})"),
        (words["templates"], "、".join(templates.files)), (words["sha"], project["sha256"]),
        (words["version"], report.redline_version), (words["checked"], beijing_time(report.created, lang)),
        (words["generated"], beijing_time(datetime.now(timezone.utc), lang)))))
    titles = {found.layer: found.title_zh if zh else found.title_en for found in report.findings if found.layer}
    blocks.append(Table(words["layers_header"], tuple(
        (titles.get(layer["id"], layer["id"]), layer["vintage"],
         layer["sha256"][:16], words["loaded"] if layer.get("loaded", True) else words["missing"])
        for layer in manifest["layers"] if layer["id"] in titles or not zh)))
    blocks.append(Paragraph(words["method"], "note"))
    if disclaimer:
        blocks.append(Paragraph(f"{words['disclaimer']}：{disclaimer}" if zh else f"{words['disclaimer']}: {disclaimer}",
                                "note"))

    signed = {}
    if decision:
        blocks += _decision(decision, report, lang)
        signed = {words["signers"][-1]: (decision.get("reviewer_name") or decision.get("reviewer") or "",
                                         beijing_date(decision["at"], lang) if decision.get("at") else "")}
    blocks += [Heading(words["sign"]), Signatures(words["sign_header"], words["signers"], words["date_blank"],
                                                  words["seal"], signed=signed)]
    if with_map:
        blocks.append(MapSheet(words["map"]))
    points = boundary_points(report.footprint) if report.footprint is not None else None
    if points is not None:
        crs, table, total = points
        blocks += [Heading(words["annex"]),
                   Fields(((words["crs"] if not zh else "坐标系", crs_words(crs.to_string(), lang)),
                           (words["area"], _area(area_m2, lang)))),
                   Table(words["points_header"], tuple(table))]
        if total > len(table):
            blocks.append(Paragraph(f"共 {total:,} 个界址点，表中列出前 {len(table):,} 个。" if zh else
                                    f"{total:,} boundary points; the first {len(table):,} are listed.", "note"))

    return ReviewDocument(words["title"], templates.document.get("issuer", "") if zh else "", report_number(report), lang,
                          tuple(blocks), office_number=_office_number(templates, report, lang))


DECISION_WORDS = {"zh": {"approve": "通过", "return": "退回补正", "reject": "不予通过"},
                  "en": {"approve": "approved", "return": "returned for correction", "reject": "rejected"}}


def _decision(decision: dict, report: Report, lang: str) -> list:
    """The reviewer's decision: its word, opinion, name and time, and each override beside the generated status."""
    zh = lang == "zh"
    generated = {found.rule: found for found in report.findings}
    rows = ((("审查决定", DECISION_WORDS["zh"][decision["decision"]]), ("复核意见", decision.get("opinion") or "无"),
             ("审核人", decision.get("reviewer_name") or decision.get("reviewer") or ""),
             ("决定时间", beijing_time(decision["at"], lang) if decision.get("at") else "")) if zh else
            (("Decision", DECISION_WORDS["en"][decision["decision"]]), ("Opinion", decision.get("opinion") or "none"),
             ("Reviewer", decision.get("reviewer_name") or decision.get("reviewer") or ""),
             ("Decided", beijing_time(decision["at"], lang) if decision.get("at") else "")))
    blocks = [Heading("审查决定" if zh else "Reviewer's decision"), Fields(rows)]
    overrides = decision.get("overrides") or []
    if overrides:
        header = ("管控要求", "生成结论", "审查改定", "理由") if zh else ("Constraint", "Generated", "Set by the reviewer",
                                                                   "Reason")
        blocks.append(Table(header, tuple(
            (_title(generated[o["rule"]], lang) if o["rule"] in generated else o["rule"],
             STATUS_WORDS[lang][status_key(generated[o["rule"]])] if o["rule"] in generated else "",
             STATUS_WORDS[lang][o["status"]], o["reason"]) for o in overrides)))
    return blocks


def _office_number(templates: Templates, report: Report, lang: str) -> str:
    """The office's number from its template: the year of the check (Beijing time), the sequence left blank."""
    template = templates.document.get("number", "")
    if not template or lang != "zh":
        return ""
    year = datetime.fromisoformat(report.created).astimezone(BEIJING).year
    return template.format(year=year, seq="　　　")


def _summary(findings, lang: str) -> list[str]:
    """The conclusion in sentences: the constraints not met or needing more, then what the project does not touch."""
    zh = lang == "zh"
    flagged = [found for found in findings if found.status in (Status.VIOLATION, Status.REVIEW, Status.NOT_CHECKED)]
    met = [_title(found, lang) for found in findings if found.status is Status.CLEAR and found.features]
    clear = [_title(found, lang) for found in findings if found.status is Status.CLEAR and not found.features]
    texts = [f"{number}. {_title(found, lang)}：{STATUS_WORDS[lang][status_key(found)]}。" if zh else
             f"{number}. {_title(found, lang)}: {STATUS_WORDS[lang][status_key(found)]}."
             for number, found in enumerate(flagged, 1)]
    if met:
        texts.append(f"符合{'、'.join(met)}管控要求。" if zh else f"Meets the controls of: {', '.join(met)}.")
    if clear:
        texts.append(f"经审查，项目用地不涉及{'、'.join(clear)}。" if zh else
                     f"The project does not touch: {', '.join(clear)}.")
    return texts


def _advice(findings, rules, report: Report, lang: str, templates: Templates, removed_m2: float | None) -> list[str]:
    """What to do: avoid the violations (the area to take away and the area kept), and each constraint's next step."""
    zh = lang == "zh"
    texts = []
    area_m2 = report.project["area_m2"]
    if report.verdict is Verdict.VIOLATION and removed_m2 is not None:
        kept = max(area_m2 - removed_m2, 0.0)
        texts.append(f"按避让要求，应核减用地 {removed_m2 / 10_000:,.4f} 公顷，保留 {kept / 10_000:,.4f} 公顷"
                     f"（占原用地 {kept / area_m2:.2%}）。" if zh else
                     f"Avoiding the violations removes {removed_m2 / 10_000:,.4f} ha and keeps {kept / 10_000:,.4f} ha "
                     f"({kept / area_m2:.2%} of the project).")
    steps = []
    for found in findings:
        if found.status not in (Status.VIOLATION, Status.REVIEW):
            continue
        keys = [f"{key}_next" for key in _keys(found, rules.get(found.rule), report)]
        step = templates.text(found.rule, keys) if zh else None
        steps.append(f"{_title(found, lang)}：{_fill(step, found, rules.get(found.rule), report, lang, templates)}" if step
                     else f"{_title(found, lang)}: {_next_en(found)}")
    texts += [f"{number}. {step}" for number, step in enumerate(steps, 1)]
    if not steps:
        texts.append("项目用地符合各项红线管控要求，可按程序办理后续手续。" if zh else
                     "The project meets every red-line control; it may proceed.")
    return texts


def _next_en(found: Finding) -> str:
    return ("change the boundary to avoid it, or obtain the statutory approval." if found.status is Status.VIOLATION
            else "supply the supporting assessment the controls require and the competent department's opinion.")


VERDICT_RANK = {"pass": 0, "review": 1, "violation": 2}


def recommended(alternatives):
    """The alternative to recommend (推荐方案) and why: the best verdict, then the least area lost to avoiding its
    violations, then the most area kept."""
    best = min(alternatives, key=lambda a: (VERDICT_RANK[a.report.verdict.value], a.lost_m2, -a.kept_m2))
    return best


def comparison_document(alternatives, rules, *, lang: str = "zh", applicant: str | None = None,
                        reference: str | None = None, project_code: str | None = None) -> ReviewDocument:
    """The 方案比选 report: the alternatives (``redline.compare.Alternative``) side by side — area, verdict, every
    constraint's status and headline figure, the area kept and lost once violations are avoided — the 推荐方案 with
    its reason, each alternative's conclusion, the data block and the signing block."""
    words = WORDS[lang]
    zh = lang == "zh"
    project = [(words[key], value) for key, value in (("code", project_code), ("applicant", applicant),
                                                       ("reference", reference)) if value]
    header = ("", *(a.label for a in alternatives))
    rows = [(words["area"], *(_area(a.report.project["area_m2"], lang) for a in alternatives)),
            (words["verdict"], *(VERDICT_WORDS[lang][a.report.verdict.value] for a in alternatives))]
    for finding in alternatives[0].report.findings:
        rule = rules.get(finding.rule)
        cells = []
        for alternative in alternatives:
            found = next(f for f in alternative.report.findings if f.rule == finding.rule)
            amount = _headline(found, rule, alternative.report.project["area_m2"], lang)
            cells.append(f"{STATUS_WORDS[lang][status_key(found)]}{amount}")
        rows.append((_title(finding, lang), *cells))
    rows.append(("避让后保留" if zh else "Kept after avoiding", *(_area(a.kept_m2, lang) for a in alternatives)))
    rows.append(("避让损失" if zh else "Lost to avoiding", *(_area(a.lost_m2, lang) for a in alternatives)))
    best = recommended(alternatives)
    verdict = VERDICT_WORDS[lang][best.report.verdict.value]
    reason = (f"推荐方案：{best.label}。理由：审查结论为{verdict}，在各方案中最优；避让违规情形须核减 "
              f"{best.lost_m2 / 10_000:,.4f} 公顷，保留 {best.kept_m2 / 10_000:,.4f} 公顷，核减最少。" if zh else
              f"Recommended: {best.label}. Its verdict ({verdict}) is the best of the alternatives, and avoiding its "
              f"violations removes the least ({best.lost_m2 / 10_000:,.4f} ha; {best.kept_m2 / 10_000:,.4f} ha kept).")
    blocks = ([Heading(f"{_numeral(1, lang)}{words['project']}"), Fields(tuple(project))] if project else [])
    number = len(blocks) // 2
    blocks += [Heading(f"{_numeral(number + 1, lang)}{'方案对比' if zh else 'The alternatives side by side'}"),
               Table(header, tuple(rows)),
               Heading(f"{_numeral(number + 2, lang)}{'推荐方案' if zh else 'Recommendation'}"),
               Paragraph(reason, "verdict", best.report.verdict.value),
               Heading(f"{_numeral(number + 3, lang)}{'各方案结论' if zh else 'Each alternative'}")]
    for alternative in alternatives:
        verdict_key = alternative.report.verdict.value
        blocks.append(Paragraph(f"{alternative.label}：{VERDICT_WORDS[lang][verdict_key]}" if zh else
                                f"{alternative.label}: {VERDICT_WORDS[lang][verdict_key]}", "label"))
        for found in alternative.report.findings:
            if found.status is not Status.CLEAR:
                blocks.append(Paragraph(f"{_title(found, lang)}：{_reason(found, lang)}" if zh else
                                        f"{_title(found, lang)}: {_reason(found, lang)}"))
    first = alternatives[0].report
    disclaimer = first.manifest.get("disclaimer_zh") if zh else first.manifest.get("disclaimer")
    blocks += [Heading(f"{_numeral(number + 4, lang)}{words['data']}"),
               Fields(((words["manifest"], f"{first.manifest.get('name', '')}（{Path(first.manifest['file']).name}）"),
                       (words["version"], first.redline_version),
                       (words["generated"], beijing_time(datetime.now(timezone.utc), lang)))),
               Paragraph(words["method"], "note")]
    if disclaimer:
        blocks.append(Paragraph(f"{words['disclaimer']}：{disclaimer}" if zh else f"{words['disclaimer']}: {disclaimer}",
                                "note"))
    blocks += [Heading(words["sign"]), Signatures(words["sign_header"], words["signers"], words["date_blank"],
                                                  words["seal"])]
    digest = hashlib.sha256("|".join(report_number(a.report) for a in alternatives).encode()).hexdigest()[:8].upper()
    title = "建设项目用地方案比选报告" if zh else "Comparison of alternative boundaries"
    return ReviewDocument(title, "", f"RC-{first.created[:10].replace('-', '')}-{digest}", lang, tuple(blocks))


def _section(number: int, found: Finding, rule, report: Report, lang: str, templates: Templates) -> list:
    words = WORDS[lang]
    zh = lang == "zh"
    status = STATUS_WORDS[lang][status_key(found)] if rule is None or rule.decides else words["tabulation"]
    heading = f"（{_numeral_plain(number, lang)}）{_title(found, lang)}：{status}" if zh else \
        f"4.{number} {_title(found, lang)}: {status}"
    blocks = [Heading(heading, 2)]
    if zh or found.clause_en:
        blocks.append(Paragraph(f"{words['clause']}：{found.clause}" if zh else f"{words['clause']}: {found.clause_en}",
                                "clause"))
    own = "；".join(instrument.cite() for instrument in templates.basis(found.rule))
    if own:
        blocks.append(Paragraph(f"{words['own_basis']}：{own}。" if zh else f"{words['own_basis']}: {own}.", "clause"))
    figures = tuple((measure_label(name, rule, lang), _measure_value(name, value, found.rule, lang))
                    for name, value in found.measures.items())
    if figures:
        blocks += [Paragraph(words["figures"], "label"), Fields(figures)]
    if found.features:
        area = report.project["area_m2"]
        blocks += [Paragraph(words["hits"], "label"), Table(words["hit_header"], tuple(
            (hit.name, (rule.role_title(hit.role, lang) if rule and hit.role in rule.roles else
                        (hit.feature_class or "") if zh or (hit.feature_class or "").isascii() else ""),
             _area(hit.area_m2, lang, found.rule) if hit.area_m2 is not None else
             (f"{hit.length_m:,.1f} {words['m']}" if hit.length_m is not None else ""),
             f"{hit.area_m2 / area:.2%}" if hit.area_m2 is not None and area else "")
            for hit in found.features))]
    if found.exemption:
        blocks.append(Fields(((words["exemption"], _declaration(report.options, lang)),)))
    blocks.append(Paragraph(f"{words['opinion']}：{opinion(found, rule, report, lang, templates)}" if zh else
                            f"{words['opinion']}: {opinion(found, rule, report, lang, templates)}", "opinion",
                            found.status.value))
    return blocks


def opinion(found: Finding, rule, report: Report, lang: str = "zh", templates: Templates | None = None) -> str:
    """The 审查意见 of one finding, in its constraint's own legal terms: the template of its status (and of the
    declaration applied, or the class hit) filled with the measured figures (``redline.report.basis``)."""
    templates = templates or read_templates()
    if found.status is Status.NOT_CHECKED:
        return (f"{_title(found, lang)}未能检查（{found.reason_zh}），须人工核查后方可出具结论。" if lang == "zh" else
                f"{_title(found, lang)} could not be checked ({found.reason_en}); a reviewer must check it before any "
                "conclusion.")
    if lang != "zh":
        return _opinion_en(found, rule, report)
    text = templates.text(found.rule, _keys(found, rule, report))
    return _fill(text, found, rule, report, lang, templates)


def _keys(found: Finding, rule, report: Report) -> list[str]:
    """The template keys of ``found``, most specific first: status with the declaration applied, with the first
    class role hit, then alone ("pass" for a clear finding that involves features)."""
    status = status_key(found)
    keys = []
    if found.exemption:
        keys += [f"{status}_national_major"] if report.options.national_major else []
        keys += [f"{status}_activity"] if report.options.activity else []
    roles = [hit.role for hit in found.features if hit.role]
    for role in (list(rule.roles) if rule else []) + roles:
        if role in roles:
            keys.append(f"{status}_{role}")
    return [*keys, status]


def _fill(text: str | None, found: Finding, rule, report: Report, lang: str, templates: Templates) -> str:
    if text is None:
        return f"{_reason(found, lang)}"
    roles = rule.violation_roles if rule is not None and found.status is Status.VIOLATION else None
    names = list(dict.fromkeys(hit.name for hit in found.features if roles is None or hit.role in roles))
    listed = "、".join(names[:5]) + (f"等 {len(names)} 处" if len(names) > 5 else "")
    near = found.nearest or {}
    nearest = (f"，距最近的{near['name']}约 {near['distance_m']:,.0f} 米" if near.get("distance_m", 0) >= 1
               else f"，与{near['name']}相邻" if "distance_m" in near else "")
    basis = "、".join(instrument.cite() for instrument in templates.basis(found.rule))
    values = {"title": _title(found, lang), "amount": _headline(found, rule, report.project["area_m2"], lang),
              "features": f"，涉及{listed}" if listed else "", "nearest": nearest,
              "basis": f"（依据{basis}）" if basis else "",
              "activity": f"第{report.options.activity}类，{ACTIVITIES[report.options.activity]}"
              if report.options.activity else "",
              "setback": f"{report.options.setback_m:g}", "year": "", "seq": ""}
    return text.format(**values)


def _opinion_en(found: Finding, rule, report: Report) -> str:
    title = found.title_en
    if rule is not None and not rule.decides:
        return f"{found.reason_en} This is a tabulation and decides nothing."
    if found.status is Status.CLEAR:
        return (f"{found.reason_en} It meets the {title.lower()} controls." if found.features else
                f"The project does not touch the {title.lower()}.")
    amount = _headline(found, rule, report.project["area_m2"], "en")
    touches = (f"{amount.strip()} of the project lies outside the {title.lower()}" if rule is not None and rule.map_outside
               else f"The project involves the {title.lower()}{amount}")
    names = list(dict.fromkeys(hit.name for hit in found.features))
    if names:
        touches += f", namely {', '.join(names[:5])}" + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    if found.status is Status.VIOLATION:
        return f"{touches}. It does not meet the {title.lower()} controls: {_next_en(found)}"
    applied = f" (declared: {_declaration(report.options, 'en')})" if found.exemption else ""
    return f"{touches}{applied}. {found.reason_en} It needs further assessment against the {title.lower()} controls."


def _headline(found: Finding, rule, project_area_m2: float, lang: str) -> str:
    """' 85.4512 公顷（占项目用地 69.80%）' or ' 452.5 米': the rule's headline measure (the total area when the headline
    is zero), in 公顷 to 4 decimals (with 亩 for 耕地) or metres."""
    measures = found.measures
    figure = rule.figure if rule else "area_m2"
    if not measures.get(figure) and measures.get("area_m2"):
        figure = "area_m2"
    value = measures.get(figure)
    if not value:
        return ""
    if figure.endswith("_m2"):
        prefix = figure[: -len("area_m2")].rstrip("_")
        share = measures.get(f"{prefix}_share" if prefix else "share", value / project_area_m2 if project_area_m2 else None)
        amount = f" {_area(value, lang, found.rule)}"
        if share is not None:
            amount += f"，占项目用地 {share:.2%}" if lang == "zh" else f" ({share:.2%} of the project)"
        return amount
    return f" {value:,.1f} {WORDS[lang]['m']}"


def _declaration(options, lang: str) -> str:
    if options.national_major:
        return "国家重大项目" if lang == "zh" else "a national major project"
    if options.activity:
        return (f"有限人为活动第{options.activity}类（{ACTIVITIES[options.activity]}）" if lang == "zh"
                else f"allowed limited activity no. {options.activity}")
    return "未申报国家重大项目或有限人为活动" if lang == "zh" else "nothing declared"


def measure_label(name: str, rule, lang: str) -> str:
    """What a measure (``permanent_area_m2``) is, in words (永久基本农田面积 / permanent basic farmland area)."""
    index = 0 if lang == "zh" else 1
    if name in MEASURE_NAMES:
        return MEASURE_NAMES[name][index]
    for suffix in sorted(MEASURE_WORDS, key=len, reverse=True):
        if name == suffix or name.endswith(f"_{suffix}"):
            prefix = name[: -len(suffix)].rstrip("_")
            if not prefix:
                return MEASURE_WORDS[suffix][index]
            if rule and prefix in rule.roles:
                words = rule.role_title(prefix, lang)
            elif prefix in PREFIX_WORDS:
                words = PREFIX_WORDS[prefix][index]
            else:
                words = prefix.replace("_", " ")
            return f"{words}{MEASURE_WORDS[suffix][index]}" if lang == "zh" else \
                f"{words.rstrip(', ')} {MEASURE_WORDS[suffix][index]}".replace("  ", " ")
    return name


def _measure_value(name: str, value: float, rule_id: str, lang: str) -> str:
    if not value:
        return WORDS[lang]["not_involved"]
    if name.endswith("share"):
        return f"{value:.2%}"
    if name.endswith("_m2"):
        return _area(value, lang, rule_id)
    return f"{value:,.1f} {WORDS[lang]['m']}"


def _area(area_m2: float, lang: str, rule_id: str | None = None) -> str:
    """公顷 to 4 decimals; 亩 beside it, in brackets, for cultivated land (``MU_RULES``) only."""
    words = WORDS[lang]
    text = f"{area_m2 / 10_000:,.4f} {words['ha']}"
    if rule_id in MU_RULES:
        text += f"（{area_m2 / SQUARE_METRES_PER_MU:,.2f} {words['mu']}）" if lang == "zh" else \
            f" ({area_m2 / SQUARE_METRES_PER_MU:,.2f} {words['mu']})"
    return text


def crs_words(crs_label: str, lang: str = "zh") -> str:
    """A CRS as a Chinese map states it ('2000国家大地坐标系 高斯-克吕格投影 3度带 第39带'); a label it cannot parse as is."""
    try:
        crs = CRS.from_user_input(crs_label.split(" (")[0].split(" → ")[-1])
    except CRSError:
        return crs_label
    if "→" in crs_label and lang == "zh":
        source = crs_label.split(" → ")[0]
        return f"{source}（已转换为 WGS84 经纬度）"
    match = re.match(r"(CGCS2000|Xian 1980|Beijing 1954) / (3-degree )?Gauss-Kruger (zone (\d+)|CM (\d+)E)", crs.name)
    datum = {"CGCS2000": "2000国家大地坐标系", "Xian 1980": "1980西安坐标系", "Beijing 1954": "1954北京坐标系"}
    if match and lang == "zh":
        width = 3 if match.group(2) else 6
        zone = f"第{match.group(4)}带" if match.group(4) else f"中央经线{match.group(5)}°"
        return f"{datum[match.group(1)]} 高斯-克吕格投影 {width}度带 {zone}（{crs.to_string()}）"
    if lang == "zh" and crs.is_geographic:
        name = {4490: "2000国家大地坐标系", 4326: "WGS84", 4610: "1980西安坐标系", 4214: "1954北京坐标系"}.get(
            crs.to_epsg() or 0, crs.name)
        return f"{name} 经纬度（{crs.to_string()}）"
    return f"{crs.name} ({crs.to_string()})"


def boundary_points(footprint, *, limit: int = MAX_POINTS):
    """(the CGCS2000 3-degree Gauss-Krüger CRS of the footprint's zone, rows of 点号/圈号/X/Y, how many points in all):
    the boundary's corners, the points added to measure on the ellipsoid dropped (within 1 mm of a straight line)."""
    zone = int(round(shapely.centroid(footprint).x / 3))
    crs = gauss_kruger_crs("CGCS2000", 3, zone, prefixed=True)
    if crs is None:
        return None
    to_gk = Transformer.from_crs(CGCS2000, crs, always_xy=True)
    projected = shapely.transform(footprint, lambda xy: np.column_stack(to_gk.transform(xy[:, 0], xy[:, 1])))
    corners = shapely.simplify(projected, 0.001)
    rows, number = [], 0
    for part in shapely.get_parts(corners):
        for ring_number, ring in enumerate((part.exterior, *part.interiors), 1):
            coordinates = list(ring.coords)[:-1]
            first = number + 1
            for east, north in coordinates:
                number += 1
                rows.append((f"J{number}", str(ring_number), f"{north:,.3f}", f"{east:,.3f}"))
            rows.append((f"J{first}", str(ring_number), rows[first - 1][2], rows[first - 1][3]))
    return crs, rows[:limit], len(rows)


def _land_classes(tabulated, templates: Templates, lang: str) -> str:
    """'农用地 1.2345 公顷（其中耕地 0.5000 公顷（7.50 亩））、建设用地 …' from the land-use tabulation, by the template's
    ``[names.land_category]`` (class code prefix → category); empty when there is none."""
    categories = templates.document_names("land_category")
    if lang != "zh" or not categories:
        return ""
    totals: dict[str, float] = {}
    cultivated = 0.0
    longest_first = sorted(categories.items(), key=lambda item: -len(item[0]))
    for found in tabulated:
        for hit in found.features:
            code = str(hit.role or "")
            category = next((name for prefix, name in longest_first if code.startswith(prefix)), None)
            if category and hit.area_m2:
                totals[category] = totals.get(category, 0.0) + hit.area_m2
                cultivated += hit.area_m2 if code.startswith("01") else 0.0
    parts = []
    for category in ("农用地", "建设用地", "未利用地"):
        if category in totals:
            extra = f"（其中耕地 {_area(cultivated, lang, 'farmland')}）" if category == "农用地" and cultivated else ""
            parts.append(f"{category} {_area(totals[category], lang)}{extra}")
    return "、".join(parts)


def _title(found: Finding, lang: str) -> str:
    return found.title_zh if lang == "zh" else found.title_en


def _reason(found: Finding, lang: str) -> str:
    return found.reason_zh if lang == "zh" else found.reason_en


def _numeral(number: int, lang: str) -> str:
    return f"{NUMERALS[number - 1]}、" if lang == "zh" else f"{number} "


def _numeral_plain(number: int, lang: str) -> str:
    if number <= 10:
        return NUMERALS[number - 1]
    return f"十{NUMERALS[number - 11]}" if number < 20 else str(number)
