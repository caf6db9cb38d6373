"""The results table (统计表): one row per application with every constraint's status and headline figure, as CSV
(UTF-8 with a byte order mark, so Excel reads its Chinese) and as an Excel workbook (openpyxl) with a second sheet
of the features hit; frozen headers, units in the headers, text cells a spreadsheet would run as formulas
neutralised."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import cached_property

from redline.model import Report
from redline.parameters import PARTICULARS
from redline.report.review import measure_label
from redline.report.style import STATUS_WORDS, VERDICT_WORDS

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
UNITS = (("share", "0–1"), ("_m2", "m²"), ("_m", "m"))
LEADING = {"id": ("编号", "id"), "verdict": ("结论", "verdict"), "area_m2": ("用地面积", "area"), "error": ("错误", "error"),
           "national_major": ("国家重大项目", "national major"), "activity": ("有限人为活动类别", "activity"),
           "kept_m2": ("避让后保留面积", "kept after avoiding"), "lost_m2": ("避让损失面积", "lost to avoiding")}
LEADING.update({"name": ("项目名称", "project"), "districts": ("坐落", "location"), "created": ("提交时间", "submitted"),
                "state": ("审查状态", "review"),
                **{parameter.name: (parameter.zh, parameter.en) for parameter in PARTICULARS}})
LEDGER = ("name", "project_code", "applicant", "reference", "districts")
"""A ledger's (台账) columns after an application's id: what the project is, who applies, under which number, where."""
HIT_COLUMNS = ("id", "rule", "layer", "name", "feature_class", "area_m2", "length_m", "share")
HIT_WORDS = {"id": ("编号", "id"), "rule": ("管控要求", "constraint"), "layer": ("图层", "layer"), "name": ("要素名称", "name"),
             "feature_class": ("类别", "class"), "area_m2": ("面积", "area"), "length_m": ("长度", "length"),
             "share": ("占项目比例", "share of project")}
HEADER_FILL = "F2F2F2"


RESULT_COLUMNS = ("id", "verdict", "area_m2", "error", "national_major", "activity")
"""Leading columns of results.csv; then ``<rule>_status`` and ``<rule>_<figure>`` for each rule."""


@dataclass(frozen=True)
class Layout:
    """The columns of the result tables: ``RESULT_COLUMNS``, then each rule's status and headline figure."""

    figures: dict[str, str]
    """Rule id → its headline figure."""
    header: tuple[str, ...]

    @cached_property
    def slots(self) -> dict[str, tuple[int, str, int]]:
        """Rule id → (position of its status, its headline figure, position of that figure) in ``header``."""
        position = {column: number for number, column in enumerate(self.header)}
        return {rule: (position[f"{rule}_status"], figure, position[f"{rule}_{figure}"]) for rule, figure in self.figures.items()}


def layout(rules) -> Layout:
    """The tables' layout for ``rules`` (e.g. ``LayerSet.rules``: what a manifest's layers are checked against)."""
    figures = {rule.RULE.id: rule.RULE.figure for rule in rules}
    return Layout(figures, RESULT_COLUMNS + tuple(f"{rule}_{part}" for rule, figure in figures.items()
                                                  for part in ("status", figure)))


def table_row(identifier: str, report: Report | None, columns: Layout, *, error: str = "") -> tuple:
    """The flat results row of one application (values in ``columns.header`` order; a tuple, as a batch holds
    many): its report's figures, or ``error`` when it could not be checked (``report`` None)."""
    row = [""] * len(columns.header)
    if report is None:
        row[:4] = identifier, "error", "", error  # RESULT_COLUMNS
        return tuple(row)
    row[:6] = (identifier, report.verdict.value, round(report.project["area_m2"], 3), "", report.options.national_major,
               report.options.activity or "")
    slots = columns.slots
    for finding in report.findings:
        if finding.rule not in slots:  # a report of a rule no longer checked: its status stays in the full report
            continue
        status, figure, at = slots[finding.rule]
        row[status] = finding.status.value
        if figure in finding.measures:
            row[at] = round(finding.measures[figure], 3)
    return tuple(row)


def spreadsheet_safe(value):
    """A text cell that a spreadsheet would run as a formula (``=HYPERLINK(…)``) gets a leading apostrophe
    (the OWASP CSV-injection rule); numbers stay numbers."""
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_STARTS) else value


def header_title(column: str, rules: dict) -> str:
    """'生态保护红线 状态 / Ecological protection red line status', '用地面积 / area (m²)': a results column as a person
    reads it, unit included. ``rules`` maps a rule id to its ``Rule``."""
    if column in LEADING:
        zh, en = LEADING[column]
    else:
        rule_id = next((rule for rule in sorted(rules, key=len, reverse=True) if column.startswith(f"{rule}_")), None)
        rule = rules.get(rule_id)
        part = column[len(rule_id) + 1:] if rule_id else column
        if rule is None:
            zh = en = column
        elif part == "status":
            zh, en = f"{rule.title_zh} 状态", f"{rule.title_en} status"
        else:
            zh = f"{rule.title_zh} {measure_label(part, rule, 'zh')}"
            en = f"{rule.title_en} {measure_label(part, rule, 'en')}"
    unit = next((unit for suffix, unit in UNITS if column.endswith(suffix)), None)
    return f"{zh} / {en}" + (f" ({unit})" if unit else "")


LEDGER_TITLE = {"zh": "建设项目用地红线审查台账", "en": "Red-line review ledger"}
YES_NO = {"zh": ("是", "否"), "en": ("yes", "no")}
HECTARE_FORMAT, SHARE_FORMAT, METRE_FORMAT = "#,##0.0000", "0.00%", "#,##0.0"


def identity(report: Report | None, particulars: dict[str, str]) -> tuple[str, ...]:
    """The ``LEDGER`` cells of one application: its project's name and districts (from ``report``; blank without one)
    and the ``particulars`` it gives (``redline.parameters.PARTICULARS`` by keyword)."""
    name = report.project.get("name") or "" if report is not None else ""
    districts = "、".join(report.context.get("region_features", [])) if report is not None else ""
    return name, *(particulars.get(column) or "" for column in LEDGER[1:-1]), districts


def workbook_xlsx(header, rows, hits, rules: dict, *, identities=None, lang: str = "zh") -> bytes:
    """The workbook, a ledger (台账) a reviewer prints and files: ``rows`` of the results table (``header`` columns, as
    ``results.csv``), each with its ``identities`` (``identity``: the ``LEDGER`` columns, after the id) when given,
    and ``hits``, the features hit as tuples in ``HIT_COLUMNS`` order. A title row above the
    header; statuses, verdicts and yes/no in ``lang`` (the codes stay in the CSV); areas in 公顷 to 4 decimals, shares
    as percentages; a 合计 row of the areas; filters on the header; printed landscape, fitted to the page's width,
    the header repeated on every page."""
    if identities is not None:
        header = (header[0], *LEDGER, *header[1:])
        rows = ((row[0], *given, *row[1:]) for row, given in zip(rows, identities, strict=True))
    from openpyxl import Workbook  # 0.1 s to import: only when a workbook is made

    book = Workbook()
    sheet = book.active
    sheet.title = "申请项目 Applications"
    words = {**VERDICT_WORDS[lang], **STATUS_WORDS[lang]}
    coded = {index for index, column in enumerate(header) if column == "verdict" or column.endswith("_status")}
    flags = {index for index, column in enumerate(header) if column == "national_major"}
    yes, no = YES_NO[lang]

    def shown(index, value):
        if index in coded:
            return words.get(value, value)
        if index in flags and value != "":
            return yes if value in (True, "True", "true", 1) else no
        if header[index].endswith("_m2") and isinstance(value, (int, float)):
            return value / 10_000
        return value

    _fill(sheet, [_in_hectares(header_title(column, rules)) for column in header],
          ([shown(index, value) for index, value in enumerate(row)] for row in rows), header, lang)
    features = book.create_sheet("涉及要素 Features hit")
    _fill(features, [_in_hectares(f"{HIT_WORDS[c][0]} / {HIT_WORDS[c][1]}" +
                                  next((f" ({u})" for s, u in UNITS if c.endswith(s)), "")) for c in HIT_COLUMNS],
          ([value / 10_000 if column.endswith("_m2") and isinstance(value, (int, float)) else value
            for column, value in zip(HIT_COLUMNS, hit)] for hit in hits), HIT_COLUMNS, lang, total=False)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _in_hectares(title: str) -> str:
    return title.replace("(m²)", "(公顷 ha)")


def report_hits(identifier: str, report: Report) -> list[tuple]:
    """The features hit of one report as ``HIT_COLUMNS`` tuples."""
    area = report.project["area_m2"]
    return [(identifier, finding.rule, hit.layer, hit.name, hit.feature_class or "", hit.area_m2, hit.length_m,
             hit.area_m2 / area if hit.area_m2 is not None and area else None)
            for finding in report.findings for hit in finding.features]


def _fill(sheet, header, rows, columns, lang: str, *, total: bool = True) -> None:
    """A titled, filtered, printable sheet: the title in row 1, ``header`` in row 2, the rows, then a 合计 row."""
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    sheet.append([f"{LEDGER_TITLE[lang]} · {sheet.title}"])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=max(len(header), 1))
    sheet.append(header)
    for cell in sheet[2]:
        cell.font, cell.fill = Font(bold=True), PatternFill("solid", fgColor=HEADER_FILL)
    widths = [min(max(len(str(title)), 8), 40) for title in header]
    count = 0
    for row in rows:
        sheet.append([spreadsheet_safe(value) if value != "" else None for value in row])
        count += 1
    formats = {index: HECTARE_FORMAT if column.endswith("_m2") else SHARE_FORMAT if column.endswith("share")
               else METRE_FORMAT if column.endswith("_m") else None for index, column in enumerate(columns, 1)}
    last = 2 + count
    if total and count:
        sums = [f"=SUM({get_column_letter(index)}3:{get_column_letter(index)}{last})"
                if formats[index] == HECTARE_FORMAT else None for index in range(1, len(header) + 1)]
        sheet.append(["合计" if lang == "zh" else "Total", *sums[1:]])
        for cell in sheet[last + 1]:
            cell.font = Font(bold=True)
    for index, number_format in formats.items():
        if number_format:
            for (cell,) in sheet.iter_rows(min_row=3, max_row=sheet.max_row, min_col=index, max_col=index):
                cell.number_format = number_format
    for number, width in enumerate(widths, 1):
        sheet.column_dimensions[get_column_letter(number)].width = width
    sheet.freeze_panes = "B3"
    sheet.auto_filter.ref = f"A2:{get_column_letter(max(len(header), 1))}{max(last, 2)}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = "2:2"


def csv_text(header, rows, *, free=None) -> str:
    """CSV text starting with a UTF-8 byte order mark, so that Excel reads its Chinese as UTF-8. Text a spreadsheet
    would run is neutralised (``spreadsheet_safe``) in every column, or only in the columns named in ``free`` when
    the others hold nothing but codes and numbers."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\r\n")  # RFC 4180: a field holding CR or LF is quoted, a bare CR too
    writer.writerow(header)
    if free is None:
        writer.writerows([spreadsheet_safe(value) for value in row] for row in rows)
    else:
        guarded = [index for index, column in enumerate(header) if column in free]
        for row in rows:
            row = list(row)
            for index in guarded:
                row[index] = spreadsheet_safe(row[index])
            writer.writerow(row)
    return buffer.getvalue()
