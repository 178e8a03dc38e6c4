"""Input readers: every kind of published report becomes one flat stream of tokens.

A token is a paragraph line or one table cell, in reading order. Merged cells appear once (rowspan
and colspan are not expanded), which is exactly how a text dump of a web page looks; the table
parser (``tables.py``) then walks the stream by labels, so all inputs share one parser.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from xl_report.core.errors import InputError
from xl_report.xlsx.fileio import ensure_readable
from xl_report.xlsx.safety import check_zip

MAX_INPUT_BYTES = 32 * 1024 * 1024
PDF_TIMEOUT = 60
PDF_PAGES = 200  # pages read from a PDF: a report has a few dozen at most
# Paragraphs + table cells: a real report has a few hundred (the Linxi sample: 310). The section search
# rescans every token per heading, so millions of them (a 28 MB text of one-number lines) ran for minutes.
MAX_TOKENS = 50_000
MAX_TAGS = 150_000  # elements of a web page (a long government page has ~20,000)
MAX_LINE = 200_000  # characters in one line: a crawler's whole report on one line has ~20,000


@dataclass(frozen=True)
class Token:
    text: str
    cell: bool = False  # a table cell (else a paragraph / text line)
    row: int | None = None  # table row id when the source has real rows (HTML, .docx, Markdown)
    joined: bool = False  # several cells' digits run together with no separator (crawler text)
    line: int | None = None  # the line of pdftotext -layout text it was printed on


def read_tokens(path: Path) -> list[Token]:
    """Tokens of ``path``, read by what its bytes are (see ``sniff``)."""
    try:
        return _read_tokens(path)
    except TooMany as e:
        raise InputError.at(f"文件内容过多（{e.what}），不像是一份年度报告", file=str(path)) from None


class TooMany(Exception):
    """More than a report has: raised while reading, before memory grows with the input."""

    def __init__(self, what: str = f"超过 {MAX_TOKENS:,} 段文字或表格单元格"):
        super().__init__(what)
        self.what = what


class Tokens(list):
    """A token list that refuses to grow past MAX_TOKENS (a 30 MB text of number lines reached 1.6 GB
    before a check after reading refused it)."""

    def append(self, token: Token) -> None:
        if len(self) >= MAX_TOKENS:
            raise TooMany
        super().append(token)

    def extend(self, tokens) -> None:
        for t in tokens:
            self.append(t)


def _lines(text: str) -> Iterator[str]:
    """The lines of ``text`` one at a time: a list of millions of lines (or a StringIO, 4 bytes a
    character) is the memory problem. A line longer than any report's is refused."""
    start, size = 0, len(text)
    while start < size:
        end = text.find("\n", start)
        end = size if end < 0 else end
        if end - start > MAX_LINE:
            raise TooMany(f"一行超过 {MAX_LINE:,} 个字")
        yield text[start:end].removesuffix("\r")
        start = end + 1


def _read_tokens(path: Path) -> list[Token]:
    path = ensure_readable(path)
    size = path.stat().st_size
    if size > MAX_INPUT_BYTES:
        raise InputError.at(f"文件过大（{size // 1024 // 1024} MB），不像是一份年度报告", file=str(path))
    kind = sniff(path)
    if kind == "html":
        data = path.read_bytes()
        if data.count(b"<") > MAX_TAGS:  # lxml's tree takes ~500 bytes an element: refuse before building it
            raise TooMany(f"网页元素超过 {MAX_TAGS:,} 个")
        return html_tokens(_decode(data), str(path))
    if kind == "docx":
        return docx_tokens(path)
    if kind == "pdf":
        return pdf_tokens(path)
    if kind != "text":
        raise InputError.at(f"不支持 {kind} 文件，请另存为 .docx、.html、.pdf 或纯文本后再导入", file=str(path))
    text = _decode(path.read_bytes())
    if not text.strip(" \t\r\n\ufeff"):
        raise InputError.at("文件是空的（没有任何文字）：请确认年报内容已经保存进这个文件", file=str(path))
    return layout_tokens(text) if looks_like_layout(text) else text_tokens(text)


_UNSUPPORTED = (".doc", ".wps", ".xls", ".xlsx", ".ofd")


def sniff(path: Path) -> str:
    """'pdf', 'docx', 'html', 'text' by the file's first bytes (a saved page is often named .txt, a PDF
    .html); an unsupported suffix whose bytes say nothing else is returned as the suffix."""
    with path.open("rb") as f:
        head = f.read(4096)
    if head.startswith(_UTF16_BOMS):  # look at the characters, not at every other byte
        head = head.decode("utf-16", errors="ignore").encode("utf-8")
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return "docx" if path.suffix.lower() not in _UNSUPPORTED else path.suffix.lower()
    if head.startswith(b"\xd0\xcf\x11\xe0"):  # the OLE container of .doc/.wps/.xls
        return path.suffix.lower() if path.suffix.lower() in _UNSUPPORTED else ".doc"
    if path.suffix.lower() in _UNSUPPORTED:
        return path.suffix.lower()
    if path.suffix.lower() in (".docx", ".pdf"):
        return path.suffix.lower()[1:]  # not what it says: its reader names the damage
    lower = head.lower()
    markup = _TAG.search(lower) is not None
    if markup and (
        path.suffix.lower() in (".html", ".htm", ".xhtml")
        or b"<html" in lower
        or b"<!doctype html" in lower
        or lower.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<")
    ):
        return "html"
    return "text"


_TAG = re.compile(rb"<(?:[a-z][a-z0-9]*|!doctype)[\s>/]")


_LAYOUT_ROW = re.compile(r"\S {2,}\S.* {2,}\S")  # three or more column chunks


def looks_like_layout(text: str) -> bool:
    """``pdftotext -layout`` text (columns separated by runs of spaces) rather than a pipe dump."""
    pipes = columns = 0
    for n, line in enumerate(_lines(text)):
        if n == _SNIFF_LINES:
            break
        line = line.strip()[:_SNIFF_WIDTH]
        pipes += line.count("|") >= 2
        columns += bool(_LAYOUT_ROW.search(line)) and any(c.isdigit() for c in line)
    return columns >= 5 and columns > pipes


_SNIFF_LINES = 5000  # a report's tables start within its first few hundred lines
_SNIFF_WIDTH = 400


_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")  # Windows Notepad's "Unicode" (and its big-endian variant)


def _decode(data: bytes) -> str:
    if data.startswith(_UTF16_BOMS):  # before GB18030, which would decode UTF-16 into noise
        return data.decode("utf-16", errors="replace")
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
    out = Tokens()
    rows = 0
    prev = ""
    for n, raw in enumerate(_lines(text)):
        line, prev_line = raw.strip(), prev
        if "\t" in line and "|" not in line:  # a table copied from a browser, Word or Excel: tab-separated cells
            line = " | ".join(c.strip() for c in line.split("\t"))
        prev = line
        if _MD_RULE.match(line) or _PAGE_NO.match(line):
            continue  # a Markdown rule; a page footer ('— 4 —' is not −4)
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
            para = _unmark(line)
            if len(para) > _ROW_LINE:
                out.append(Token(para))  # a paragraph (or a crawler's whole report): no row on one line
                continue
            if _NUMBERS.match(para):  # a row's numbers on a line of their own: one cell each
                out.extend(Token(v, True, line=n) for v in para.split())
                continue
            numbers = _LABEL_NUMBERS.match(para)
            if numbers and len(numbers.group(1)) <= _ROW_LABEL:  # '行政许可 40': a row on one line
                out.append(Token(numbers.group(1).strip(), True, line=n))
                out.extend(Token(v, True, line=n) for v in numbers.group(2).split())
            else:
                out.append(Token(para))
    return out


_ROW_LABEL = 40  # the longest row label printed on one line with its numbers
_ROW_LINE = 400  # a longer line is no table row
_NUM = r"(?:[-+]?\d+(?:\.\d+)?|[/—-])"
# a label (ending in a word, not a digit or sentence punctuation) then numbers, one space apart
_LABEL_NUMBERS = re.compile(rf"^(.*[\u4e00-\u9fff”）)])\s+({_NUM}(?:\s+{_NUM})*)$")


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
_BLOCK = {
    "p",
    "div",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "li",
    "section",
    "article",
    "header",
    "footer",
    "blockquote",
    "pre",
    "center",
    "body",
    "main",
    "ul",
    "ol",
    "dl",
    "dt",
    "dd",
    "form",
    "tr",
    "td",
    "th",
    "tbody",
    "thead",
    "table",
    "font",
    "span",
}
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
    out: list[Token] = Tokens()
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
    has_blocks = any(
        _tag(d) in _BLOCK and _tag(d) not in ("font", "span") or _tag(d) == "table" for d in el.iterdescendants()
    )
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
    out: list[Token] = Tokens()
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
        raise InputError.at(
            "读取 PDF 需要 poppler 的 pdftotext 程序，本机未安装。"
            "安装方法：Debian/Ubuntu/统信/麒麟 运行 "
            "sudo apt-get install poppler-utils；CentOS/欧拉 运行 sudo yum install poppler-utils；"
            "macOS 运行 brew install poppler；Windows 下载 poppler 解压后把其中的 bin 文件夹加入 PATH。"
            "也可以把报告另存为 .docx / .html / 纯文本后导入",
            file=str(path),
        )
    try:
        proc = subprocess.run(
            [exe, "-layout", "-enc", "UTF-8", "-l", str(PDF_PAGES), str(path), "-"],
            capture_output=True,
            timeout=PDF_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise InputError.at("PDF 文本提取超时，文件可能已损坏", file=str(path)) from None
    if proc.returncode != 0:
        msg = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
        raise InputError.at(f"无法读取 PDF 文件（{msg[0]}）", file=str(path))
    return layout_tokens(proc.stdout.decode("utf-8", "replace"))


def layout_tokens(text: str) -> list[Token]:
    out: list[Token] = Tokens()
    for n, raw in enumerate(_lines(text)):
        line = raw.replace("\f", " ").strip()
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
            out.append(Token(cells[0], line=n))
        else:
            out.extend(Token(c, True, line=n) for c in cells)
    return out
