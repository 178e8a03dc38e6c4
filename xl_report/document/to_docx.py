"""The report as .docx in government document typography (GB/T 9704 公文格式).

A4; margins 上37mm 下35mm 左28mm 右26mm; title 方正小标宋简体 二号 centred; 一级标题 黑体 三号;
（一）sub-headings 楷体_GB2312 三号; body 仿宋_GB2312 三号, first line indented 2 characters, line
spacing fixed 28pt; tables 仿宋_GB2312 五号/小五 with 黑体 headers; page number "— 1 —" 宋体 四号.

Fonts: python-docx's ``font.name`` sets only the Latin slots, so every run, every style and the
document defaults also get ``w:eastAsia``, and the East Asian language is zh-CN (LibreOffice
otherwise picks Japanese glyph variants). The 公文 faces are often missing; the font table names
the fallbacks Word and WPS use (仿宋_GB2312 → 仿宋 → FangSong; 方正小标宋简体 → 华文中宋 / 宋体;
黑体 → SimHei; 楷体_GB2312 → 楷体 → KaiTi). For the PDF preview on Linux, tests/fonts.conf maps
them to Noto Serif/Sans CJK SC.

Tables are written as WordprocessingML directly (gridSpan / vMerge), one pass over the grid: no
``table.cell()`` calls, which rebuild the cell grid each time (O(n²)).
"""

from __future__ import annotations

import io
from datetime import datetime
from xml.sax.saxutils import escape as xml_escape

from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Mm, Pt, RGBColor
from lxml import etree

from xl_report.document.model import GridCell, ReportDocument, Table
from xl_report.xlsx.fileio import FIXED_ZIP_TIME, normalise_zip

FONT_TITLE = "方正小标宋简体"
FONT_HEAD = "黑体"
FONT_SUB = "楷体_GB2312"
FONT_BODY = "仿宋_GB2312"
FONT_PAGE_NUMBER = "宋体"
# name -> alternative names (w:altName) for Word/WPS when the face is not installed
FALLBACKS = {
    FONT_BODY: "仿宋,FangSong",
    FONT_TITLE: "华文中宋,宋体,SimSun",
    FONT_HEAD: "SimHei",
    FONT_SUB: "楷体,KaiTi",
    FONT_PAGE_NUMBER: "SimSun",
}

SIZE_TITLE = Pt(22)  # 二号
TITLE_CHARS_PER_LINE = 20  # 二号 characters on the 156mm text width
SIZE_BODY = Pt(16)  # 三号
SIZE_PAGE_NUMBER = Pt(14)  # 四号
SIZE_TABLE = 10.5  # 五号
SIZE_TABLE_WIDE = 9  # 小五: 表三 and 表四 have 10 and 15 columns
LINE = Pt(28)
KEEP_TOGETHER_ROWS = 16

PAGE_W, PAGE_H = Mm(210), Mm(297)
MARGIN_TOP, MARGIN_BOTTOM, MARGIN_LEFT, MARGIN_RIGHT = Mm(37), Mm(35), Mm(28), Mm(26)
TEXT_WIDTH_TWIPS = round((210 - 28 - 26) / 25.4 * 1440)

STYLE_TITLE = "报告标题"
STYLE_TABLE = "表格文字"
STYLE_TABLE_ID = STYLE_TABLE  # python-docx uses the name as the id of a style it adds


# --------------------------------------------------------------------------------------------
# Fonts
# --------------------------------------------------------------------------------------------


def set_rfonts(rpr, name: str) -> None:
    """All four font slots, East Asian included; drop theme fonts, which would override them."""
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = OxmlElement("w:rFonts")
        rpr.insert(0, rfonts)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        rfonts.attrib.pop(qn(attr), None)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        rfonts.set(qn(attr), name)


def _style_font(style, name: str, size, *, bold: bool = False) -> None:
    style.font.size = size
    style.font.bold = bold
    style.font.color.rgb = RGBColor(0, 0, 0)
    set_rfonts(style.element.get_or_add_rPr(), name)


def _defaults(doc) -> None:
    """Document defaults: 仿宋_GB2312, East Asian language zh-CN, no paragraph spacing."""
    styles = doc.styles.element
    rpr = styles.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    set_rfonts(rpr, FONT_BODY)
    lang = rpr.find(qn("w:lang"))
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")
    spacing = styles.find(qn("w:docDefaults")).find(qn("w:pPrDefault")).find(qn("w:pPr")).find(qn("w:spacing"))
    spacing.set(qn("w:after"), "0")
    spacing.set(qn("w:line"), "240")


def _indent_chars(pf_element, chars: int = 2) -> None:
    """First-line indent in characters (w:firstLineChars), so it follows the font size."""
    ind = pf_element.get_or_add_pPr().get_or_add_ind()
    ind.set(qn("w:firstLineChars"), str(chars * 100))


def _body_format(style, *, indent: bool = True) -> None:
    pf = style.paragraph_format
    pf.space_before = pf.space_after = Pt(0)
    pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    pf.line_spacing = LINE
    pf.widow_control = True
    if indent:
        pf.first_line_indent = SIZE_BODY * 2
        _indent_chars(style.element)


def _styles(doc) -> None:
    normal = doc.styles["Normal"]
    _style_font(normal, FONT_BODY, SIZE_BODY)
    _body_format(normal)
    normal.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY

    title = doc.styles.add_style(STYLE_TITLE, WD_STYLE_TYPE.PARAGRAPH)
    title.base_style = normal
    _style_font(title, FONT_TITLE, SIZE_TITLE)
    pf = title.paragraph_format
    pf.alignment = WD_ALIGN_PARAGRAPH.CENTER
    pf.first_line_indent = Pt(0)
    title.element.get_or_add_pPr().get_or_add_ind().set(qn("w:firstLineChars"), "0")
    pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    pf.line_spacing = Pt(35)
    pf.space_after = LINE

    for name, font in (("Heading 1", FONT_HEAD), ("Heading 2", FONT_SUB)):
        h = doc.styles[name]
        _style_font(h, font, SIZE_BODY)
        h.font.italic = False
        _body_format(h)
        h.paragraph_format.keep_with_next = True

    table = doc.styles.add_style(STYLE_TABLE, WD_STYLE_TYPE.PARAGRAPH)
    table.base_style = normal
    _style_font(table, FONT_BODY, Pt(SIZE_TABLE))
    pf = table.paragraph_format
    pf.first_line_indent = Pt(0)
    table.element.get_or_add_pPr().get_or_add_ind().set(qn("w:firstLineChars"), "0")
    pf.line_spacing_rule = WD_LINE_SPACING.SINGLE
    pf.alignment = WD_ALIGN_PARAGRAPH.CENTER
    pf.widow_control = False


def _font_table(doc) -> None:
    """Declare the 公文 faces with their alternative names (charset 86 = GB2312)."""
    part = next(p for p in doc.part.package.iter_parts() if p.partname.endswith("/fontTable.xml"))
    root = etree.fromstring(part.blob)
    for name, alt in FALLBACKS.items():
        font = etree.SubElement(root, qn("w:font"))
        font.set(qn("w:name"), name)
        etree.SubElement(font, qn("w:altName")).set(qn("w:val"), alt)
        etree.SubElement(font, qn("w:charset")).set(qn("w:val"), "86")
        etree.SubElement(font, qn("w:family")).set(qn("w:val"), "modern" if name == FONT_HEAD else "roman")
        etree.SubElement(font, qn("w:pitch")).set(qn("w:val"), "variable")
    part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _page(doc) -> None:
    s = doc.sections[0]
    s.page_width, s.page_height = PAGE_W, PAGE_H
    s.top_margin, s.bottom_margin = MARGIN_TOP, MARGIN_BOTTOM
    s.left_margin, s.right_margin = MARGIN_LEFT, MARGIN_RIGHT
    s.header_distance = Mm(15)
    s.footer_distance = Mm(23)  # page number about 7mm below the text block
    p = s.footer.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.paragraph_format.first_line_indent = Pt(0)
    p._p.get_or_add_pPr().get_or_add_ind().set(qn("w:firstLineChars"), "0")
    _run(p, "— ", FONT_PAGE_NUMBER, SIZE_PAGE_NUMBER)
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    r = _run(p, "1", FONT_PAGE_NUMBER, SIZE_PAGE_NUMBER)
    p._p.remove(r._r)
    field.append(r._r)
    p._p.append(field)
    _run(p, " —", FONT_PAGE_NUMBER, SIZE_PAGE_NUMBER)


def _run(paragraph, text: str, font: str, size=None):
    run = paragraph.add_run(text)
    if size is not None:
        run.font.size = size
    set_rfonts(run._element.get_or_add_rPr(), font)
    return run


# --------------------------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------------------------


def _tc(cell: GridCell, width: int, size: float, *, merge: str | None, text: bool, keep: bool) -> str:
    """One <w:tc> as markup (a table is parsed once: building it node by node is ten times slower)."""
    span = f'<w:gridSpan w:val="{cell.colspan}"/>' if cell.colspan > 1 else ""
    vmerge = {"restart": '<w:vMerge w:val="restart"/>', "continue": "<w:vMerge/>"}.get(merge or "", "")
    font = FONT_HEAD if cell.role == "header" else FONT_BODY
    fonts = f'<w:rFonts w:ascii="{font}" w:hAnsi="{font}" w:eastAsia="{font}" w:cs="{font}"/>'
    sz = round(size * 2)
    # the paragraph mark's rPr keeps empty cells at the table's line height
    mark = f'<w:rPr>{fonts}<w:sz w:val="{sz}"/></w:rPr>'
    run = ""
    if text and cell.text:
        run = (
            f'<w:r><w:rPr>{fonts}<w:sz w:val="{sz}"/><w:szCs w:val="{sz}"/></w:rPr>'
            f'<w:t xml:space="preserve">{xml_escape(cell.text)}</w:t></w:r>'
        )
    return (
        f'<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/>{span}{vmerge}<w:vAlign w:val="center"/></w:tcPr>'
        f'<w:p><w:pPr><w:pStyle w:val="{STYLE_TABLE_ID}"/>{"<w:keepNext/>" if keep else ""}'
        f'<w:jc w:val="{"left" if cell.align == "left" else "center"}"/>{mark}</w:pPr>{run}</w:p></w:tc>'
    )


def add_table(doc, t: Table) -> None:
    size = SIZE_TABLE if t.ncols <= 4 else SIZE_TABLE_WIDE
    total = sum(t.widths)
    widths = [round(w / total * TEXT_WIDTH_TWIPS) for w in t.widths]
    table = doc.add_table(rows=0, cols=t.ncols)
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False  # fixed layout: the widths below are kept
    tbl = table._tbl
    tblw = tbl.tblPr.find(qn("w:tblW"))
    tblw.set(qn("w:w"), str(sum(widths)))
    tblw.set(qn("w:type"), "dxa")
    for gc, w in zip(tbl.tblGrid.findall(qn("w:gridCol")), widths):
        gc.set(qn("w:w"), str(w))
    grid = t.covering()
    # a short table stays on one page (keep-with-next down to its last row); a long one keeps its
    # header rows with the first data row and repeats them on the next page
    keep_rows = t.nrows - 1 if t.nrows <= KEEP_TOGETHER_ROWS else t.head_rows
    rows = []
    for r in range(t.nrows):
        # tblHeader: repeat the header rows when the table breaks across pages
        cells = ["<w:tr><w:trPr><w:cantSplit/>" + ("<w:tblHeader/>" if r < t.head_rows else "") + "</w:trPr>"]
        k = 0
        while k < t.ncols:
            c = grid[r][k]
            if c.col != k:  # inside a horizontal span that starts further left in this row
                k += 1
                continue
            width = sum(widths[c.col : c.col + c.colspan])
            if c.row == r:
                merge = "restart" if c.rowspan > 1 else None
                cells.append(_tc(c, width, size, merge=merge, text=True, keep=r < keep_rows))
            else:
                cells.append(_tc(c, width, size, merge="continue", text=False, keep=r < keep_rows))
            k += c.colspan
        cells.append("</w:tr>")
        rows.append("".join(cells))
    parsed = parse_xml(f"<w:tbl {nsdecls('w')}>{''.join(rows)}</w:tbl>")
    tbl.extend(list(parsed))


# --------------------------------------------------------------------------------------------
# Document
# --------------------------------------------------------------------------------------------


def _paragraph(doc, style_id: str):
    p = doc.add_paragraph()
    p._p.style = style_id
    return p


def to_docx(doc_model: ReportDocument) -> bytes:
    doc = Document()
    _defaults(doc)
    _styles(doc)
    _font_table(doc)
    _page(doc)
    cp = doc.core_properties
    fixed = datetime(*FIXED_ZIP_TIME)
    cp.title, cp.author, cp.last_modified_by, cp.comments = doc_model.title, "", "", ""
    cp.language, cp.created, cp.modified, cp.revision = "zh-CN", fixed, fixed, 1

    # style ids set directly: python-docx's style setter scans all styles on every paragraph
    title_style, h1, h2 = (doc.styles[n].style_id for n in (STYLE_TITLE, "Heading 1", "Heading 2"))
    title = _paragraph(doc, title_style)
    if len(doc_model.title) <= TITLE_CHARS_PER_LINE:
        _run(title, doc_model.title, FONT_TITLE)
    else:  # break between the unit and the year, not inside a word
        for i, line in enumerate(doc_model.title_lines):
            run = _run(title, line, FONT_TITLE)
            if i < len(doc_model.title_lines) - 1:
                run.add_break()
    _run(doc.add_paragraph(), doc_model.preamble, FONT_BODY)
    for s in doc_model.sections:
        _run(_paragraph(doc, h1), s.heading, FONT_HEAD)
        for p in s.paragraphs:
            if p.subheading:
                _run(_paragraph(doc, h2), p.text, FONT_SUB)
            else:
                _run(doc.add_paragraph(), p.text, FONT_BODY)
        if s.table is not None:
            add_table(doc, s.table)
    buf = io.BytesIO()
    doc.save(buf)
    return normalise_zip(buf.getvalue())
