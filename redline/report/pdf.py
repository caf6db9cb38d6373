"""The review file as PDF (fpdf2, Noto Sans CJK SC embedded as a subset): A4 pages with the report number and
page numbers in every footer, and the map sheet as a landscape page of its own."""

from __future__ import annotations

from fpdf import FPDF
from fpdf.fonts import FontFace

from redline.report.fonts import cjk_font
from redline.report.review import Fields, Heading, MapSheet, Paragraph, ReviewDocument, Table

COLOURS = {"violation": (215, 25, 28), "review": (230, 110, 20), "pass": (26, 150, 65), "clear": (26, 150, 65),
           "not_checked": (110, 110, 110)}
GREY, LIGHT = (90, 90, 90), (242, 242, 242)


class _Pages(FPDF):
    def __init__(self, document: ReviewDocument):
        super().__init__(orientation="P", unit="mm", format="A4")
        self.document = document
        for bold in (False, True):
            path, index = cjk_font(bold)
            self.add_font("cjk", "B" if bold else "", str(path), collection_font_number=index)
        self.set_margins(18, 16, 18)
        self.set_auto_page_break(True, margin=18)
        self.set_title(f"{document.title} {document.number}")
        self.set_creator("redline")
        self.set_lang("zh-CN" if document.lang == "zh" else "en")
        self.wrap = "CHAR" if document.lang == "zh" else "WORD"
        """Chinese lines break between any two characters, English ones between words."""

    def footer(self):
        self.set_y(-12)
        self.set_font("cjk", size=8)
        self.set_text_color(*GREY)
        self.cell(0, 5, self.document.footer(self.page_no(), "{nb}"), align="C")
        self.set_text_color(0, 0, 0)


def review_pdf(document: ReviewDocument, *, map_png: bytes | None = None) -> bytes:
    """The PDF of ``document``; ``map_png`` (an A4-landscape map sheet) fills the page its ``MapSheet`` block marks."""
    pdf = _Pages(document)
    pdf.add_page()
    pdf.set_font("cjk", "B", 17)
    pdf.multi_cell(0, 9, document.title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=10)
    pdf.set_text_color(*GREY)
    pdf.multi_cell(0, 6, document.subtitle, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.multi_cell(0, 6, document.label, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.ln(3)
    for block in document.blocks:
        if isinstance(block, Heading):
            pdf.ln(3 if block.level == 1 else 2)
            pdf.set_font("cjk", "B", 13 if block.level == 1 else 11)
            pdf.multi_cell(0, 7, block.text, align="L", wrapmode=pdf.wrap, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1)
        elif isinstance(block, Paragraph):
            _paragraph(pdf, block)
        elif isinstance(block, Fields):
            _table(pdf, None, block.rows, widths=(32, 68))
        elif isinstance(block, Table):
            _table(pdf, block.header, block.rows, widths=None)
        elif isinstance(block, MapSheet) and map_png is not None:
            pdf.add_page(orientation="L")
            pdf.image(map_png, x=8, y=8, w=pdf.w - 16, h=pdf.h - 22, keep_aspect_ratio=True)
            pdf.add_page(orientation="P")
    return bytes(pdf.output())


def _paragraph(pdf: FPDF, block: Paragraph) -> None:
    if block.style == "verdict":
        pdf.set_font("cjk", "B", 16)
        pdf.set_text_color(*COLOURS[block.status])
        pdf.multi_cell(0, 9, block.text, align="L", wrapmode=pdf.wrap, new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(0, 0, 0)
        return
    if block.style == "opinion":
        pdf.set_font("cjk", size=10)
        pdf.set_fill_color(*LIGHT)
        pdf.set_draw_color(*COLOURS.get(block.status, GREY))
        lines = pdf.multi_cell(0, 5.6, block.text, padding=(2, 3, 2, 3), wrapmode=pdf.wrap, dry_run=True, output="LINES")
        if pdf.get_y() + len(lines) * 5.6 + 4 > pdf.page_break_trigger:  # an opinion is never split over two pages
            pdf.add_page()
        pdf.multi_cell(0, 5.6, block.text, border="L", fill=True, padding=(2, 3, 2, 3), align="L",
                       wrapmode=pdf.wrap, new_x="LMARGIN", new_y="NEXT")
        pdf.set_draw_color(0, 0, 0)
        pdf.ln(2)
        return
    size, colour, bold = {"clause": (9.5, GREY, ""), "note": (8.5, GREY, ""), "label": (10, (0, 0, 0), "B")}.get(
        block.style, (10.5, (0, 0, 0), ""))
    pdf.set_font("cjk", bold, size)
    pdf.set_text_color(*colour)
    pdf.multi_cell(0, size * 0.55, block.text, align="L", wrapmode=pdf.wrap, new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.ln(1)


def _table(pdf: FPDF, header, rows, *, widths) -> None:
    if not rows:
        return
    pdf.set_font("cjk", size=9)
    heading = FontFace(emphasis="BOLD", fill_color=LIGHT)
    with pdf.table(col_widths=widths, first_row_as_headings=header is not None, headings_style=heading,
                   line_height=5.2, padding=1.2, text_align="LEFT", width=pdf.epw,
                   wrapmode=pdf.wrap) as table:
        if header is not None:
            table.row(header)
        for row in rows:
            cells = table.row()
            for number, value in enumerate(row):
                style = FontFace(emphasis="BOLD") if header is None and number == 0 else None
                cells.cell(str(value) if value else " ", style=style)
    pdf.ln(2)
