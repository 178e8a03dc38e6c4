"""Input readers: every kind of published report becomes one flat stream of tokens.

A token is a paragraph line or one table cell, in reading order. Merged cells appear once (rowspan
and colspan are not expanded), which is exactly how a text dump of a web page looks; the table
parser (``tables.py``) then walks the stream by labels, so all inputs share one parser.
"""
from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from xl_report.core.errors import InputError
from xl_report.xlsx.fileio import ensure_readable
from xl_report.xlsx.safety import check_zip

MAX_INPUT_BYTES = 32 * 1024 * 1024
PDF_TIMEOUT = 60
# Paragraphs + table cells: a real report has a few hundred (the Linxi sample: 310). The section search
# rescans every token per heading, so millions of them (a 28 MB text of one-number lines) ran for minutes.
MAX_TOKENS = 50_000


@dataclass(frozen=True)
class Token:
    text: str
    cell: bool = False  # a table cell (else a paragraph / text line)
    row: int | None = None  # table row id when the source has real rows (HTML, .docx, Markdown)


def read_tokens(path: Path) -> list[Token]:
    """Tokens of ``path`` by its suffix (.txt/.text/.md and unknown: text dump)."""
    tokens = _read_tokens(path)
    if len(tokens) > MAX_TOKENS:
        raise InputError.at(f"文件内容过多（{len(tokens):,} 段文字或表格单元格），不像是一份年度报告", file=str(path))
    return tokens


def _read_tokens(path: Path) -> list[Token]:
    path = ensure_readable(path)
    size = path.stat().st_size
    if size > MAX_INPUT_BYTES:
        raise InputError.at(f"文件过大（{size // 1024 // 1024} MB），不像是一份年度报告", file=str(path))
    suffix = path.suffix.lower()
    if suffix in (".html", ".htm", ".xhtml"):
        return html_tokens(_decode(path.read_bytes()), str(path))
    if suffix == ".docx":
        return docx_tokens(path)
    if suffix == ".pdf":
        return pdf_tokens(path)
    if suffix in (".doc", ".wps", ".xls", ".xlsx", ".ofd"):
        raise InputError.at(f"不支持 {suffix} 文件，请另存为 .docx、.html、.pdf 或纯文本后再导入", file=str(path))
    return text_tokens(_decode(path.read_bytes()))


def _decode(data: bytes) -> str:
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    return data.decode("utf-8", errors="replace")


# --------------------------------------------------------------------------------------------
# Plain text dump: one cell per line ending with " |", fillers "| |||" after the last cell of a row
# --------------------------------------------------------------------------------------------


def text_tokens(text: str) -> list[Token]:
    out: list[Token] = []
    rows = 0
    prev = ""
    for raw in text.splitlines():
        line, prev_line = raw.strip(), prev
        prev = line
        if _MD_RULE.match(line):
            continue
        if line == "|" and prev_line and "|" not in prev_line:
            continue  # "text\n|\n" style: the bar closes the cell on the line above
        if "|" in line:
            if line.startswith("|") and line.strip("| ") and _is_markdown_row(line):
                rows += 1
                out.extend(Token(_unmark(c), True, rows) for c in line.strip()[1:].removesuffix("|").split("|"))
                continue
            parts = [_unmark(c) for c in line.split("|")]
            while len(parts) > 1 and not parts[-1]:
                parts.pop()  # the filler bars closing a short row
            if len(parts) > 1:  # "规章 | 0 | 0 | 6 |": a whole row on one line
                rows += 1
                out.extend(Token(c, True, rows) for c in parts)
            else:
                out.append(Token(parts[0], True))
        elif line:
            out.append(Token(_unmark(line)))
    return out


_MD_MARKS = re.compile(r"^#{1,6}\s+|^\*\*(?=.*\*\*$)|(?<=.)\*\*$")


def _unmark(text: str) -> str:
    """Markdown heading and bold marks ('## 一、总体情况', '**信息内容**') are not part of the text."""
    return _MD_MARKS.sub("", text.strip()).strip()


_MD_RULE = re.compile(r"^\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?$")


def _is_markdown_row(line: str) -> bool:
    """'| a | b |' rows (Markdown tables) hold several cells on one line."""
    return line.count("|") >= 2


# --------------------------------------------------------------------------------------------
# HTML: lxml; data tables (no nested table) give cells, layout tables are walked like divs
# --------------------------------------------------------------------------------------------
_BLOCK = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "section", "article", "header", "footer",
          "blockquote", "pre", "center", "body", "main", "ul", "ol", "dl", "dt", "dd", "form", "tr", "td", "th",
          "tbody", "thead", "table", "font", "span"}
_SKIP = {"script", "style", "head", "noscript", "template", "iframe", "object", "svg"}


def html_tokens(text: str, file: str | None = None) -> list[Token]:
    import lxml.html  # lazy: lxml.html only for .html input
    from lxml import etree  # lazy: lxml.html only for .html input

    try:
        doc = lxml.html.document_fromstring(text or "<html></html>")
    except (etree.ParserError, ValueError) as e:
        raise InputError.at(f"无法解析网页文件（{e}）", file=file) from None
    for br in doc.iter("br"):
        br.tail = "\n" + (br.tail or "")
    out: list[Token] = []
    title = doc.find(".//title")
    if title is not None:  # some pages print the report's title only in <title>
        _paragraphs(title.text_content(), out)
    _walk(doc, out)
    return _number_rows(out)


def _tag(el) -> str:
    return el.tag.lower() if isinstance(el.tag, str) else ""


def _walk(el, out: list[Token]) -> None:
    tag = _tag(el)
    if tag in _SKIP or not tag:
        return
    if tag == "table" and not any(_tag(t) == "table" for t in el.iterdescendants()):
        _table(el, out)
        return
    has_blocks = any(_tag(d) in _BLOCK and _tag(d) not in ("font", "span") or _tag(d) == "table"
                     for d in el.iterdescendants())
    if not has_blocks:
        _paragraphs(el.text_content(), out)
        return
    _paragraphs(el.text or "", out)
    for child in el:
        _walk(child, out)
        _paragraphs(child.tail or "", out)


def _paragraphs(text: str, out: list[Token]) -> None:
    for line in text.replace("\r", "\n").split("\n"):
        line = " ".join(line.split())
        if line:
            out.append(Token(line))


def _table(table, out: list[Token]) -> None:
    for tr in table.iter("tr"):
        for td in tr:
            if _tag(td) in ("td", "th"):
                out.append(Token(_cell_text(td.text_content()), True, -1))
        out.append(_ROW_END)


_ROW_END = Token("", False, -2)


def _number_rows(tokens: list[Token]) -> list[Token]:
    """Give the cells of each table row one row id (the readers mark rows with placeholders)."""
    out, row = [], 1
    for t in tokens:
        if t is _ROW_END:
            row += 1
        elif t.row == -1:
            out.append(Token(t.text, True, row))
        else:
            out.append(t)
    return out


def _cell_text(text: str) -> str:
    """A cell's lines joined: labels broken inside a cell ('本年度办<br>理结果') become one label."""
    lines = [" ".join(line.split()) for line in text.replace("\r", "\n").split("\n")]
    return "".join(line for line in lines if line)


# --------------------------------------------------------------------------------------------
# .docx: body paragraphs and tables in order; a vertically merged cell is read once
# --------------------------------------------------------------------------------------------


def docx_tokens(path: Path) -> list[Token]:
    import docx  # lazy: python-docx (~0.2 s) only for .docx input
    from docx.oxml.ns import qn  # lazy: python-docx (~0.2 s) only for .docx input

    _check_zip(path)
    try:
        document = docx.Document(str(path))
    except Exception as e:  # python-docx raises many types for damaged packages
        raise InputError.at(f"无法读取 Word 文件（{type(e).__name__}: {e}）", file=str(path)) from None
    out: list[Token] = []
    for child in document.element.body.iterchildren():
        if child.tag == qn("w:p"):
            _paragraphs(_wtext(child, qn), out)
        elif child.tag == qn("w:tbl"):
            for tr in child.iter(qn("w:tr")):
                for tc in tr.iterchildren(qn("w:tc")):
                    vmerge = tc.find(f"{qn('w:tcPr')}/{qn('w:vMerge')}")
                    if vmerge is not None and vmerge.get(qn("w:val")) in (None, "continue"):
                        continue  # continuation of a vertically merged cell
                    paras = [_wtext(p, qn) for p in tc.iter(qn("w:p"))]
                    out.append(Token(_cell_text("\n".join(paras)), True, -1))
                out.append(_ROW_END)
    return _number_rows(out)


def _wtext(p, qn) -> str:
    parts = []
    for el in p.iter(qn("w:t"), qn("w:tab"), qn("w:br")):
        parts.append(el.text or "" if el.tag == qn("w:t") else ("\n" if el.tag == qn("w:br") else " "))
    return "".join(parts)


def _check_zip(path: Path) -> None:
    check_zip(path, "不是有效的 Word（.docx）文件；如为 .doc 或 WPS 格式，请另存为 .docx")


# --------------------------------------------------------------------------------------------
# PDF: pdftotext -layout; a line with several column chunks gives cell tokens
# --------------------------------------------------------------------------------------------
_CHUNKS = re.compile(r"\s{2,}")
_NUMBERS = re.compile(r"^(?:[-+]?\d+(?:\.\d+)?|[/—-])(?: (?:[-+]?\d+(?:\.\d+)?|[/—-]))+$")
# two label columns only one space apart: "三、本年 （一）予以公开", "（三）不 1.属于国"
_ENUM_SPLIT = re.compile(r"\s+(?=[（(][一二三四五六七八九十][）)]|\d{1,2}[.、．]\D)")
_TRAILING_NUMBER = re.compile(r"^(.*[^\d\s.,，。；;])\s+([-+]?\d+(?:\.\d+)?)$")
_SHORT_LABEL = 30
_PAGE_NO = re.compile(r"^(?:[-—－]\s*\d+\s*[-—－]|第\s*\d+\s*页(?:\s*[/，,]?\s*共\s*\d+\s*页)?|\d+\s*/\s*\d+)$")


def pdf_tokens(path: Path) -> list[Token]:
    exe = shutil.which("pdftotext")
    if not exe:
        raise InputError.at("读取 PDF 需要 pdftotext（poppler-utils），本机未安装；请安装后重试，"
                            "或把报告另存为 .docx / .html / 纯文本后导入", file=str(path))
    try:
        proc = subprocess.run([exe, "-layout", "-enc", "UTF-8", str(path), "-"], capture_output=True,
                              timeout=PDF_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise InputError.at("PDF 文本提取超时，文件可能已损坏", file=str(path)) from None
    if proc.returncode != 0:
        msg = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
        raise InputError.at(f"无法读取 PDF 文件（{msg[0]}）", file=str(path))
    return layout_tokens(proc.stdout.decode("utf-8", "replace"))


def layout_tokens(text: str) -> list[Token]:
    out: list[Token] = []
    for raw in text.replace("\f", "\n").splitlines():
        line = raw.strip()
        if not line or _PAGE_NO.match(line):
            continue
        chunks = [c for c in _CHUNKS.split(line) if c]
        tail = _TRAILING_NUMBER.match(chunks[0])
        if tail and (len(chunks) > 1 or len(tail.group(1)) <= _SHORT_LABEL):
            chunks[:1] = [tail.group(1), tail.group(2)]  # "行政规范性文件 564": label and first number
        cells: list[str] = []
        for c in chunks:
            cells.extend(c.split(" ") if _NUMBERS.match(c) else _ENUM_SPLIT.split(c))
        if len(cells) == 1:
            out.append(Token(cells[0]))
        else:
            out.extend(Token(c, True) for c in cells)
    return out
