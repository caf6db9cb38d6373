"""The files a reviewer files for one check, made from one report in one language: the review file (PDF and
Word, ``redline.report.review``), the map sheet (PNG, ``redline.report.mapsheet``) and the statistics workbook
(xlsx, ``redline.report.tables``)."""

from __future__ import annotations

from redline.model import Report
from redline.report.basis import Templates
from redline.report.documents import FORMATS
from redline.report.mapsheet import map_sheet_png
from redline.report.pdf import review_pdf
from redline.report.review import report_number, review_document
from redline.report.tables import identity, layout, report_hits, table_row, workbook_xlsx
from redline.report.word import review_docx


def review_files(report: Report, rules, nearby, formats, *, lang: str = "zh", applicant: str | None = None,
                 reference: str | None = None, project_code: str | None = None, templates: Templates | None = None,
                 removed_m2: float | None = None, decision: dict | None = None,
                 with_sheet: bool = True, overview=None) -> dict[str, bytes]:
    """The bytes of each of ``formats`` (``FORMATS``) for ``report``.

    ``rules`` are the rules its layers are checked against (``LayerSet.rules``); ``nearby`` gives the layers'
    features near a lon/lat geometry (``LayerSet.nearby``), for the map sheet, which needs the report's footprint
    (a report read back from JSON has none: check its project again). ``templates`` are the legal basis and the
    opinions' wording (``redline.report.basis.read_templates`` of the manifest's review file); ``removed_m2`` what
    avoiding the violations takes away (``redline.avoid.removed_m2``), for the conclusion; ``decision`` the
    reviewer's decision when there is one (the service's ``review`` block): its opinion, overrides and name;
    ``with_sheet=False`` leaves the map sheet out (the layers it would be drawn from are no longer those checked);
    ``overview`` (``LayerSet.outline``) adds the sheet's location inset.
    """
    unknown = set(formats) - set(FORMATS)
    if unknown:
        raise ValueError(f"unknown formats {sorted(unknown)}; known: {', '.join(FORMATS)}")
    number = report_number(report)
    drawn = ({"pdf", "docx", "png"} if with_sheet else {"png"}) & set(formats)
    if drawn and report.footprint is None:
        raise ValueError("the map sheet needs the report's footprint: check the project again")
    sheet = map_sheet_png(report, nearby, number=f"{number}-01", lang=lang, overview=overview, rules=rules,
                          issuer=(templates.document.get("issuer", "") if templates else "")) if drawn else None
    by_id = {rule.RULE.id: rule.RULE for rule in rules}
    document = review_document(report, by_id, lang=lang, applicant=applicant, reference=reference,
                               project_code=project_code, with_map=sheet is not None, templates=templates,
                               removed_m2=removed_m2, decision=decision)
    files = {}
    if "pdf" in formats:
        files["pdf"] = review_pdf(document, map_png=sheet)
    if "docx" in formats:
        files["docx"] = review_docx(document, map_png=sheet)
    if "png" in formats:
        files["png"] = sheet
    if "xlsx" in formats:
        columns = layout(rules)
        given = {"applicant": applicant, "reference": reference, "project_code": project_code}
        files["xlsx"] = workbook_xlsx(columns.header, [table_row(number, report, columns)], report_hits(number, report),
                                      by_id, identities=[identity(report, given)], lang=lang)
    return files
