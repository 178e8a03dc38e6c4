"""Treat every workbook as hostile: size, zip-bomb, path and sheet-extent checks before any parser
sees it (a far cell makes calamine allocate its whole rectangle; very many cells cost openpyxl GBs).

XML entity attacks are handled by defusedxml, which openpyxl uses automatically when installed
(it is a dependency); calamine's Rust XML reader does not expand entities.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

from xl_report.core.errors import InputError
from xl_report.xlsx.deflate import ERRORS as _INFLATE_ERRORS
from xl_report.xlsx.deflate import fast_zlib as _inflate_lib
from xl_report.xlsx.fileio import ensure_readable

MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 256 * 1024 * 1024
MAX_RATIO = 200  # per entry, for entries above RATIO_FLOOR bytes
RATIO_FLOOR = 1024 * 1024
MAX_ENTRIES = 10_000
# Rows x columns of a sheet's used rectangle. calamine allocates the whole rectangle, so one stray
# value in column XFD of a 2,000-row tally costs ~1 GB before any row-count check could run.
MAX_SHEET_CELLS = 4_000_000
# Cells actually written, all sheets together. openpyxl (fill, check, freeze, verify) keeps an object
# per cell (~200 bytes): a 5 MB file of 10 million small cells would cost GBs. A county department's
# year of tallies is ~100,000 cells; the tally reader's own limit (200,000 rows) stays reachable.
MAX_CELLS = 2_000_000
# Defined names: the template has ~210. Each costs openpyxl an object and a parse, so 200,000 of them
# (a 600 KB file) cost ~10 s and 300 MB per open.
MAX_DEFINED_NAMES = 10_000
# Cells one defined name may cover: the template's largest (a narrative range) has 20. A name over a
# huge rectangle ('表三'!$A$1:$XFD$1048576) would make every reader enumerate 17 billion cells.
MAX_NAME_CELLS = 1_000
# Office never writes a DTD into a package part; one there can only be an entity attack (billion
# laughs, external entity). Some parsers reject it, some silently drop the part's content: refuse it.
_DTD_MARK = b"<!DOCTYPE"
_DTD_MARKS_UTF16 = tuple(_DTD_MARK.decode().encode(enc) for enc in ("utf-16-le", "utf-16-be"))
# Cell tags as every writer spells them: <c r="B12" ...> (calamine also takes lower-case references).
_CELL_REF = re.compile(rb' r="([A-Za-z]+)([0-9]+)"')
_FAR_REF = re.compile(rb' r="(?:[A-Za-z]{2}|[A-Za-z][0-9]{6})')  # beyond column Z or row 99,999
# Any other spelling of a cell tag: no r (the cell then follows the previous one), r not first, other
# quotes or spacing, a namespace prefix. Legal XML, so such parts are walked tag by tag. (Two
# patterns with a literal start each: one alternation of both scans ~8x slower.)
_ODD_CELL = re.compile(rb'<c(?:[>/\t\r\n]| (?!r="))')
_PREFIXED_CELL = re.compile(rb":c[\s/>]")
_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(row|c)(?=[\s/>])([^<]*)")  # attribute values hold no "<"
_R_ATTR = re.compile(rb'\sr\s*=\s*["\']\s*([A-Za-z]*)\s*([0-9]*)')

ENCRYPTED = "工作簿设置了打开密码，请取消密码后再试（Excel：文件 → 信息 → 保护工作簿 → 用密码进行加密，清空密码后保存）"
_CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an OLE compound file: .xls, or an encrypted .xlsx
_ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")  # its directory names the encrypted package


def is_encrypted(data: bytes) -> bool:
    """A password-protected .xlsx: Office wraps the encrypted package in a compound file."""
    return data.startswith(_CFB_MAGIC) and _ENCRYPTED_STREAM in data


def check_zip(path: Path | str, not_zip: str, max_uncompressed: int = MAX_UNCOMPRESSED_BYTES) -> list[zipfile.ZipInfo]:
    """Open a zip package defensively: size, entry count, compression ratio, paths. Returns its entries.

    ``not_zip`` is the Chinese message for a file that is not a zip at all (e.g. an .xls).
    """
    with open_zip(path, not_zip, max_uncompressed) as z:
        return z.infolist()


def read_package(path: Path | str) -> bytes:
    """A package's bytes, size-checked before they are read: for a reader that goes over the file
    more than once (hash, checks, parser) without reopening it."""
    path = ensure_readable(path)
    _check_size(path, path.stat().st_size)
    return path.read_bytes()


def _check_size(path: Path, size: int) -> None:
    if size > MAX_FILE_BYTES:
        raise InputError.at(
            f"文件过大（{size // 1024 // 1024} MB），超过 {MAX_FILE_BYTES // 1024 // 1024} MB 上限", file=str(path)
        )


def open_zip(
    path: Path | str,
    not_zip: str | Callable[[bytes], str],
    max_uncompressed: int = MAX_UNCOMPRESSED_BYTES,
    data: bytes | None = None,
) -> zipfile.ZipFile:
    """:func:`check_zip`, returning the package open (the caller closes it): its directory read once.
    ``data``: the file's bytes, already read (:func:`read_package`); ``path`` then only names it.
    ``not_zip``: the message when it is no zip package, or a function of the file's bytes giving it."""
    path = Path(path) if data is not None else ensure_readable(path)
    _check_size(path, len(data) if data is not None else path.stat().st_size)
    source = io.BytesIO(data) if data is not None else path
    if not zipfile.is_zipfile(source):
        content = data if data is not None else path.read_bytes()
        if is_encrypted(content):
            raise InputError.at(ENCRYPTED, file=str(path))
        raise InputError.at(not_zip(content) if callable(not_zip) else not_zip, file=str(path))
    try:
        z = Package(source)
        z.filename = str(path)  # messages name the file, also when it was opened from its bytes
    except (zipfile.BadZipFile, OSError) as e:
        raise InputError.at(f"文件已损坏，无法打开（{e}）", file=str(path)) from None
    try:
        _check_entries(z.infolist(), path, max_uncompressed)
    except BaseException:
        z.close()
        raise
    return z


def _check_entries(infos: list[zipfile.ZipInfo], path: Path, max_uncompressed: int) -> None:
    if len(infos) > MAX_ENTRIES:
        raise InputError.at("文件内部结构异常（部件过多），拒绝打开", file=str(path))
    total = 0
    for info in infos:
        if info.filename.startswith("/") or ".." in info.filename.split("/"):
            raise InputError.at("文件内部含有非法路径，拒绝打开", file=str(path))
        total += info.file_size
        if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise InputError.at("文件压缩比异常（疑似“压缩炸弹”），拒绝打开", file=str(path))
    if total > max_uncompressed:
        raise InputError.at("文件解压后过大（疑似“压缩炸弹”），拒绝打开", file=str(path))


PUBLISHED_HINT = "已发布的年报请先用 xl-report import 转成工作簿（xl-report import 年报.pdf -o 年报.xlsx）"


def _not_a_workbook(content: bytes) -> str:
    """What a file that is no .xlsx package is, by its first bytes: a published report (PDF, web page,
    text) goes through ``import``; an old .xls / WPS file is saved again as .xlsx."""
    head = content[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"%pdf-"):
        return f"这是 PDF 文件，不是 Excel 工作簿；{PUBLISHED_HINT}"
    if head.startswith((b"<!doctype html", b"<html", b"<?xml", b"<meta", b"<head", b"<body")):
        return f"这是网页（HTML）文件，不是 Excel 工作簿；{PUBLISHED_HINT}"
    return "不是有效的 Excel 工作簿（.xlsx）文件；如为 .xls 或 WPS 格式，请另存为 .xlsx"


def check_xlsx(path: Path | str) -> Path:
    """Raise InputError unless ``path`` looks like a sane .xlsx/.xlsm zip package."""
    open_xlsx(path).close()
    return Path(path)


def open_xlsx(path: Path | str, data: bytes | None = None) -> zipfile.ZipFile:
    """:func:`check_xlsx`, returning the package open (the caller closes it). ``data``: as for
    :func:`open_zip`."""
    z = open_zip(path, _not_a_workbook, data=data)
    names = {info.filename for info in z.infolist()}
    try:
        if "[Content_Types].xml" not in names or not any(n.startswith("xl/workbook") for n in names):
            if any(n.startswith("word/") for n in names):
                raise InputError.at(f"这是 Word 文档，不是 Excel 工作簿；{PUBLISHED_HINT}", file=str(path))
            raise InputError.at("不是有效的 Excel 工作簿（缺少工作簿结构）", file=str(path))
        # every part: calamine reads a sheet from wherever the workbook's relationships point
        # (xl/evil.png will do), so a scan of xl/worksheets/ alone could be walked around
        cells = 0
        for info in z.infolist():
            if info.is_dir():
                continue
            dtd, defined, (rows, cols, n) = _part_facts(z, info)
            if dtd:
                raise InputError.at(
                    f"文件内部含有 XML 实体声明（{info.filename}），疑似恶意文件，拒绝打开", file=str(path)
                )
            if defined > MAX_DEFINED_NAMES:
                raise InputError.at(
                    f"工作簿的名称（定义的名称）过多（超过 {MAX_DEFINED_NAMES:,} 个），拒绝打开", file=str(path)
                )
            if rows * cols > MAX_SHEET_CELLS:
                raise InputError.at(
                    f"有一张工作表的数据范围过大（{rows:,} 行 × {cols:,} 列），请删除远处误填的内容或多余的行列后再试",
                    file=str(path),
                )
            cells += n
            if cells > MAX_CELLS:
                raise InputError.at(
                    f"工作簿的单元格过多（超过 {MAX_CELLS:,} 个），请删除无关的数据后再试", file=str(path)
                )
    except BaseException:
        z.close()
        raise
    return z


def _has_dtd(data: bytes) -> bool:
    """A DOCTYPE anywhere in the part, in UTF-8 or, for a part that starts like UTF-16 (a byte-order
    mark or a zero byte among the first four), in UTF-16: only such parts pay for the two slow searches."""
    if _DTD_MARK in data:
        return True
    utf16 = data[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in data[:4]
    return utf16 and any(mark in data for mark in _DTD_MARKS_UTF16)


def measure_sheet(data: bytes) -> tuple[int, int, int]:
    """(last row, last column, cells) of a part's cells; (0, 0, n) when they all lie within column Z
    and row 99,999 (then the rectangle is within the limit whatever its exact extent).

    Measured from the cells' own positions, not the <dimension> element (which may lie). In the usual
    spelling every cell carries its reference; any other spelling is walked as calamine reads it.
    """
    if b"sheetData" not in data:  # calamine takes cells from <sheetData> only
        return 0, 0, 0
    if _ODD_CELL.search(data) or _PREFIXED_CELL.search(data):
        return _walk_cells(data)
    cells = data.count(b'<c r="')
    if not _FAR_REF.search(data):
        return 0, 0, cells
    refs = _CELL_REF.findall(data)
    rows = max((int(digits) for _, digits in refs), default=0)
    cols = max((_column(letters) for letters in {letters for letters, _ in refs}), default=0)
    return rows, cols, cells


def _walk_cells(data: bytes) -> tuple[int, int, int]:
    """(last row, last column, cells), the cells placed as calamine places them: a cell without a
    reference follows the previous one in its row, a row without a number follows the previous row.
    Cells without a value count too (calamine skips them): the bound errs on the safe side."""
    row = col = last_row = last_col = cells = tags = 0
    for m in _TAG.finditer(data):
        tags += 1
        if tags > 2 * MAX_CELLS:  # rows and cells beyond any real tally: refused as too many, unwalked
            return 0, 0, tags
        ref = _R_ATTR.search(m.group(2))
        letters, digits = ref.groups() if ref else (b"", b"")
        if m.group(1) == b"row":
            row, col = (int(digits) if digits else row + 1), 0
            continue
        cells += 1
        row = int(digits) if digits else row
        col = _column(letters) if letters else col + 1
        last_row, last_col = max(last_row, row), max(last_col, col)
    return last_row, last_col, cells


def _column(letters: bytes) -> int:
    col = 0
    for ch in letters.upper():
        col = col * 26 + ch - 64
    return col


PartFacts = tuple[bool, int, tuple[int, int, int]]  # (has a DTD, <definedName> count, measure_sheet)
# Facts of parts already checked, by their compressed bytes: the parts a county's workbooks share (the
# template's theme, styles, tables, comments) are inflated and scanned once per process. Inflating is a
# pure function of (method, declared size, compressed bytes), so a hit is the same part.
_FACTS: dict[tuple[int, int, bytes], tuple[bytes, PartFacts]] = {}
_FACTS_BUDGET = 32 * 1024 * 1024  # bytes held (compressed + inflated); the memo starts over beyond it
_FACTS_PART = 256 * 1024  # larger parts are not memoised (a unit's own tally, rarely shared)
_facts_held = 0


def _part_facts(z: zipfile.ZipFile, info: zipfile.ZipInfo) -> PartFacts:
    """What :func:`open_xlsx` checks of one part; the part is kept on the :class:`Package` for its readers."""
    global _facts_held
    plain = _plain_member(z, info)
    if plain is None:  # other methods / encryption: zipfile's own handling and errors
        part = _member(z, info)
        return _has_dtd(part), part.count(b"<definedName "), measure_sheet(part)
    raw, start = plain
    key = (info.compress_type, info.file_size, raw)
    hit = _FACTS.get(key)
    if hit is None:
        part = _inflate(z, info, raw)
        hit = part, (_has_dtd(part), part.count(b"<definedName "), measure_sheet(part))
        if info.file_size <= _FACTS_PART:
            if _facts_held > _FACTS_BUDGET:
                _FACTS.clear()
                _facts_held = 0
            _FACTS[key] = hit
            _facts_held += len(raw) + len(hit[0])
    if isinstance(z, Package):
        z.keep(info, hit[0], start)
    return hit[1]


class Package(zipfile.ZipFile):
    """A package opened by :func:`open_zip`. :func:`open_xlsx` inflates every part to check it; the
    smaller ones are kept, so the readers that follow (defined names, the error-value scan, properties)
    do not inflate them again. ``read`` gives what ``zipfile`` gives, or leaves it to ``zipfile``."""

    KEEP_PART = 4 * 1024 * 1024  # bytes; larger parts are inflated again when read
    KEEP_TOTAL = 32 * 1024 * 1024

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.parts: dict[zipfile.ZipInfo, tuple[bytes, int]] = {}  # info -> (bytes, offset of its data)
        self.kept = 0

    def keep(self, info: zipfile.ZipInfo, data: bytes, start: int) -> None:
        # only what zipfile would read the same way: the declared size, no flags it refuses or decodes, a
        # name it decodes (the local header's is compared leniently above, strictly by zipfile)
        if len(data) != info.file_size or info.flag_bits & _ZIP_REFUSED or "\ufffd" in info.orig_filename:
            return
        if len(data) > self.KEEP_PART or self.kept + len(data) > self.KEEP_TOTAL:
            return
        self.parts[info] = (data, start)
        self.kept += len(data)

    def kept_part(self, info: zipfile.ZipInfo) -> bytes | None:
        held = self.parts.get(info)
        return held[0] if held is not None else None

    def read(self, name: str | zipfile.ZipInfo, pwd: bytes | None = None) -> bytes:
        info = name if isinstance(name, zipfile.ZipInfo) else self.NameToInfo.get(name)
        held = self.parts.get(info) if info is not None and pwd is None and self.fp is not None else None
        if info is not None and held is not None:
            data, start = held
            # zipfile's own checks on reading: the CRC, and (newer Pythons) no overlapping entries
            end = getattr(info, "_end_offset", None)
            if zlib.crc32(data) == info.CRC and (end is None or start + info.compress_size <= end):
                return data
        return super().read(name, pwd)


# flag bits zipfile reads differently or refuses: encryption (0x1), compressed patch (0x20), strong
# encryption (0x40)
_ZIP_REFUSED = 0x1 | 0x20 | 0x40


def _member(z: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """A part's bytes, inflated straight from the package (``z.read`` without its per-part machinery:
    the batch scans every part of every unit). Its size is bounded by the entry checks above; a part
    that inflates to more than its declared size is refused, as zipfile would."""
    if isinstance(z, Package):
        kept = z.kept_part(info)
        if kept is not None:
            return kept
    plain = _plain_member(z, info)
    if plain is None:
        try:
            return z.read(info)  # other methods / encryption: zipfile's own handling and errors
        except (NotImplementedError, RuntimeError, zipfile.BadZipFile, zlib.error) as e:
            raise InputError.at(f"文件已损坏或已加密，无法读取（{e}）", file=str(z.filename)) from None
    return _inflate(z, info, plain[0])


def _plain_member(z: zipfile.ZipFile, info: zipfile.ZipInfo) -> tuple[bytes, int] | None:
    """(compressed bytes, offset of the data) of a stored or deflated, unencrypted part, its local header
    checked; None for any other part."""
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) or info.flag_bits & 0x1:
        return None
    fp = z.fp
    if fp is None:  # a closed ZipFile: a bug of the caller, not the clerk's file
        raise ValueError("zip file is closed")
    fp.seek(info.header_offset)
    head = fp.read(30)
    if len(head) < 30 or head[:4] != b"PK\x03\x04":
        raise InputError.at("文件已损坏，无法打开（部件头部错误）", file=str(z.filename))
    name_len, extra_len = struct.unpack("<HH", head[26:30])
    name = fp.read(name_len).decode("utf-8" if struct.unpack("<H", head[6:8])[0] & 0x800 else "cp437", "replace")
    if name != info.orig_filename:  # as zipfile (openpyxl) refuses it; calamine would read it
        raise InputError.at("文件已损坏，无法打开（部件名称前后不一致）", file=str(z.filename))
    start = info.header_offset + 30 + name_len + extra_len
    fp.seek(start)
    return fp.read(info.compress_size), start


def _inflate(z: zipfile.ZipFile, info: zipfile.ZipInfo, raw: bytes) -> bytes:
    if info.compress_type == zipfile.ZIP_STORED:
        return raw[: info.file_size]
    try:
        data = _inflate_lib.decompressobj(-15).decompress(raw, info.file_size + 1)
    except _INFLATE_ERRORS as e:
        raise InputError.at(f"文件已损坏，无法打开（{e}）", file=str(z.filename)) from None
    if len(data) > info.file_size:
        raise InputError.at("文件压缩比异常（疑似“压缩炸弹”），拒绝打开", file=str(z.filename))
    return data


def load_workbook_safely(path: Path | str, **kwargs):
    """openpyxl.load_workbook behind :func:`check_xlsx`, with parser errors turned into InputError."""
    import openpyxl  # lazy: openpyxl (~0.2 s): the batch reads with calamine and never loads it

    path = check_xlsx(path)
    keep_vba = kwargs.pop("keep_vba", path.suffix.lower() in (".xlsm", ".xlam"))
    try:
        return openpyxl.load_workbook(path, keep_vba=keep_vba, **kwargs)
    except InputError:
        raise
    except Exception as e:  # openpyxl raises many types for malformed packages
        raise InputError.at(f"无法读取工作簿（{type(e).__name__}: {e}）", file=str(path)) from None


def load_workbook_bytes(data: bytes, source: str | None = None):
    """openpyxl.load_workbook over a package's bytes that :func:`open_xlsx` has already checked."""
    import openpyxl

    try:
        return openpyxl.load_workbook(io.BytesIO(data))
    except Exception as e:  # openpyxl raises many types for malformed packages
        raise InputError.at(f"无法读取工作簿（{type(e).__name__}: {e}）", file=source) from None
