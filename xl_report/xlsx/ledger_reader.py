"""Open a ledger file of any common kind as sheet grids: .xlsx/.xlsm, .xls (old Excel, WPS), .ods
(LibreOffice) through calamine, .csv with its encoding detected. Every file is hostile: sizes, rows and
sheet extents are bounded before or while it is read; .et and password-protected files get a clear
message instead of a parser error.
"""

from __future__ import annotations

import csv
import io
import re
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import olefile
from python_calamine import CalamineError, CalamineWorkbook

from xl_report.core.errors import InputError
from xl_report.core.tally import HEADER_SCAN_ROWS, MAX_ROWS
from xl_report.xlsx.fileio import ensure_readable
from xl_report.xlsx.safety import ENCRYPTED, MAX_FILE_BYTES, MAX_SHEET_CELLS, check_xlsx, is_encrypted, open_zip

LEDGER_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods", ".csv")
SAVE_AS = "请在 WPS 或 Excel 中另存为 .xlsx 后再试"
MAX_CSV_COLUMNS = 200  # a ledger has a dozen columns; thousands mean a wrong file
MAX_GRID_ROWS = MAX_ROWS + HEADER_SCAN_ROWS
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the compound-file header of .xls, .et and encrypted .xlsx
# an .ods cell or row repeated very many times *with a value* would make calamine allocate it all
_ODS_REPEAT = re.compile(rb"<table:table-(row|cell)\b([^>]*?)number-(?:rows|columns)-repeated=\"(\d+)\"([^>]*)>")


@dataclass
class LedgerFile:
    """The sheets of one ledger file; a grid is read on first use."""

    path: Path
    kind: str  # the suffix, lower case
    names: list[str]
    _book: CalamineWorkbook | None = None
    _grids: dict[str, list[list[object]]] = field(default_factory=dict)

    @property
    def is_xlsx(self) -> bool:
        return self.kind in (".xlsx", ".xlsm")

    def sheet_label(self, name: str) -> str | None:
        """How messages name a sheet: a .csv has none."""
        return None if self.kind == ".csv" else name

    def grid(self, name: str, limit: int | None = None) -> list[list[object]]:
        if name not in self._grids:
            assert self._book is not None
            try:
                sheet = self._book.get_sheet_by_name(name)
                if sheet.total_height * max(sheet.total_width, 1) > MAX_SHEET_CELLS:
                    raise InputError.at(
                        f"数据范围过大（{sheet.total_height:,} 行 × {sheet.total_width:,} 列），"
                        "请删除远处误填的内容后再试",
                        file=str(self.path),
                        sheet=name,
                    )
                if sheet.total_height > MAX_GRID_ROWS:
                    raise InputError.at(
                        f"行数超过 {MAX_ROWS:,} 行的上限，请检查是否误选了整列或粘贴了无关数据",
                        file=str(self.path),
                        sheet=name,
                    )
                self._grids[name] = cast(list[list[object]], sheet.to_python(skip_empty_area=False, nrows=limit))
            except CalamineError as e:
                raise InputError.at(f"无法读取工作表（{e}）", file=str(self.path), sheet=name) from None
        return self._grids[name]

    @property
    def book(self) -> CalamineWorkbook | None:
        return self._book


def open_ledger(path: Path | str) -> LedgerFile:
    """The file checked and opened (InputError with a clear Chinese message otherwise)."""
    path = ensure_readable(path)
    kind = path.suffix.lower()
    if kind == ".et":
        raise InputError.at("WPS 表格格式（.et）不能直接读取，请在 WPS 中另存为 .xlsx 后再试", file=str(path))
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise InputError.at(
            f"文件过大（{size // 1024 // 1024} MB），超过 {MAX_FILE_BYTES // 1024 // 1024} MB 上限", file=str(path)
        )
    with open(path, "rb") as f:
        head = f.read(8)
    if head == _OLE2:
        if is_encrypted(path.read_bytes()):
            raise InputError.at(ENCRYPTED, file=str(path))
        if kind != ".xls":
            raise InputError.at(
                f"这是旧版 Excel 或 WPS 格式的文件，扩展名却是“{kind or '无'}”；{SAVE_AS}", file=str(path)
            )
    if kind == ".csv":
        return _open_csv(path)
    if kind in (".xlsx", ".xlsm"):
        check_xlsx(path)
    elif kind == ".ods":
        _check_ods(path)
    elif kind == ".xls":
        _check_xls(path)
    elif kind != ".xls":
        suffixes = "、".join(LEDGER_SUFFIXES)
        raise InputError.at(f"不支持这种文件（{kind or '没有扩展名'}）；台账请用 {suffixes} 格式", file=str(path))
    try:
        book = CalamineWorkbook.from_path(str(path))
    except CalamineError as e:
        text = str(e)
        if "password" in text.lower() or "encrypt" in text.lower():
            raise InputError.at(ENCRYPTED, file=str(path)) from None
        raise InputError.at(f"无法读取工作簿（{text}）；{SAVE_AS}", file=str(path)) from None
    except Exception as e:  # noqa: BLE001 - calamine raises its own types for malformed files
        raise InputError.at(f"无法读取工作簿（{type(e).__name__}）；{SAVE_AS}", file=str(path)) from None
    return LedgerFile(path, kind, list(book.sheet_names), book)


# BIFF8 cell records (row and first column lead their data; MULRK/MULBLANK end with their last column)
_CELL_RECORDS = {0x0006, 0x00D6, 0x00FD, 0x0201, 0x0203, 0x0204, 0x0205, 0x027E}
_MULTI_RECORDS = {0x00BD, 0x00BE}
_BOF, _FILEPASS = 0x0809, 0x002F


def _check_xls(path: Path) -> None:
    """An .xls (BIFF8 in a compound file): password-protected, or a sheet whose cells span a rectangle
    calamine would allocate whole (65,536 × 256 cells ≈ 500 MB), is refused before calamine opens it."""
    data = b""
    try:
        with olefile.OleFileIO(str(path)) as ole:
            stream = next((s for s in ("Workbook", "Book") if ole.exists(s)), None)
            if stream is not None:
                data = ole.openstream(stream).read()
    except Exception as e:  # noqa: BLE001 - olefile raises many types for a malformed container
        raise InputError.at(f"不是有效的 .xls 文件（{e}）；{SAVE_AS}", file=str(path)) from None
    if not data:
        raise InputError.at(f"不是有效的 .xls 文件（找不到工作簿数据）；{SAVE_AS}", file=str(path))
    rows = cols = 0
    at = 0
    while at + 4 <= len(data):
        kind, size = struct.unpack_from("<HH", data, at)
        body = data[at + 4 : at + 4 + size]
        at += 4 + size
        if kind == _FILEPASS:
            raise InputError.at(ENCRYPTED, file=str(path))
        if kind == _BOF:
            rows = cols = 0  # a new sheet
        elif len(body) >= 4 and (kind in _CELL_RECORDS or kind in _MULTI_RECORDS):
            row, col = struct.unpack_from("<HH", body)
            if kind in _MULTI_RECORDS and len(body) >= 6:
                col = max(col, struct.unpack_from("<H", body, len(body) - 2)[0])
            rows, cols = max(rows, row + 1), max(cols, col + 1)
            if rows * cols > MAX_SHEET_CELLS:
                raise InputError.at(
                    f"有一张工作表的数据范围过大（{rows:,} 行 × {cols:,} 列），请删除远处误填的内容后再试",
                    file=str(path),
                )


def _check_ods(path: Path) -> None:
    """An .ods is a zip (bombs, traversal: the xlsx checks) holding content.xml (no DTD; no huge repeats)."""
    z = open_zip(path, "不是有效的 .ods 文件（文件已损坏或不是 LibreOffice 表格）")
    with z:
        try:
            content = z.read("content.xml")
        except KeyError:
            raise InputError.at("不是有效的 .ods 文件（缺少 content.xml）", file=str(path)) from None
    if b"<!DOCTYPE" in content or b"<!ENTITY" in content:
        raise InputError.at("文件内部含有 XML 实体声明，疑似恶意文件，拒绝打开", file=str(path))
    for m in _ODS_REPEAT.finditer(content):
        if int(m.group(3)) > 1000 and b"value-type" in m.group(2) + m.group(4):
            raise InputError.at("文件中有重复成千上万次的单元格，疑似恶意文件，拒绝打开", file=str(path))
    for row in re.finditer(
        rb"<table:table-row\b[^>]*number-rows-repeated=\"(\d+)\"[^>]*>(.*?)</table:table-row>", content, re.S
    ):
        if int(row.group(1)) > 1000 and b"value-type" in row.group(2):
            raise InputError.at("文件中有重复成千上万次的行，疑似恶意文件，拒绝打开", file=str(path))


# --------------------------------------------------------------------------------------------
# CSV
# --------------------------------------------------------------------------------------------


def decode_text(data: bytes, path: Path) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, else GB18030 (a superset of GBK and GB2312)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encodings: tuple[str, ...] = ("utf-16",)
    else:
        encodings = ("utf-8-sig", "gb18030")
    for enc in encodings:
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise InputError.at(
        "无法识别文件的文字编码（应为 UTF-8 或 GBK），请在 Excel/WPS 中另存为 .xlsx 后再试", file=str(path)
    )


def _open_csv(path: Path) -> LedgerFile:
    text = decode_text(path.read_bytes(), path)
    if "\x00" in text:
        raise InputError.at("文件中有空字符，不是文本格式的 .csv 文件", file=str(path))
    head = text.split("\n", 10)[:10]  # a title line may come first: the busiest of the first lines decides
    delimiter = max(",\t;", key=lambda d: max(line.count(d) for line in head))
    rows: list[list[object]] = []
    try:
        for i, record in enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)):
            if i >= MAX_GRID_ROWS:
                raise InputError.at(f"行数超过 {MAX_ROWS:,} 行的上限", file=str(path))
            if len(record) > MAX_CSV_COLUMNS:
                raise InputError.at(
                    f"第{i + 1}行有 {len(record)} 列，超过 {MAX_CSV_COLUMNS} 列的上限，请检查文件", file=str(path)
                )
            rows.append(list(record))
    except csv.Error as e:
        raise InputError.at(f"CSV 格式有误（{e}）", file=str(path)) from None
    ledger = LedgerFile(path, ".csv", [path.name])  # no sheets: the file is its one "sheet"
    ledger._grids[path.name] = rows
    return ledger
