"""Fingerprint v2: what a reader of the frozen workbook sees, read from the package's own XML.

Not through openpyxl (which evaluates nothing and drops parts) nor through a formula evaluator: a
reader sees cached values, number formats, fonts, hidden rows. The canonical view holds, in order,
every sheet (name, state, zero-hiding flags), every non-empty cell with its value and the look that
decides what it shows (number format, font colour and size, fill), every formula (a frozen file has
none: any is a difference), hidden rows and columns, merged ranges, comments, conditional formats,
drawing texts, printed headers and footers, and the address of every defined name.

The fingerprint covers content, not the moment of freezing: the 定稿 line's time and fingerprint
prefix and the meta_fingerprint / meta_frozen_at cells are replaced by placeholders here and checked
separately against what freeze recorded (see :func:`volatile_problems`). So the same content frozen
twice, by ``freeze`` or by the batch's writer, has one fingerprint.
"""

from __future__ import annotations

import functools
import hashlib
import re
import threading
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from lxml import etree

from xl_report.core.a1 import reading_order
from xl_report.core.errors import InputError
from xl_report.core.fingerprint import canonical_json, canonical_scalar, fingerprint_of_json, short
from xl_report.xlsx.names import parse_ref
from xl_report.xlsx.number_formats import BUILTIN_FORMATS
from xl_report.xlsx.safety import _member, open_xlsx

VIEW_VERSION = 2
NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RNS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PNS = "http://schemas.openxmlformats.org/package/2006/relationships"
DRAWING_NS = "http://schemas.openxmlformats.org/drawingml/2006/main"
REL_STYLES = "/styles"
REL_STRINGS = "/sharedStrings"
REL_COMMENTS = "/comments"
REL_DRAWING = "/drawing"
# Placeholders for what changes with the moment of freezing (and the fingerprint itself).
TIME_TOKEN, FP_TOKEN = "{定稿时间}", "{定稿指纹}"
STAMP_PREFIX = "定稿："
# stamp_line's shape: "定稿：2025-01-20 10:30　指纹 0123456789ab（…"
_STAMP = re.compile(r"^定稿：(\d{4}-\d\d-\d\d \d\d:\d\d)　指纹 ([0-9a-f]{12})(?=（)")
VOLATILE_NAMES = {"meta_fingerprint": FP_TOKEN, "meta_frozen_at": TIME_TOKEN}
_HIDDEN_WIDTH = 0.5  # columns narrower than this (characters) show nothing
_HIDDEN_HEIGHT = 1.0  # rows lower than this (points) show nothing


def _q(tag: str) -> str:
    return f"{{{NS}}}{tag}"


# the tags of the per-cell loop, spelled once (it runs for every cell of every sheet)
T_ROW, T_C, T_V, T_F, T_IS, T_T, T_R = (_q(t) for t in ("row", "c", "v", "f", "is", "t", "r"))


def _parser() -> etree.XMLParser:
    """This thread's parser (an lxml parser is used by one thread at a time; making one costs more than a
    small part's parse). Hostile input: no entities, no network, no huge trees (open_xlsx already refused
    any DTD)."""
    parser = getattr(_PARSERS, "parser", None)
    if parser is None:
        parser = _PARSERS.parser = etree.XMLParser(
            resolve_entities=False, no_network=True, huge_tree=False, remove_comments=True
        )
    return parser


_PARSERS = threading.local()


@dataclass
class ReaderView:
    """The canonical view (what the fingerprint covers) and what it left out to check on its own."""

    canonical: dict
    stamps: list[tuple[str, str, str]] = field(default_factory=list)  # (sheet, A1, text) of each 定稿 line
    volatile: dict[str, tuple[str, str, object]] = field(default_factory=dict)  # name -> (sheet, A1, value)
    unprotected: list[str] = field(default_factory=list)  # sheets without sheet protection
    structure_locked: bool = False
    custom_props: dict[str, object] = field(default_factory=dict)

    @property
    def fingerprint(self) -> str:
        return fingerprint_of_json(canonical_json(self.canonical))


def fingerprint_v2(data: bytes | Mapping[str, bytes], source: str | None = None) -> str:
    """The v2 fingerprint of a workbook package (bytes of the .xlsx): freeze, verify and the batch use it."""
    return read_view(data, source).fingerprint


# --------------------------------------------------------------------------------------------
# Package navigation
# --------------------------------------------------------------------------------------------


class _Package:
    """A package's parts by name: from a file's bytes (checked: every workbook is hostile), or the
    parts a writer of ours has just built (``Mapping``: read as they are)."""

    def __init__(self, data: bytes | Mapping[str, bytes], source: str):
        self.source = source
        self.parts = data if isinstance(data, Mapping) else None
        self.zip = None if isinstance(data, Mapping) else open_xlsx(source, data=data)  # size, bomb, path, DTD
        self.infos = {i.filename: i for i in self.zip.infolist()} if self.zip is not None else {}

    def read(self, name: str) -> bytes | None:
        if self.parts is not None:
            return self.parts.get(name)
        info = self.infos.get(name)
        return _member(self.zip, info) if info is not None and self.zip is not None else None

    def xml(self, name: str):
        """The part parsed (read only: a small part's tree is shared, see :func:`_tree`)."""
        return self.parse(name, self.read(name))

    def parse(self, name: str, raw: bytes | None):
        if raw is None:
            return None
        try:
            return _tree(raw) if len(raw) <= _CACHE_TREE_BYTES else etree.fromstring(raw, parser=_parser())
        except etree.XMLSyntaxError as e:
            raise InputError.at(f"文件内部结构损坏（{name}：{e}）", file=self.source) from None

    def rels(self, part: str) -> dict[str, tuple[str, str]]:
        """Relationship id -> (type suffix, target part) of ``part``."""
        folder, _, base = part.rpartition("/")
        root = self.xml(f"{folder}/_rels/{base}.rels" if folder else f"_rels/{base}.rels")
        out: dict[str, tuple[str, str]] = {}
        if root is None:
            return out
        for r in root.iter(f"{{{PNS}}}Relationship"):
            if r.get("TargetMode") == "External":
                continue
            out[r.get("Id")] = (r.get("Type") or "", _resolve(folder, r.get("Target") or ""))
        return out

    def close(self) -> None:
        if self.zip is not None:
            self.zip.close()


_CACHE_TREE_BYTES = 32 * 1024


@functools.lru_cache(maxsize=64)
def _tree(raw: bytes):
    """Small parts (relationships, comments, the batch template's unchanged sheets) parsed once."""
    return etree.fromstring(raw, parser=_parser())


def _resolve(folder: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    parts = (folder.split("/") if folder else []) + target.split("/")
    out: list[str] = []
    for p in parts:
        if p == "..":
            if out:
                out.pop()
        elif p not in ("", "."):
            out.append(p)
    return "/".join(out)


def _by_type(rels: dict[str, tuple[str, str]], suffix: str) -> list[str]:
    return [target for kind, target in rels.values() if kind.endswith(suffix)]


# --------------------------------------------------------------------------------------------
# Styles: each cell format reduced to what changes what a reader sees
# --------------------------------------------------------------------------------------------


def _color(el) -> str | None:
    if el is None or el.get("auto") in ("1", "true") or el.get("indexed") == "64":
        return None  # automatic / system foreground: the default
    if el.get("rgb"):
        rgb = el.get("rgb")[-6:].upper()  # alpha is ignored by Excel
        return None if rgb == "000000" else rgb  # black is what automatic shows (LibreOffice writes it out)
    for kind in ("theme", "indexed"):
        if el.get(kind) is not None:
            tint = el.get("tint")
            return f"{kind}:{el.get(kind)}" + (f":{tint}" if tint and float(tint or 0) != 0 else "")
    return None


def _font(el) -> dict:
    out: dict[str, object] = {}
    if el is None:
        return out
    color = _color(el.find(_q("color")))
    if color:
        out["color"] = color
    sz = el.find(_q("sz"))
    if sz is not None and sz.get("val"):
        out["size"] = sz.get("val")
    for flag in ("strike", "vertAlign"):
        f = el.find(_q(flag))
        if f is not None and f.get("val", "1") not in ("0", "false", "baseline"):
            out[flag] = f.get("val", "1")
    return out


def _fill(el) -> str | None:
    pattern = el.find(_q("patternFill")) if el is not None else None
    if pattern is not None and pattern.get("patternType") not in (None, "none"):
        return _color(pattern.find(_q("fgColor"))) or pattern.get("patternType")
    if el is not None and el.find(_q("gradientFill")) is not None:
        return "gradient"
    return None


# A backslash before these shows the same character as none (LibreOffice writes yyyy\-mm\-dd for yyyy-mm-dd).
_NEEDLESS_ESCAPE = re.compile(r"\\([-/:() ])")


def _number_formats(root) -> dict[int, str]:
    formats = dict(BUILTIN_FORMATS)
    if root is not None:
        for nf in root.iter(_q("numFmt")):
            if nf.get("numFmtId", "").isdigit():
                formats[int(nf.get("numFmtId"))] = _NEEDLESS_ESCAPE.sub(r"\1", nf.get("formatCode") or "")
    return formats


def _look(numfmt: str, font: dict, fill: str | None) -> dict:
    """A cell format's visible part; the default look (General, default font, no fill) is {}."""
    out: dict[str, object] = {}
    if numfmt not in ("General", ""):
        out["format"] = numfmt
    out.update(font)
    if fill:
        out["fill"] = fill
    return out


def _styles(root) -> tuple[list[dict], list[dict]]:
    """(cell formats' looks by index, conditional formats' looks by dxf index)."""
    if root is None:
        return [], []
    formats = _number_formats(root)
    fonts_el, fills_el = root.find(_q("fonts")), root.find(_q("fills"))
    fonts = [_font(f) for f in fonts_el.iterfind(_q("font"))] if fonts_el is not None else []
    fills = [_fill(f) for f in fills_el.iterfind(_q("fill"))] if fills_el is not None else []
    base = fonts[0] if fonts else {}
    looks = []
    xfs = root.find(_q("cellXfs"))
    for xf in xfs.iterfind(_q("xf")) if xfs is not None else ():
        num = formats.get(_int(xf.get("numFmtId")), f"#{xf.get('numFmtId')}")
        font = fonts[i] if (i := _int(xf.get("fontId"))) < len(fonts) else {}
        font = {k: v for k, v in font.items() if base.get(k) != v}  # differences from the workbook's font
        fill = fills[j] if (j := _int(xf.get("fillId"))) < len(fills) else None
        looks.append(_look(num, font, fill))
    dxfs = []
    dxfs_el = root.find(_q("dxfs"))
    for dxf in dxfs_el.iterfind(_q("dxf")) if dxfs_el is not None else ():
        nf = dxf.find(_q("numFmt"))
        dxfs.append(
            _look(
                nf.get("formatCode", "") if nf is not None else "",
                _font(dxf.find(_q("font"))),
                _fill(dxf.find(_q("fill"))),
            )
        )
    return looks, dxfs


class _Broken(Exception):
    """A shared part that does not parse (the caller names the file: the caches are keyed on bytes alone)."""


def _cached(fn, raw: bytes | None, source: str):
    """``fn(raw)``, remembered for small parts only (a batch's units share its template's styles,
    strings and workbook part; a hostile file's huge part is not kept alive). Keyed on the bytes
    alone: every unit of a batch has its own file name."""
    try:
        if raw is not None and len(raw) > _CACHE_PART_BYTES:
            return fn.__wrapped__(raw)
        return fn(raw)
    except _Broken as e:
        raise InputError.at(f"文件内部结构损坏（{e}）", file=source) from None


_CACHE_PART_BYTES = 1024 * 1024


def _parse_shared(raw: bytes, what: str):
    try:
        return etree.fromstring(raw, parser=_parser())
    except etree.XMLSyntaxError as e:
        raise _Broken(f"{what}：{e}") from None


@functools.lru_cache(maxsize=4)
def _strings_of(raw: bytes | None) -> list[str]:
    if raw is None:
        return []
    return [_text_of(si) for si in _parse_shared(raw, "共享字符串").iterfind(_q("si"))]


@functools.lru_cache(maxsize=4)
def _styles_of(raw: bytes | None) -> tuple[list[dict], list[str], list[dict]]:
    """(looks by cell format index, their ids, conditional formats' looks)."""
    looks, dxfs = _styles(_parse_shared(raw, "样式") if raw is not None else None)
    return looks, [look_id(look) for look in looks], dxfs


def _int(text: str | None) -> int:
    return int(text) if text and text.isascii() and text.isdigit() else 0  # "²" is a digit to isdigit()


def look_id(look: dict) -> str:
    return hashlib.sha256(canonical_json(look).encode()).hexdigest()[:8]


# --------------------------------------------------------------------------------------------
# Cells
# --------------------------------------------------------------------------------------------


def _text_of(el) -> str:
    """A string item's text: its runs, without phonetic guides."""
    if el is None:
        return ""
    if len(el) == 1 and el[0].tag == T_T:  # the common shape: one plain <t>
        return el[0].text or ""
    t = el.find(T_T)
    if t is not None and el.find(T_R) is None:
        return t.text or ""
    return "".join((r.findtext(T_T) or "") for r in el.iterfind(T_R)) or (t.text or "" if t is not None else "")


def _number(text: str) -> object:
    try:
        return canonical_scalar(float(text))
    except (ValueError, OverflowError):
        return {"bad_number": text}


def _value(kind: str, v, inline, strings: list[str]) -> object:
    """What a cell holds as a reader sees it (the cached value of a formula), or None when empty.
    ``kind``: its t=; ``v`` / ``inline``: its <v> / <is> element, if any."""
    if kind == "inlineStr":
        text = _text_of(inline)
        return text if text != "" else None
    if v is None or v.text is None:
        return None
    raw = v.text
    if kind == "n":
        try:
            return canonical_scalar(float(raw))
        except (ValueError, OverflowError):
            return {"bad_number": raw}
    if kind == "s":
        i = _int(raw.strip())
        if not raw.strip().isdigit() or i >= len(strings):
            return {"bad_string": raw}  # a reference to no string: Excel would refuse the file
        return strings[i] or None
    if kind == "str":
        return raw if raw != "" else None
    if kind == "b":
        return {"bool": raw.strip() in ("1", "true")}
    if kind == "e":
        return {"error": raw}
    if kind == "d":
        return {"date": raw}
    return _number(raw)


def _stamp_token(text: str) -> tuple[str, str, str] | None:
    """(placeholder text, time, fingerprint prefix) of a 定稿 line."""
    m = _STAMP.match(text)
    if not m:
        return None
    return f"{STAMP_PREFIX}{TIME_TOKEN}　指纹 {FP_TOKEN}" + text[m.end() :], m.group(1), m.group(2)


# --------------------------------------------------------------------------------------------
# The view
# --------------------------------------------------------------------------------------------


def read_view(
    data: bytes | Mapping[str, bytes],
    source: str | None = None,
    cells: Mapping[str, Sequence[bytes]] | None = None,
) -> ReaderView:
    """Canonicalise a workbook package (its bytes, or the parts a writer of ours built) as displayed.
    Raises InputError for a package that cannot be read.

    ``cells`` (only with parts of ours): part -> ``<c>`` elements that belong in that sheet's data besides
    what the part holds, read one by one through a per-process memo (a batch writes the same number or
    category into the same cell over and over). The batch hands each sheet as the template's constant
    part (whose cells are read once per process) plus this unit's cells, so a reader sees exactly what it
    would in the whole part, without reading the template's labels again for every unit. The parts must
    keep their cells in row-major order, as ours do: a tie between looks goes to the one met first."""
    if cells and not isinstance(data, Mapping):
        raise ValueError("cells go with the parts of a writer of ours, not with a file")
    pkg = _Package(data, source or "工作簿")
    try:
        return _read(pkg, cells or {})
    finally:
        pkg.close()


def _read(pkg: _Package, extra: Mapping[str, Sequence[bytes]]) -> ReaderView:
    wb = pkg.xml("xl/workbook.xml")
    if wb is None:
        raise InputError.at("不是有效的 Excel 工作簿（缺少 xl/workbook.xml）", file=pkg.source)
    rels = pkg.rels("xl/workbook.xml")
    strings = _cached(_strings_of, next((pkg.read(p) for p in _by_type(rels, REL_STRINGS)), None), pkg.source)
    looks, look_ids, dxfs = _cached(
        _styles_of, next((pkg.read(p) for p in _by_type(rels, REL_STYLES)), None), pkg.source
    )
    sheets_el = wb.find(_q("sheets"))
    sheet_list = list(sheets_el.iterfind(_q("sheet"))) if sheets_el is not None else []
    titles = [s.get("name") or "" for s in sheet_list]
    names, named_at = _cached(_names_of, pkg.read("xl/workbook.xml"), pkg.source)
    volatile_at = {named_at[n]: n for n in VOLATILE_NAMES if n in named_at}
    view = ReaderView(canonical={})
    lock = wb.find(_q("workbookProtection"))
    view.structure_locked = lock is not None and lock.get("lockStructure") in ("1", "true")
    canonical: dict = {"v": VIEW_VERSION, "sheets": [], "names": [list(n) for n in names], "looks": {}}
    for s, title in zip(sheet_list, titles):
        target = rels.get(s.get(f"{{{RNS}}}id") or "", ("", ""))[1]
        raw = pkg.read(target) if target else None
        entry: dict = {"name": title, "state": s.get("state") or "visible"}
        if raw is None:
            entry["missing"] = True
        else:
            styles = (looks, look_ids)
            _sheet(pkg, target, raw, title, entry, strings, styles, dxfs, canonical["looks"], volatile_at, view, extra)
        canonical["sheets"].append(entry)
    view.canonical = canonical
    view.custom_props = _custom_props(pkg)
    return view


@functools.lru_cache(maxsize=4)
def _names_of(raw: bytes) -> tuple[list[list[str]], dict[str, tuple[str, str]]]:
    """:func:`_defined_names` of a workbook part (a batch's units share one)."""
    wb = _parse_shared(raw, "xl/workbook.xml")
    sheets_el = wb.find(_q("sheets"))
    titles = [s.get("name") or "" for s in sheets_el.iterfind(_q("sheet"))] if sheets_el is not None else []
    return _defined_names(wb, titles)


def _defined_names(wb, titles: list[str]) -> tuple[list[list[str]], dict[str, tuple[str, str]]]:
    """Every defined name as [name, scope, address] (sorted, duplicates kept); workbook-scoped single
    cells also as name -> (sheet, A1)."""
    out: list[list[str]] = []
    at: dict[str, tuple[str, str]] = {}
    for dn in wb.iter(_q("definedName")):
        local = dn.get("localSheetId")
        scope = titles[int(local)] if local and local.isdigit() and int(local) < len(titles) else (local or "")
        text = (dn.text or "").strip()
        ref = parse_ref(text)
        address = f"{ref[0]}!{ref[1]}" if ref else _plain_address(text)
        out.append([dn.get("name") or "", scope, address] + (["hidden"] if dn.get("hidden") in ("1", "true") else []))
        if ref and not local:
            at.setdefault(dn.get("name") or "", (ref[0], ref[1].split(":")[0]))
    return sorted(out), at


_AREA = re.compile(r"^(?:'((?:[^']|'')+)'|([^'!]+))!(\$?[A-Za-z]{0,3}\$?[0-9]*(?::\$?[A-Za-z]{0,3}\$?[0-9]*)?)$")


def _plain_address(text: str) -> str:
    """Areas (print titles '表'!$1:$1, several areas) as 表!1:1: quoting and $ do not change what is named."""
    parts = []
    for area in text.split(","):
        m = _AREA.match(area.strip())
        if not m:
            return text
        sheet = (m.group(1) or "").replace("''", "'") or m.group(2)
        parts.append(f"{sheet}!{m.group(3).replace('$', '')}")
    return ",".join(parts)


@dataclass
class _Cells:
    """What a reader sees in the cells of (some rows of) a sheet."""

    values: dict[str, object] = field(default_factory=dict)  # address -> value
    looks: dict[str, str] = field(default_factory=dict)  # address -> look id
    formulas: dict[str, str] = field(default_factory=dict)
    hidden_rows: list[int] = field(default_factory=list)
    look_defs: dict[str, dict] = field(default_factory=dict)  # look id -> look, for the view's table
    volatile: dict[str, tuple[str, str, object]] = field(default_factory=dict)
    stamps: list[tuple[str, str, str]] = field(default_factory=list)

    def plus(self, more: _Cells) -> _Cells:
        """These cells and then ``more`` (later rows win an address, as in one sheet)."""
        return _Cells(
            {**self.values, **more.values},
            {**self.looks, **more.looks},
            {**self.formulas, **more.formulas},
            self.hidden_rows + more.hidden_rows,
            {**self.look_defs, **more.look_defs},
            {**self.volatile, **more.volatile},
            self.stamps + more.stamps,
        )


def _sheet(
    pkg: _Package,
    part: str,
    raw: bytes,
    title: str,
    entry: dict,
    strings: list[str],
    styles: tuple[list[dict], list[str]],
    dxfs: list[dict],
    look_table: dict,
    volatile_at: dict,
    view: ReaderView,
    extra: Mapping[str, Sequence[bytes]],
) -> None:
    root = pkg.parse(part, raw)
    protected, frame = _frame(pkg, part, raw, root, dxfs)
    if not protected:
        view.unprotected.append(title)
    entry.update(frame)
    volatile_here = {coord: name for (sheet, coord), name in volatile_at.items() if sheet == title}
    found = _sheet_cells(raw, root, title, strings, styles, volatile_here)
    added = part in extra
    if added:
        found = found.plus(_cell_list(extra[part], part, pkg.source, title, strings, styles, volatile_here))
    look_table.update(found.look_defs)
    view.volatile.update(found.volatile)
    view.stamps.extend(found.stamps)
    cell_looks = found.looks
    # the sheet's most common look is written once; cells store only a different one
    default = _default_look(cell_looks, in_order=not added)
    look_table.setdefault(default, {})
    entry["look"] = default
    entry["cells"] = {k: (v if cell_looks[k] == default else [v, cell_looks[k]]) for k, v in found.values.items()}
    if found.formulas:
        entry["formulas"] = found.formulas
    if found.hidden_rows:
        entry["hidden_rows"] = found.hidden_rows


class _Memo:
    """A bounded per-process memo whose keys hold ids of shared objects (the template's strings and styles):
    an entry keeps those objects, and only counts as a hit while they are the very same ones (an id is
    reused once its object is gone). It starts over when full."""

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self.entries: dict[tuple, tuple[object, tuple]] = {}

    def get(self, key: tuple, pinned: tuple):
        hit = self.entries.get(key)
        if hit is None or any(a is not b for a, b in zip(hit[1], pinned)):
            return None
        return hit[0]

    def put(self, key: tuple, pinned: tuple, value) -> None:
        if len(self.entries) >= self.size:
            self.entries.clear()
        self.entries[key] = (value, pinned)


_FRAMES = _Memo()


def _frame(pkg: _Package, part: str, raw: bytes, root, dxfs: list[dict]) -> tuple[bool, dict]:
    """(sheet protection on, what the sheet shows besides its cells: zero display, hidden columns,
    printed headers and footers, merged ranges, conditional formats, comments, drawings). Remembered
    for the parts a writer of ours hands in (the batch's template sheets: the same for every unit);
    the fields are shared, read only."""
    sheet_rels = pkg.rels(part)
    key = None
    if pkg.parts is not None and len(raw) <= _CACHE_TREE_BYTES:
        linked = _by_type(sheet_rels, REL_COMMENTS) + _by_type(sheet_rels, REL_DRAWING)
        key = (raw, id(dxfs), tuple((p, pkg.read(p)) for p in linked))
        hit = _FRAMES.get(key, (dxfs,))
        if hit is not None:
            return hit
    lock = root.find(_q("sheetProtection"))
    protected = lock is not None and lock.get("sheet") in ("1", "true")
    fields: dict[str, object] = {}
    if any(sv.get("showZeros") in ("0", "false") for sv in root.iter(_q("sheetView"))):
        fields["zeros_hidden"] = True
    fmt = root.find(_q("sheetFormatPr"))
    if fmt is not None and fmt.get("zeroHeight") in ("1", "true"):
        fields["rows_hidden_by_default"] = True
    found = {
        "hidden_columns": _hidden_columns(root),
        "header_footer": _header_footer(root),  # printed on every page
        "merged": sorted(m.get("ref") or "" for m in root.iter(_q("mergeCell"))),
        "conditional": _conditional(root, dxfs),
        "comments": _comments(pkg, sheet_rels),
        "drawings": _drawings(pkg, sheet_rels),
    }
    fields.update((k, v) for k, v in found.items() if v)
    if key is not None:
        _FRAMES.put(key, (dxfs,), (protected, fields))
    return protected, fields


_SHEET_CELLS = _Memo()


def _sheet_cells(raw: bytes, root, title: str, strings: list[str], styles: tuple, volatile_here: dict) -> _Cells:
    """:func:`_read_rows` of a sheet part, remembered for small parts: the template's constant parts,
    read once per process however many units a batch fills into it."""
    if len(raw) > _CACHE_TREE_BYTES:
        return _read_rows(root.find(_q("sheetData")), title, strings, styles, volatile_here)
    key = (raw, title, id(strings), id(styles[0]), tuple(sorted(volatile_here.items())))
    hit = _SHEET_CELLS.get(key, (strings, styles[0]))
    if hit is not None:
        return hit
    found = _read_rows(root.find(_q("sheetData")), title, strings, styles, volatile_here)
    _SHEET_CELLS.put(key, (strings, styles[0]), found)
    return found


def _default_look(cell_looks: dict[str, str], in_order: bool) -> str:
    """The look most cells have; a tie goes to the look met first in the sheet. ``in_order``: the
    cells were met in the sheet's order (else they are ordered by address, row-major)."""
    counts = Counter(cell_looks.values())
    if not counts:
        return look_id({})
    if in_order:
        return counts.most_common(1)[0][0]
    best = max(counts.values())
    tied = {lid for lid, n in counts.items() if n == best}
    if len(tied) == 1:
        return tied.pop()
    return min((reading_order(coord), lid) for coord, lid in cell_looks.items() if lid in tied)[1]


def _fragment(rows: bytes, part: str, source: str):
    """``<row>`` elements of ours as a ``<sheetData>`` to read."""
    try:
        return etree.fromstring(b'<sheetData xmlns="' + NS.encode() + b'">' + rows + b"</sheetData>", parser=_parser())
    except etree.XMLSyntaxError as e:
        raise InputError.at(f"文件内部结构损坏（{part}：{e}）", file=source) from None


# cell XML -> (address, value, look id, look), for the shared strings and styles named in _CELL_MEMO_OF;
# a long text is not kept (a unit's own narrative, never repeated)
_CELL_MEMO: dict[bytes, tuple[str, object, str | None, dict | None]] = {}
_CELL_MEMO_OF: list = [None, None]
_CELL_MEMO_SIZE = 32768
_CELL_MEMO_TEXT = 64  # characters of the longest text kept


def _cell_list(
    items: Sequence[bytes], part: str, source: str, title: str, strings: list[str], styles: tuple, volatile_here: dict
) -> _Cells:
    """:func:`_read_rows` of ``<c>`` elements given one by one; each cell's XML is read once per process."""
    if _CELL_MEMO_OF[0] is not strings or _CELL_MEMO_OF[1] is not styles[0] or len(_CELL_MEMO) > _CELL_MEMO_SIZE:
        _CELL_MEMO.clear()
        _CELL_MEMO_OF[:] = [strings, styles[0]]
    out = _Cells()
    misses = []
    for item in items:
        hit = _CELL_MEMO.get(item)
        if hit is None or hit[0] in volatile_here:
            misses.append(item)
        else:
            coord, value, lid, look = hit
            if lid is not None and look is not None:  # else an empty cell: nothing shows
                out.values[coord] = value
                out.looks[coord] = lid
                out.look_defs[lid] = look
    if not misses:
        return out
    sd = _fragment(b"<row>" + b"".join(misses) + b"</row>", part, source)
    read = _read_rows(sd, title, strings, styles, volatile_here)
    row = sd[0]
    if len(row) != len(misses):
        raise ValueError("each cell item must be one <c> element")
    for c, item in zip(row, misses):
        coord = c.get("r") or ""
        value = read.values.get(coord)
        if (
            coord in volatile_here
            or coord in read.formulas
            or (isinstance(value, str) and len(value) > _CELL_MEMO_TEXT)
        ):
            continue
        if any(stamp[1] == coord for stamp in read.stamps):  # a 定稿 line is noted in the view as it is read
            continue
        lid = read.looks.get(coord)
        _CELL_MEMO[item] = (coord, value, lid, read.look_defs.get(lid) if lid is not None else None)
    return out.plus(read)


def _read_rows(sd, title: str, strings: list[str], styles: tuple, volatile_here: dict) -> _Cells:
    """Every non-empty cell of the ``<row>`` elements under ``sd`` (a ``<sheetData>``), as a reader sees it."""
    looks, look_ids = styles
    out = _Cells()
    cells, cell_looks, formulas, hidden_rows = out.values, out.looks, out.formulas, out.hidden_rows
    look_of: dict[str | None, str] = {}  # a cell's s= -> its look id: each style resolved once
    n_strings = len(strings)
    for row in sd.iterfind(T_ROW) if sd is not None else ():
        hidden, height = row.get("hidden"), row.get("ht")
        if hidden in ("1", "true") or (height and _float(height) < _HIDDEN_HEIGHT):
            hidden_rows.append(_int(row.get("r")))
        for c in row.iterfind(T_C):
            if not len(c):  # no value, no formula: shows nothing (most of a template's styled cells)
                continue
            coord = c.get("r") or ""
            v = f = inline = None
            if len(c) == 1:  # the common shape, one child: found in C without a proxy per child
                v = c.find(T_V)
                if v is None:
                    f, inline = c.find(T_F), c.find(T_IS)
            else:
                for child in c:  # the last of each kind counts, as it always did
                    tag = child.tag
                    if tag == T_V:
                        v = child
                    elif tag == T_F:
                        f = child
                    elif tag == T_IS:
                        inline = child
            if f is not None:
                formulas[coord] = "=" + (f.text or f"（{f.get('t') or ''}公式）")
            kind = c.get("t", "n")
            raw = v.text if v is not None else None
            # the common cases, a count and a shared string: what _value gives, without its detours
            if kind == "n" and raw is not None and len(raw) < 16 and raw.isascii() and raw.isdigit():
                value: object = int(raw)  # canonical_scalar(float(raw)) of a whole number below 2**53
            elif kind == "s" and raw is not None and raw.isascii() and raw.isdigit() and int(raw) < n_strings:
                value = strings[int(raw)] or None
            else:
                value = _value(kind, v, inline, strings)
            if value is None:
                continue
            if coord in volatile_here:
                name = volatile_here[coord]
                out.volatile[name] = (title, coord, value)
                value = VOLATILE_NAMES[name]
            elif isinstance(value, str) and value.startswith(STAMP_PREFIX):
                token = _stamp_token(value)
                if token is not None:
                    out.stamps.append((title, coord, value))
                    value = token[0]
            cells[coord] = value
            s = c.get("s")
            lid = look_of.get(s)
            if lid is None:
                lid = look_of[s] = _look_id_of(s, looks, look_ids, out.look_defs)
            cell_looks[coord] = lid
    return out


def _look_id_of(s: str | None, looks: list[dict], look_ids: list[str], look_table: dict) -> str:
    """The look id of a cell format index (the s= attribute), noted in the view's table of looks."""
    i = int(s) if s and s.isascii() and s.isdigit() else 0
    if i < len(looks):
        look_table[look_ids[i]] = looks[i]
        return look_ids[i]
    look = {"format": f"#style{i}"}  # a format the styles do not have: Excel would repair the file
    lid = look_id(look)
    look_table[lid] = look
    return lid


def _header_footer(root) -> dict[str, str]:
    """What is printed at the top and bottom of the pages (even / first-page variants only when in use)."""
    out: dict[str, str] = {}
    for hf in root.iter(_q("headerFooter")):
        kinds = ["odd"]
        if hf.get("differentOddEven") in ("1", "true"):
            kinds.append("even")
        if hf.get("differentFirst") in ("1", "true"):
            kinds.append("first")
        for kind in kinds:
            for where in ("Header", "Footer"):
                el = hf.find(_q(kind + where))
                if el is not None and el.text:
                    out[kind + where] = el.text
    return out


def _float(text: str | None) -> float:
    try:
        return float(text or "")
    except ValueError:
        return 0.0


def _hidden_columns(root) -> list[list[int]]:
    """Hidden columns as merged [first, last] ranges (a <col> may span all 16,384 columns)."""
    spans = []
    for col in root.iter(_q("col")):
        hidden = col.get("hidden") in ("1", "true") or (
            col.get("width") is not None and _float(col.get("width")) < _HIDDEN_WIDTH
        )
        if hidden:
            lo, hi = _int(col.get("min")), _int(col.get("max"))
            spans.append((min(lo, hi), max(lo, hi)))
    merged: list[list[int]] = []
    for lo, hi in sorted(spans):
        if merged and lo <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    return merged


def _conditional(root, dxfs: list[dict]) -> list:
    out = []
    for cf in root.iter(_q("conditionalFormatting")):
        for rule in cf.iterfind(_q("cfRule")):
            dxf = _int(rule.get("dxfId"))
            out.append(
                [
                    cf.get("sqref") or "",
                    rule.get("type") or "",
                    rule.get("operator") or "",
                    [f.text or "" for f in rule.iterfind(_q("formula"))],
                    dxfs[dxf] if rule.get("dxfId") is not None and dxf < len(dxfs) else {},
                ]
            )
    return sorted(out, key=canonical_json)


def _comments(pkg: _Package, rels: dict[str, tuple[str, str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in _by_type(rels, REL_COMMENTS):
        root = pkg.xml(part)
        for c in root.iter(_q("comment")) if root is not None else ():
            t = c.find(_q("text"))
            out[c.get("ref") or ""] = _text_of(t)
    return out


def _drawings(pkg: _Package, rels: dict[str, tuple[str, str]]) -> list[str]:
    """Text boxes and shapes drawn over the cells (their texts), and a mark per picture."""
    out: list[str] = []
    for part in _by_type(rels, REL_DRAWING):
        root = pkg.xml(part)
        if root is None:
            continue
        for el in root.iter():
            if not isinstance(el.tag, str):
                continue
            local = etree.QName(el).localname
            if local == "txBody":
                out.append("".join(t.text or "" for t in el.iter(f"{{{DRAWING_NS}}}t")))
            elif local == "pic":
                out.append("（图片）")
    return sorted(out)


def _custom_props(pkg: _Package) -> dict[str, object]:
    """docProps/custom.xml as name -> bool / int / str (the properties freeze records)."""
    root = pkg.xml("docProps/custom.xml")
    out: dict[str, object] = {}
    for p in root if root is not None else ():
        if not isinstance(p.tag, str) or not len(p):
            continue
        typed = p[0]
        kind, text = etree.QName(typed).localname, typed.text or ""
        if kind == "bool":
            out[p.get("name") or ""] = text.strip() in ("1", "true")
        elif (
            kind in ("i1", "i2", "i4", "i8", "int", "ui1", "ui2", "ui4", "ui8", "uint")
            and text.strip().lstrip("-").isdigit()
        ):
            out[p.get("name") or ""] = int(text)
        elif kind in ("r4", "r8", "decimal"):  # LibreOffice writes every number as r8
            number = _float(text)
            out[p.get("name") or ""] = int(number) if number.is_integer() and abs(number) < 2**53 else number
        elif kind in ("lpwstr", "lpstr"):
            out[p.get("name") or ""] = text
    return out


# --------------------------------------------------------------------------------------------
# The parts checked apart from the fingerprint
# --------------------------------------------------------------------------------------------


def expected_stamp(fp: str, frozen_at: datetime) -> tuple[str, str]:
    """(time, fingerprint prefix) a 定稿 line must show."""
    return f"{frozen_at:%Y-%m-%d %H:%M}", short(fp)


def volatile_problems(view: ReaderView, fp: str, frozen_at: str | None) -> list[str]:
    """Every 定稿 line and the 定稿指纹 / 定稿时间 cells must say exactly what freeze wrote."""
    problems = []
    try:
        when = datetime.fromisoformat(frozen_at or "")
    except ValueError:
        return ["定稿记录中的定稿时间缺失或无效"]
    time_text, fp_text = expected_stamp(fp, when)
    for sheet, coord, text in view.stamps:
        token = _stamp_token(text)
        if token is not None and (token[1], token[2]) != (time_text, fp_text):
            problems.append(
                f"{sheet} {coord} 的定稿行显示“{token[1]}　指纹 {token[2]}”，定稿记录为“{time_text}　指纹 {fp_text}”"
            )
    wanted = {"meta_fingerprint": fp, "meta_frozen_at": f"{when:%Y-%m-%d %H:%M:%S}"}
    for name, value in wanted.items():
        if name in view.volatile and view.volatile[name][2] != value:
            sheet, coord, shown = view.volatile[name]
            problems.append(f"{sheet} {coord} 显示“{shown}”，定稿记录为“{value}”")
    return problems
