"""The review file's content (审查报告): headings, fields, tables and paragraphs in reading order, in Chinese or
English, built from a report's figures. ``redline.report.pdf`` and ``redline.report.word`` lay out the same
blocks, so the two documents never say different things.

The 审查意见 of each constraint is generated from templates and the measured figures; nothing in it is
typed by hand, and every number in it is one of the report's measures.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timezone

from redline.crs import SQUARE_METRES_PER_MU
from redline.model import Finding, Report, Status
from redline.rules.base import ACTIVITIES

VERDICT_WORDS = {"zh": {"pass": "合规", "review": "需审查", "violation": "违规"},
                 "en": {"pass": "compliant", "review": "review needed", "violation": "violation"}}
STATUS_WORDS = {"zh": {"clear": "无冲突", "review": "需审查", "violation": "违规", "not_checked": "未检查"},
                "en": {"clear": "clear", "review": "review", "violation": "violation", "not_checked": "not checked"}}
NUMERALS = "一二三四五六七八九十"
WORDS = {
    "zh": {"title": "建设项目用地红线管控合规性审查报告", "subtitle": "Red-line compliance review report",
           "id": "报告编号", "project": "项目基本情况", "name": "项目名称", "applicant": "申请单位", "reference": "项目编号",
           "districts": "所在行政区", "area": "用地面积", "parcels": "地块数", "crs": "提交坐标系", "file": "输入文件",
           "sha": "文件 SHA-256", "declared": "申报情形", "corrections": "读取更正",
           "conclusion": "审查结论", "verdict": "结论", "reasons": "主要问题",
           "sections": "分项审查", "clause": "政策原文", "figures": "量测结果", "hits": "涉及要素",
           "hit_header": ("名称", "类别", "面积或长度", "占项目比例"), "exemption": "适用情形", "opinion": "审查意见",
           "context": "区位与用地现状", "landcover": "土地覆盖（参考）", "map": "审查图件",
           "data": "数据与方法说明", "layers_header": ("图层", "版本", "SHA-256（前 16 位）", "状态"),
           "loaded": "已加载", "missing": "未加载", "manifest": "图层清单", "version": "redline 版本",
           "checked": "检查时间 (UTC)", "generated": "报告生成时间 (UTC)", "disclaimer": "数据声明",
           "method": "面积为 CGCS2000 椭球面精确面积，长度为椭球面测地线长度；小于 0.01 平方米的重叠视为数值误差。",
           "sign": "审查签署", "sign_rows": ("审查人", "复核人", "审查单位（盖章）", "日期"),
           "none": "无", "page": "第 {page} 页 / 共 {pages} 页", "ha": "公顷", "mu": "亩", "m": "米"},
    "en": {"title": "Red-line compliance review report", "subtitle": "建设项目用地红线管控合规性审查报告",
           "id": "Report no.", "project": "Project", "name": "Project name", "applicant": "Applicant",
           "reference": "Reference no.",
           "districts": "Districts", "area": "Area", "parcels": "Parcels", "crs": "Submitted CRS", "file": "Input file",
           "sha": "File SHA-256", "declared": "Declared", "corrections": "Corrections made reading the file",
           "conclusion": "Conclusion", "verdict": "Verdict", "reasons": "Findings",
           "sections": "Constraint by constraint", "clause": "Policy clause", "figures": "Measured",
           "hits": "Features hit", "hit_header": ("Name", "Class", "Area or length", "Share of project"),
           "exemption": "Exemption or case applied", "opinion": "Review opinion",
           "context": "Location and land use", "landcover": "Land cover (reference)", "map": "Map sheet",
           "data": "Data and method", "layers_header": ("Layer", "Vintage", "SHA-256 (first 16)", "State"),
           "loaded": "loaded", "missing": "not loaded", "manifest": "Layer manifest", "version": "redline version",
           "checked": "Checked (UTC)", "generated": "Report generated (UTC)", "disclaimer": "Data disclaimer",
           "method": "Areas are exact on the CGCS2000 ellipsoid, lengths geodesic; overlaps under 0.01 m² are numerical "
                     "noise.",
           "sign": "Signatures", "sign_rows": ("Reviewer", "Checked by", "Reviewing office (seal)", "Date"),
           "none": "none", "page": "Page {page} of {pages}", "ha": "ha", "mu": "mu", "m": "m"},
}
MEASURE_WORDS = {"area_m2": ("面积", "area"), "share": ("占项目比例", "share of project"), "length_m": ("长度", "length"),
                 "deduction_m2": ("扣除面积", "deduction"), "net_m2": ("净面积", "net area"), "m": ("距离", "distance")}
PREFIX_WORDS = {"layer": ("图层总", "layer total "), "buffer": ("缓冲区", "buffer "), "city_natural_before": (
    "全市自然岸线（项目前）", "city natural coast before "), "city_natural_after": ("全市自然岸线（项目后）",
                                                                          "city natural coast after "),
    "retention_before": ("自然岸线保有率（项目前）", "natural coast retained before, "),
    "retention_after": ("自然岸线保有率（项目后）", "natural coast retained after, "),
    "natural_in_footprint": ("用地内自然岸线", "natural coast in the footprint, "),
    "natural_within_setback": ("退让范围内自然岸线", "natural coast within the setback, "),
    "setback": ("岸线退让", "setback "), "outside": ("边界外", "outside "), "inside": ("边界内", "inside ")}


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
class ReviewDocument:
    """What a review file says: its title, number, language and blocks; the footer a renderer prints on every page."""

    title: str
    subtitle: str
    number: str
    lang: str
    blocks: tuple = field(default_factory=tuple)

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


def review_document(report: Report, rules, *, lang: str = "zh", applicant: str | None = None,
                    reference: str | None = None, with_map: bool = False) -> ReviewDocument:
    """The review file of ``report``.

    ``rules`` maps each finding's rule id to its ``Rule`` (titles of class roles, headline figure), e.g.
    ``{r.RULE.id: r.RULE for r in layers.rules}``; ``with_map`` places the map sheet after the context.
    """
    words = WORDS[lang]
    project = report.project
    blocks: list = [Heading(f"{_numeral(1, lang)}{words['project']}")]
    districts = [name for name in report.context.get("region_features", [])]
    rows = [(words["name"], str(project.get("name") or project["file"]))]
    rows += [(words[key], value) for key, value in (("applicant", applicant), ("reference", reference)) if value]
    rows += [(words["districts"], "、".join(districts) if districts else words["none"]),
             (words["area"], _area(project["area_m2"], lang)), (words["parcels"], str(project["parcels"])),
             (words["crs"], project["crs"]), (words["file"], project["file"]), (words["sha"], project["sha256"]),
             (words["declared"], _declaration(report.options, lang))]
    rows += [(words["corrections"], f"{note['where']}: {note[lang]}") for note in project.get("warnings", [])]
    rows += [(words["corrections"], repair) for repair in project.get("repairs", [])]
    rows += [(words["corrections"], note[lang]) for note in project.get("notes", [])]
    blocks.append(Fields(tuple(rows)))

    verdict = report.verdict.value
    blocks += [Heading(f"{_numeral(2, lang)}{words['conclusion']}"),
               Paragraph(f"{words['verdict']}：{VERDICT_WORDS[lang][verdict]}" if lang == "zh"
                         else f"{words['verdict']}: {VERDICT_WORDS[lang][verdict]}", "verdict", verdict)]
    flagged = [f for f in report.findings if f.status is not Status.CLEAR]
    for number, found in enumerate(flagged, 1):
        blocks.append(Paragraph(f"{number}. {_title(found, lang)}（{STATUS_WORDS[lang][found.status.value]}）："
                                f"{_reason(found, lang)}" if lang == "zh" else
                                f"{number}. {_title(found, lang)} ({STATUS_WORDS[lang][found.status.value]}): "
                                f"{_reason(found, lang)}"))

    blocks.append(Heading(f"{_numeral(3, lang)}{words['sections']}"))
    for number, found in enumerate(report.findings, 1):
        blocks += _section(number, found, rules.get(found.rule), report, lang)

    blocks.append(Heading(f"{_numeral(4, lang)}{words['context']}"))
    landcover = report.context.get("landcover_m2", {})
    context_rows = [(words["districts"], "、".join(districts) if districts else words["none"])]
    context_rows += [(f"{words['landcover']} {value}", _area(area_m2, lang)) for value, area_m2 in landcover.items()]
    blocks.append(Fields(tuple(context_rows)))
    if with_map:
        blocks.append(MapSheet(words["map"]))

    blocks.append(Heading(f"{_numeral(5, lang)}{words['data']}"))
    manifest = report.manifest
    blocks.append(Fields((
        (words["manifest"], f"{manifest.get('name', '')} · {manifest['file']} · sha256 {manifest['sha256']}"),
        (words["version"], report.redline_version), (words["checked"], report.created),
        (words["generated"], datetime.now(timezone.utc).isoformat(timespec="seconds")))))
    blocks.append(Table(words["layers_header"], tuple(
        (layer["id"], layer["vintage"], layer["sha256"][:16],
         words["loaded"] if layer.get("loaded", True) else f"{words['missing']}: {layer.get('problem', '')}")
        for layer in manifest["layers"])))
    blocks.append(Paragraph(words["method"], "note"))
    if manifest.get("disclaimer"):
        blocks.append(Paragraph(f"{words['disclaimer']}: {manifest['disclaimer']}", "note"))

    blocks += [Heading(f"{_numeral(6, lang)}{words['sign']}"),
               Fields(tuple((label, "") for label in words["sign_rows"]))]
    return ReviewDocument(words["title"], words["subtitle"], report_number(report), lang, tuple(blocks))


def comparison_document(alternatives, rules, *, lang: str = "zh") -> ReviewDocument:
    """The 方案比选 section as a document of its own: the alternatives (``redline.compare.Alternative``) side by side
    — area, verdict, every constraint's status and headline figure, the area kept and lost once violations are
    avoided — then each alternative's conclusion with its reasons, and the data block."""
    words = WORDS[lang]
    zh = lang == "zh"
    header = ("", *(a.label for a in alternatives))
    rows = [(words["area"], *(_area(a.report.project["area_m2"], lang) for a in alternatives)),
            (words["verdict"], *(VERDICT_WORDS[lang][a.report.verdict.value] for a in alternatives))]
    for finding in alternatives[0].report.findings:
        rule = rules.get(finding.rule)
        cells = []
        for alternative in alternatives:
            found = next(f for f in alternative.report.findings if f.rule == finding.rule)
            amount = _headline(found, rule, alternative.report.project["area_m2"], lang)
            cells.append(f"{STATUS_WORDS[lang][found.status.value]}{amount}")
        rows.append((_title(finding, lang), *cells))
    rows.append(("避让后保留" if zh else "Kept after avoiding", *(_area(a.kept_m2, lang) for a in alternatives)))
    rows.append(("避让损失" if zh else "Lost to avoiding", *(_area(a.lost_m2, lang) for a in alternatives)))
    blocks = [Heading(f"{_numeral(1, lang)}{'方案对比' if zh else 'The alternatives side by side'}"), Table(header, tuple(rows)),
              Heading(f"{_numeral(2, lang)}{'各方案结论' if zh else 'Each alternative'}")]
    for alternative in alternatives:
        verdict = alternative.report.verdict.value
        blocks.append(Paragraph(f"{alternative.label}：{VERDICT_WORDS[lang][verdict]}" if zh else
                                f"{alternative.label}: {VERDICT_WORDS[lang][verdict]}", "verdict", verdict))
        for found in alternative.report.findings:
            if found.status is not Status.CLEAR:
                blocks.append(Paragraph(f"{_title(found, lang)}：{_reason(found, lang)}" if zh else
                                        f"{_title(found, lang)}: {_reason(found, lang)}"))
    first = alternatives[0].report
    blocks += [Heading(f"{_numeral(3, lang)}{words['data']}"),
               Fields(((words["manifest"], f"{first.manifest.get('name', '')} · sha256 {first.manifest['sha256']}"),
                       (words["version"], first.redline_version),
                       (words["generated"], datetime.now(timezone.utc).isoformat(timespec="seconds")))),
               Paragraph(words["method"], "note")]
    if first.manifest.get("disclaimer"):
        blocks.append(Paragraph(f"{words['disclaimer']}: {first.manifest['disclaimer']}", "note"))
    digest = hashlib.sha256("|".join(report_number(a.report) for a in alternatives).encode()).hexdigest()[:8].upper()
    title = "建设项目用地方案比选报告" if zh else "Comparison of alternative boundaries"
    subtitle = "Comparison of alternative boundaries" if zh else "建设项目用地方案比选报告"
    return ReviewDocument(title, subtitle, f"RC-{first.created[:10].replace('-', '')}-{digest}", lang, tuple(blocks))


def _section(number: int, found: Finding, rule, report: Report, lang: str) -> list:
    words = WORDS[lang]
    status = STATUS_WORDS[lang][found.status.value]
    heading = f"（{_numeral_plain(number, lang)}）{_title(found, lang)} — {status}" if lang == "zh" else \
        f"3.{number} {_title(found, lang)} — {status}"
    blocks = [Heading(heading, 2), Paragraph(f"{words['clause']}：{found.clause}" if lang == "zh"
                                             else f"{words['clause']}: {found.clause_en or found.clause}", "clause")]
    if lang == "en" and found.clause_en:
        blocks.append(Paragraph(f"原文: {found.clause}", "clause"))
    figures = tuple((measure_label(name, rule, lang), _measure_value(name, value, lang))
                    for name, value in found.measures.items())
    if figures:
        blocks += [Paragraph(words["figures"], "label"), Fields(figures)]
    if found.features:
        area = report.project["area_m2"]
        blocks += [Paragraph(words["hits"], "label"), Table(words["hit_header"], tuple(
            (hit.name, hit.feature_class or (rule.role_title(hit.role, lang) if rule and hit.role else ""),
             _area(hit.area_m2, lang) if hit.area_m2 is not None else
             (f"{hit.length_m:,.1f} {words['m']}" if hit.length_m is not None else ""),
             f"{hit.area_m2 / area:.2%}" if hit.area_m2 is not None and area else "")
            for hit in found.features))]
    if found.exemption:
        blocks.append(Fields(((words["exemption"], found.exemption),)))
    blocks.append(Paragraph(f"{words['opinion']}：{opinion(found, rule, report, lang)}" if lang == "zh" else
                            f"{words['opinion']}: {opinion(found, rule, report, lang)}", "opinion", found.status.value))
    return blocks


def opinion(found: Finding, rule, report: Report, lang: str = "zh") -> str:
    """The 审查意见 of one finding: what the project shares with the constraint (the headline figure and its
    share, the features by name), what was declared, and the conclusion its status carries."""
    title = _title(found, lang)
    requirement = (title if title.endswith(("管控", "要求")) else f"{title}管控") if lang == "zh" else title.lower()
    unique = list(dict.fromkeys(hit.name for hit in found.features))
    listed = ("、" if lang == "zh" else ", ").join(unique[:5])
    if len(unique) > 5:
        listed += f"等 {len(unique)} 个" if lang == "zh" else f" and {len(unique) - 5} more"
    if found.status is Status.NOT_CHECKED:
        return (f"{title}未能检查（{found.reason_zh}），须人工核查后方可出具结论。" if lang == "zh" else
                f"{title} could not be checked ({found.reason_en}); a reviewer must check it before any conclusion.")
    if rule is not None and not rule.decides:
        return (f"{found.reason_zh}该项仅作统计，不影响审查结论。" if lang == "zh" else
                f"{found.reason_en} This is a tabulation and decides nothing.")
    if found.status is Status.CLEAR:
        near = found.nearest or {}
        where = ""
        if "distance_m" in near:
            where = (f"，距最近的{near['name']}约 {near['distance_m']:,.0f} 米" if lang == "zh" else
                     f"; the nearest, {near['name']}, is about {near['distance_m']:,.0f} m away")
        if found.features:
            return (f"{found.reason_zh}符合{requirement}要求。" if lang == "zh" else
                    f"{found.reason_en} It meets the {requirement} controls.")
        return (f"项目用地未涉及{title}{where}，符合{requirement}要求。" if lang == "zh" else
                f"The project does not touch the {title.lower()}{where}; it meets this constraint.")
    amount = _headline(found, rule, report.project["area_m2"], lang)
    if rule is not None and rule.map_outside:
        touches = f"项目用地{amount.strip()}位于{title}外" if lang == "zh" else \
            f"{amount.strip()} of the project lies outside the {title.lower()}"
    else:
        touches = f"项目用地涉及{title}{amount}" if lang == "zh" else f"The project involves the {title.lower()}{amount}"
    if listed:
        touches += f"，涉及{listed}" if lang == "zh" else f", namely {listed}"
    if found.status is Status.VIOLATION:
        declared = found.exemption or _declaration(report.options, lang)
        return (f"{touches}；{declared}，不符合{requirement}要求，应调整用地范围予以避让，或依法履行相关审批程序。"
                if lang == "zh" else
                f"{touches}; {declared[0].lower() + declared[1:]}. It does not meet the {requirement} controls: "
                "the boundary must avoid it, or the statutory approval be obtained.")
    applied = ""
    if found.exemption:
        applied = f"；适用情形：{found.exemption}" if lang == "zh" else f"; case applied: {found.exemption}"
    return (f"{touches}{applied}。{found.reason_zh}须结合{requirement}要求进一步审查。" if lang == "zh" else
            f"{touches}{applied}. {found.reason_en} A reviewer must assess it against the {requirement} controls.")


def _headline(found: Finding, rule, project_area_m2: float, lang: str) -> str:
    """' 85.45 公顷，占项目用地 69.80%' or '（退让范围内自然岸线）452.5 米': the rule's headline measure (the total area
    when the headline is zero), with what it measures when that is a class or a part."""
    measures = found.measures
    figure = rule.figure if rule else "area_m2"
    if not measures.get(figure) and measures.get("area_m2"):
        figure = "area_m2"
    value = measures.get(figure)
    if not value:
        return ""
    suffix = "area_m2" if figure.endswith("area_m2") else "length_m" if figure.endswith("length_m") else ""
    prefix = figure[: len(figure) - len(suffix)].rstrip("_") if suffix else ""
    what = ""
    if prefix and not (rule and rule.map_outside):
        part = rule.role_title(prefix, lang) if rule and prefix in rule.roles else \
            PREFIX_WORDS.get(prefix, (prefix, prefix))[0 if lang == "zh" else 1].strip(", ")
        what = f"（{part}）" if lang == "zh" else f" ({part})"
    if figure.endswith("_m2"):
        share = measures.get(f"{prefix}_share" if prefix else "share", value / project_area_m2 if project_area_m2 else None)
        amount = f" {value / 10_000:,.2f} {WORDS[lang]['ha']}"
        if share is not None:
            amount += f"（占项目用地 {share:.2%}）" if lang == "zh" else f" ({share:.2%} of the project)"
        return f"{what}{amount}"
    return f"{what} {value:,.1f} {WORDS[lang]['m']}"


def _declaration(options, lang: str) -> str:
    if options.national_major:
        return "该项目申报为国家重大项目" if lang == "zh" else "Declared a national major project"
    if options.activity:
        return (f"该项目申报为允许的有限人为活动第 {options.activity} 类（{ACTIVITIES[options.activity]}）" if lang == "zh"
                else f"Declared allowed limited activity no. {options.activity} ({ACTIVITIES[options.activity]})")
    return ("该项目未申报国家重大项目或允许的有限人为活动" if lang == "zh" else
            "No national major project and no allowed limited activity was declared")


def measure_label(name: str, rule, lang: str) -> str:
    """What a measure (``permanent_area_m2``) is, in words (永久基本农田面积 / permanent basic farmland area)."""
    index = 0 if lang == "zh" else 1
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


def _measure_value(name: str, value: float, lang: str) -> str:
    if name.endswith("share"):
        return f"{value:.2%}"
    if name.endswith("_m2"):
        return _area(value, lang)
    return f"{value:,.1f} {WORDS[lang]['m']}"


def _area(area_m2: float, lang: str) -> str:
    words = WORDS[lang]
    return (f"{area_m2:,.1f} m² = {area_m2 / 10_000:,.4f} {words['ha']} = "
            f"{area_m2 / SQUARE_METRES_PER_MU:,.2f} {words['mu']}")


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
