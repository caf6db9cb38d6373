"""The review file as PDF (fpdf2, Noto Sans CJK SC embedded as a subset): A4 pages with the report number and
page numbers in every footer, and the map sheet as a landscape page of its own."""

from __future__ import annotations

from fpdf import FPDF
from fpdf.fonts import FontFace

from redline.report.fonts import cjk_font
from redline.report.review import Fields, Heading, MapSheet, Paragraph, ReviewDocument, Signatures, Table
from redline.report.style import COLOURS as STYLE_COLOURS
from redline.report.style import rgb
from redline.report.typeset import break_lines

COLOURS = {status: rgb(status) for status in STYLE_COLOURS}
GREY, LIGHT = (90, 90, 90), (242, 242, 242)
SIGNER_ROW_MM = 16.0
"""Height of a signer's row: room to write an opinion line and sign."""


class _Pages(FPDF):
    def __init__(self, document: ReviewDocument):
        super().__init__(orientation="P", unit="mm", format="A4")
        self.document = document
        for bold in (False, True):
            path, index = cjk_font(bold)
            self.add_font("cjk", "B" if bold else "", str(path), collection_font_number=index)
        for font in self.fonts.values():  # the whole font's bounding box holds its subset's: not measured again from
            font.ttfont.recalcBBoxes = False  # every glyph's outline when the subset is saved (0.3 s a document)
        self.set_margins(18, 16, 18)
        self.set_auto_page_break(True, margin=18)
        self.set_title(f"{document.title} {document.number}")
        self.set_creator("redline")
        self.set_lang("zh-CN" if document.lang == "zh" else "en")
        self.wrap = "CHAR"
        """Lines are broken by ``fitted`` (``redline.report.typeset``); fpdf2 only lays them out."""

    def fitted(self, text: str, width: float) -> str:
        """``text`` broken into lines of at most ``width`` mm in the current font, numbers with their units and codes
        kept whole, 避头尾 respected (a hair less than ``width``, so fpdf2 never breaks a line again)."""
        return "\n".join(break_lines(text, width - 0.4, self.get_string_width))

    def footer(self):
        sheet = self.w > self.h  # the map sheet (landscape): below its grid labels, clear of the map
        self.set_y(-5 if sheet else -12)
        self.set_font("cjk", size=6 if sheet else 8)
        self.set_text_color(*GREY)
        self.cell(0, 4 if sheet else 5, self.document.footer(self.page_no(), "{nb}"), align="L" if sheet else "C")
        self.set_text_color(0, 0, 0)


def review_pdf(document: ReviewDocument, *, map_png: bytes | None = None) -> bytes:
    """The PDF of ``document``; ``map_png`` (a landscape map sheet, A4 or A3) is a page of its own paper size, placed
    at 100 % (so its stated scale is true when printed at 100 %), where its ``MapSheet`` block is."""
    pdf = _Pages(document)
    pdf.add_page()
    pdf.set_font("cjk", "B", 17)
    pdf.multi_cell(0, 9, document.title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=10)
    pdf.set_text_color(*GREY)
    for line in (document.subtitle, document.office_number, document.label):
        if line:
            pdf.multi_cell(0, 6, line, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.ln(3)
    for block, following in zip(document.blocks, (*document.blocks[1:], None)):
        if isinstance(block, Heading):
            if pdf.get_y() + _room(following) > pdf.page_break_trigger:  # a heading stays with what it heads
                pdf.add_page()
            pdf.ln(3 if block.level == 1 else 2)
            pdf.set_font("cjk", "B", 13 if block.level == 1 else 11)
            pdf.multi_cell(0, 7, pdf.fitted(block.text, pdf.epw), align="L", wrapmode=pdf.wrap, new_x="LMARGIN",
                           new_y="NEXT")
            pdf.ln(1)
        elif isinstance(block, Paragraph):
            _paragraph(pdf, block)
        elif isinstance(block, Fields):
            _table(pdf, None, block.rows, widths=(28, 72))
        elif isinstance(block, Table):
            _table(pdf, block.header, block.rows, widths=None)
        elif isinstance(block, Signatures):
            _signatures(pdf, block)
        elif isinstance(block, MapSheet) and map_png is not None:
            width_mm, height_mm = sheet_size_mm(map_png)
            pdf.add_page(orientation="L", format=(height_mm, width_mm))
            pdf.image(map_png, x=0, y=0, w=width_mm, h=height_mm)  # its own paper at 100 %: the scale it states is true
            pdf.add_page(orientation="P", format="A4")
    return bytes(pdf.output())


def sheet_size_mm(png: bytes) -> tuple[float, float]:
    """Width and height (mm) of the paper a map sheet was drawn for, from its PNG's pixels and the sheet's DPI."""
    from redline.report.mapsheet import DPI

    width_px, height_px = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    return width_px / DPI * 25.4, height_px / DPI * 25.4


def _room(block) -> float:
    """Height (mm) to keep free below a heading for the start of ``block``: all of a signing block, else a few lines."""
    if isinstance(block, Signatures):
        return SIGNER_ROW_MM * (len(block.signers) + 1) + block.seal_mm + 20
    return 32.0


def _paragraph(pdf: FPDF, block: Paragraph) -> None:
    if block.style == "verdict":
        pdf.set_font("cjk", "B", 16)
        pdf.set_text_color(*COLOURS[block.status])
        pdf.multi_cell(0, 9, pdf.fitted(block.text, pdf.epw), align="L", wrapmode=pdf.wrap, new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(0, 0, 0)
        return
    if block.style == "opinion":
        pdf.set_font("cjk", size=10)
        pdf.set_fill_color(*LIGHT)
        pdf.set_draw_color(*COLOURS.get(block.status, GREY))
        text = pdf.fitted(block.text, pdf.epw - 6)
        if pdf.get_y() + (text.count("\n") + 1) * 5.6 + 4 > pdf.page_break_trigger:  # never split over two pages
            pdf.add_page()
        pdf.multi_cell(0, 5.6, text, border="L", fill=True, padding=(2, 3, 2, 3), align="L",
                       wrapmode=pdf.wrap, new_x="LMARGIN", new_y="NEXT")
        pdf.set_draw_color(0, 0, 0)
        pdf.ln(2)
        return
    size, colour, bold = {"clause": (9.5, GREY, ""), "note": (8.5, GREY, ""), "label": (10, (0, 0, 0), "B")}.get(
        block.style, (10.5, (0, 0, 0), ""))
    pdf.set_font("cjk", bold, size)
    pdf.set_text_color(*colour)
    pdf.multi_cell(0, size * 0.55, pdf.fitted(block.text, pdf.epw), align="L", wrapmode=pdf.wrap, new_x="LMARGIN",
                   new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.ln(1)


def _table(pdf: FPDF, header, rows, *, widths, line_height: float = 5.2) -> None:
    if not rows:
        return
    pdf.set_font("cjk", size=9)
    count = len(header or rows[0])
    shares = widths or (1,) * count
    columns = [pdf.epw * share / sum(shares) - 2 * 1.2 for share in shares]
    pdf.set_font("cjk", "B", 9)  # measured in bold, the widest the cells are set in
    header = tuple(pdf.fitted(str(text), width) for text, width in zip(header, columns)) if header else None
    rows = [tuple(pdf.fitted(str(value), width) if value else value for value, width in zip(row, columns)) for row in rows]
    pdf.set_font("cjk", size=9)
    heading = FontFace(emphasis="BOLD", fill_color=LIGHT)
    with pdf.table(col_widths=widths, first_row_as_headings=header is not None, headings_style=heading,
                   line_height=line_height, padding=1.2, text_align="LEFT", width=pdf.epw,
                   wrapmode=pdf.wrap, repeat_headings=1) as table:
        if header is not None:
            table.row(header)
        for row in rows:
            cells = table.row()
            for number, value in enumerate(row):
                style = FontFace(emphasis="BOLD") if header is None and number == 0 else None
                cells.cell(str(value) if value else " ", style=style)
    pdf.ln(2)


def _signatures(pdf: FPDF, block: Signatures) -> None:
    """The signers' rows (an opinion line, a signature and a date to fill by hand), then the seal box, kept on one page."""
    if pdf.get_y() + SIGNER_ROW_MM * (len(block.signers) + 1) + block.seal_mm + 8 > pdf.page_break_trigger:
        pdf.add_page()
    _table(pdf, block.header, tuple((signer, "", *block.signed.get(signer, ("", block.date))) for signer in block.signers),
           widths=(22, 60, 28, 32), line_height=SIGNER_ROW_MM)
    x = pdf.w - pdf.r_margin - block.seal_mm
    y = pdf.get_y() + 2
    pdf.rect(x, y, block.seal_mm, block.seal_mm)
    pdf.set_font("cjk", size=9)
    pdf.set_xy(x, y + block.seal_mm + 1)
    pdf.cell(block.seal_mm, 5, block.seal, align="C")
    pdf.set_xy(pdf.l_margin, y + block.seal_mm + 7)
