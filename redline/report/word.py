"""The review file as Word (python-docx): the same blocks as the PDF, in styles a bureau's template can restyle
(Title, Heading 1/2, Table Grid), 宋体 for Chinese text, page numbers as Word fields in the footer."""

from __future__ import annotations

import io
from datetime import datetime, timezone

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt, RGBColor

from redline import __version__
from redline.report.pdf import sheet_size_mm
from redline.report.review import WORDS, Fields, Heading, MapSheet, Paragraph, ReviewDocument, Signatures, Table
from redline.report.style import COLOURS as STYLE_COLOURS
from redline.report.style import rgb
from redline.report.typeset import unbreakable

EAST_ASIAN_FONT, LATIN_FONT = "宋体", "Times New Roman"
COLOURS = {status: RGBColor(*rgb(status)) for status in STYLE_COLOURS}
GREY = RGBColor(0x5A, 0x5A, 0x5A)


def review_docx(document: ReviewDocument, *, map_png: bytes | None = None) -> bytes:
    """The .docx of ``document``; ``map_png`` is placed, in a landscape section, where its ``MapSheet`` block is."""
    word = Document()
    for name in ("Normal", "Title", "Heading 1", "Heading 2"):
        _fonts(word.styles[name], document.lang)
        if name != "Normal":
            word.styles[name].font.color.rgb = RGBColor(0, 0, 0)  # an official document's headings are black
            word.styles[name].paragraph_format.keep_with_next = True
    word.styles["Normal"].font.size = Pt(10.5)
    _properties(word.core_properties, document)
    section = word.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2.2)
    _footer(section, document)
    word.add_paragraph(document.title, style="Title").alignment = WD_ALIGN_PARAGRAPH.CENTER
    for line in (document.subtitle, document.office_number, document.label):
        if not line:
            continue
        paragraph = word.add_paragraph(line)
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        paragraph.runs[0].font.color.rgb = GREY
    for block in document.blocks:
        if isinstance(block, Heading):
            word.add_heading(block.text, level=block.level)
        elif isinstance(block, Paragraph):
            _paragraph(word, block)
        elif isinstance(block, Fields):
            _table(word, None, block.rows)
        elif isinstance(block, Table):
            _table(word, block.header, block.rows)
        elif isinstance(block, Signatures):
            _signatures(word, block)
        elif isinstance(block, MapSheet) and map_png is not None:
            width_mm, height_mm = sheet_size_mm(map_png)
            landscape = word.add_section()
            landscape.orientation = WD_ORIENT.LANDSCAPE
            landscape.page_width, landscape.page_height = Mm(width_mm), Mm(height_mm)
            landscape.left_margin = landscape.right_margin = landscape.top_margin = landscape.bottom_margin = Mm(0)
            landscape.header_distance = landscape.footer_distance = Mm(0)
            landscape.footer.is_linked_to_previous = False  # the sheet carries its own number: no footer over the map
            picture = word.add_paragraph()
            picture.paragraph_format.space_before = picture.paragraph_format.space_after = Pt(0)
            picture.add_run().add_picture(io.BytesIO(map_png), width=Mm(width_mm), height=Mm(height_mm))
            portrait = word.add_section()
            portrait.orientation = WD_ORIENT.PORTRAIT
            portrait.page_width, portrait.page_height = Cm(21), Cm(29.7)
            portrait.left_margin = portrait.right_margin = Cm(2.2)
            portrait.top_margin = portrait.bottom_margin = Cm(2.54)
            portrait.header_distance = portrait.footer_distance = Cm(1.25)
            portrait.footer.is_linked_to_previous = False
            _footer(portrait, document)
    buffer = io.BytesIO()
    word.save(buffer)
    return buffer.getvalue()


def _fonts(style, lang: str) -> None:
    """Latin text in Times New Roman, Chinese in 宋体 (Word takes the East Asian font from w:eastAsia); the text's
    language (zh-CN or en-US), so Word's proofing and line breaking treat it as such."""
    style.font.name = LATIN_FONT
    properties = style.element.get_or_add_rPr()
    properties.get_or_add_rFonts().set(qn("w:eastAsia"), EAST_ASIAN_FONT)
    language = properties.find(qn("w:lang"))
    if language is None:
        language = OxmlElement("w:lang")
        properties.append(language)
    language.set(qn("w:val"), "zh-CN" if lang == "zh" else "en-US")
    language.set(qn("w:eastAsia"), "zh-CN")


def _properties(properties, document: ReviewDocument) -> None:
    """The file's own properties: its title and number, made now by redline (python-docx's template says 2013)."""
    now = datetime.now(timezone.utc).replace(microsecond=0)
    properties.title = f"{document.title} {document.number}"
    properties.subject = document.number
    properties.author = properties.last_modified_by = document.subtitle or "redline"
    properties.created = properties.modified = now
    properties.revision = 1
    properties.language = "zh-CN" if document.lang == "zh" else "en-US"
    properties.comments = f"redline {__version__}"
    properties.keywords = properties.category = ""


def _paragraph(word, block: Paragraph) -> None:
    paragraph = word.add_paragraph()
    run = paragraph.add_run(unbreakable(block.text))
    if block.style == "verdict":
        run.bold, run.font.size, run.font.color.rgb = True, Pt(16), COLOURS[block.status]
    elif block.style in ("clause", "note"):
        run.font.size, run.font.color.rgb = Pt(9 if block.style == "note" else 9.5), GREY
    elif block.style == "label":
        run.bold = True
    elif block.style == "opinion":
        _shade(paragraph, "F2F2F2")
        paragraph.paragraph_format.left_indent = Cm(0.3)


def _table(word, header, rows) -> None:
    if not rows:
        return
    table = word.add_table(rows=0, cols=len(header or rows[0]))
    table.style = "Table Grid"
    if header is not None:
        row = table.add_row()
        repeat = OxmlElement("w:tblHeader")  # the header row is repeated on every page the table runs over
        repeat.set(qn("w:val"), "true")
        row._tr.get_or_add_trPr().append(repeat)
        cells = row.cells
        for cell, text in zip(cells, header):
            cell.text = unbreakable(text)
            cell.paragraphs[0].runs[0].bold = True
            _shade(cell.paragraphs[0], "F2F2F2")
    for row in rows:
        cells = table.add_row().cells
        for number, (cell, text) in enumerate(zip(cells, row)):
            cell.text = unbreakable(str(text))
            if header is None and number == 0 and cell.paragraphs[0].runs:
                cell.paragraphs[0].runs[0].bold = True
    word.add_paragraph()


def _shade(paragraph, fill: str) -> None:
    properties = paragraph._p.get_or_add_pPr()
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:fill"), fill)
    properties.append(shading)


def _footer(section, document: ReviewDocument) -> None:
    """'报告编号 RL-… · 第 PAGE 页 / 共 NUMPAGES 页', the page numbers as fields Word fills in."""
    paragraph = section.footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    template = f"{document.label} · " + WORDS[document.lang]["page"]
    before, rest = template.split("{page}")
    middle, after = rest.split("{pages}")
    for text, field in ((before, "PAGE"), (middle, "NUMPAGES"), (after, None)):
        paragraph.add_run(text).font.size = Pt(8)
        if field:
            _field(paragraph.add_run(), field)


def _field(run, instruction: str) -> None:
    for kind, text in (("begin", None), (None, instruction), ("separate", None), (None, "1"), ("end", None)):
        if kind:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        elif text == instruction:
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = f" {instruction} "
        else:
            element = OxmlElement("w:t")
            element.text = text
        run._r.append(element)


def _signatures(word, block: Signatures) -> None:
    """The signers' rows, tall enough to sign in, then a seal box of ``block.seal_mm`` (a one-cell table)."""
    _table(word, block.header, tuple((signer, "", *block.signed.get(signer, ("", block.date))) for signer in block.signers))
    for row in word.tables[-1].rows[1:]:
        row.height = Cm(1.6)
    seal = word.add_table(rows=1, cols=1)
    seal.style = "Table Grid"
    seal.alignment = 2  # right
    seal.rows[0].height = Cm(block.seal_mm / 10)
    seal.columns[0].width = seal.rows[0].cells[0].width = Cm(block.seal_mm / 10)
    seal.rows[0].cells[0].text = block.seal
