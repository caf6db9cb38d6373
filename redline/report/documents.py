"""The files a reviewer files, declared once: every front (CLI options, service routes, batch options) derives its
spelling from ``DOCUMENTS``; ``redline.report.filing.review_files`` makes them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Document:
    """One kind of file a reviewer files: its format, the name fronts give it, its labels and media type; ``of_record``:
    issued and kept when a reviewer decides (and served by the service)."""

    kind: str
    name: str
    zh: str
    en: str
    media_type: str
    of_record: bool = False


DOCUMENTS = {document.kind: document for document in (
    Document("pdf", "pdf", "审查报告（PDF）", "the review report (审查报告, PDF)", "application/pdf", of_record=True),
    Document("docx", "docx", "审查报告（Word）", "the review report as Word",
             "application/vnd.openxmlformats-officedocument.wordprocessingml.document", of_record=True),
    Document("xlsx", "xlsx", "统计表", "the statistics workbook (台账, xlsx)",
             "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    Document("png", "sheet", "图件", "the map sheet (图件, PNG)", "image/png"),
)}
"""The review files ``review_files`` makes, by format."""
FORMATS = tuple(DOCUMENTS)
OF_RECORD = tuple(kind for kind, document in DOCUMENTS.items() if document.of_record)
"""The documents of record: issued when a reviewer decides, kept byte for byte."""
