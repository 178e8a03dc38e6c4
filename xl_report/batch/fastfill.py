"""Fast fill: write a report's values straight into the sheet XML of a once-parsed template.

``load_workbook`` + write + ``save`` costs ~66 ms per workbook; patching the ``<c>`` elements of the
few sheets that hold named cells and copying every other part of the package unchanged costs a few
ms (docs/format-notes.md §5). Everything else of the official template (styles, merges,
validation, comments, print setup, defined names) survives byte-for-byte by construction.

- cells are found through the workbook's defined names (xl/workbook.xml), never by address;
- numbers -> ``<v>``; text -> ``t="inlineStr"`` (text never becomes a formula); the template's
  style ``s=`` is kept;
- 总计 cells keep the template's ``<f>SUM(...)</f>`` and get a cached ``<v>`` computed in Python, so
  readers that do not calculate (calamine, pandas) see the totals;
- frozen output adds docProps/custom.xml (fingerprint etc.), sheet and workbook protection;
- zip entries carry a fixed timestamp and unchanged parts are compressed once per process, so the
  same report always gives the same bytes.
"""

from __future__ import annotations

import functools
import io
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass
from datetime import date, datetime

from lxml import etree

from xl_report.core import form
from xl_report.core.a1 import cell_box, cell_position, column_letter
from xl_report.core.assets import WORKBOOKS, asset_file
from xl_report.core.filenames import TEMPLATE_FILE
from xl_report.core.fingerprint import canonical_json, fingerprint_of_json
from xl_report.core.normalise import excel_serial
from xl_report.core.report import ReportData
from xl_report.core.tally_schema import TALLY_SHEETS, YES_NO
from xl_report.stages.freeze_record import (
    FINAL_STATUS,
    PERSONAL_NOTE,
    PLACEHOLDER_FP,
    freeze_properties,
    sheet_password_hash,
    stamp_font_xml,
    stamp_line,
    stamp_row_height,
)
from xl_report.xlsx.bulk_rows import XML_ILLEGAL, column_styles, number_text
from xl_report.xlsx.deflate import fast_zlib
from xl_report.xlsx.fileio import FIXED_ZIP_TIME, normalise_zip
from xl_report.xlsx.names import NS, name_texts, names_from_xml, parse_ref, report_cells, sheet_parts
from xl_report.xlsx.ooxml import expect
from xl_report.xlsx.reader_view import read_view

CUSTOM_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties"
CUSTOM_CT = "application/vnd.openxmlformats-officedocument.custom-properties+xml"
CUSTOM_NS = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
VT_NS = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
FMTID = "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"  # the user-defined property set every writer uses
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
# Characters XML 1.0 cannot carry: a hostile or garbled input must not crash the writer.


def _q(tag: str) -> str:
    return f"{{{NS}}}{tag}"


def xml_escape(text: str, entities: dict[str, str] | None = None) -> str:
    """``xml.sax.saxutils.escape`` without importing it: that module loads urllib, http and email, a good
    part of the batch's start-up."""
    text = text.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;")
    for char, entity in (entities or {}).items():
        text = text.replace(char, entity)
    return text


def clean_text(value: str) -> str:
    if value.isascii() and value.isprintable():  # no control character (a frozen view's base64, most cells)
        return value
    return XML_ILLEGAL.sub("", value)


# --------------------------------------------------------------------------------------------
# Reading a package: defined names and sheet parts straight from the XML (no openpyxl model)
# --------------------------------------------------------------------------------------------


# --------------------------------------------------------------------------------------------
# Freeze data carried into the package
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FrozenInfo:
    """What a frozen output carries: meta cells, custom properties, protection, a visible stamp line."""

    fingerprint: str
    frozen_at: str  # the meta_frozen_at cell text
    properties_xml: bytes  # docProps/custom.xml
    stamp_line: str  # shown below each table, as freeze does
    password_hash: str | None = None  # legacy sheet-protection hash (hex), when a password is set


def freeze_info(
    fp: str,
    view_json: str | None,
    *,
    password: str | None = None,
    now: datetime | None = None,
    personal_removed: int = 0,
    extra: dict[str, object] | None = None,
    password_hash: str | None = None,
) -> FrozenInfo:
    """The meta cells, 定稿 line and custom properties exactly as :func:`xl_report.stages.freeze.freeze_book`
    records them, for the reader view ``view_json`` (its :func:`canonical_json`) whose fingerprint is ``fp``.
    ``extra``: further properties kept beside them (the fill record, which freeze keeps too). A draft
    (``view_json`` None) records no properties. ``password_hash``: the password's, already computed."""
    now = now or datetime.now().astimezone()
    properties = b""
    if view_json is not None:
        props = freeze_properties(view_json, fp, now.isoformat(timespec="seconds"), personal_removed=personal_removed)
        properties = custom_xml({**(extra or {}), **props})
    return FrozenInfo(
        fp,
        f"{now:%Y-%m-%d %H:%M:%S}",
        properties,
        stamp_line(fp, now),
        password_hash or (sheet_password_hash(password) if password else None),
    )


def custom_xml(props: dict[str, object]) -> bytes:
    """docProps/custom.xml for bool / int / str properties."""
    items = []
    for pid, (name, value) in enumerate(props.items(), start=2):
        if isinstance(value, bool):
            typed = f"<vt:bool>{int(value)}</vt:bool>"
        elif isinstance(value, int):
            typed = f"<vt:i4>{value}</vt:i4>"
        elif value == "":
            continue  # an empty lpwstr reads back as None: leave it out, as freeze does
        else:
            typed = f"<vt:lpwstr>{xml_escape(clean_text(str(value)))}</vt:lpwstr>"
        items.append(
            f'<property fmtid="{FMTID}" pid="{pid}" name="{xml_escape(name, {chr(34): "&quot;"})}">{typed}</property>'
        )
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Properties xmlns="{CUSTOM_NS}" '
        f'xmlns:vt="{VT_NS}">{"".join(items)}</Properties>'
    ).encode()


def _protection_attrs(password_hash: str | None) -> str:
    pw = f' password="{password_hash}"' if password_hash else ""
    return f'{pw} sheet="1" objects="1" scenarios="1"'


# sheetProtection must follow sheetData / sheetCalcPr and precede everything after them
_AFTER_SHEETDATA = re.compile(rb"</sheetData>|<sheetData\s*/>")
_OLD_PROTECTION = re.compile(rb"<sheetProtection\b[^>]*/>")
_WB_PROTECTION = re.compile(rb"<workbookProtection\b[^>]*/>")
_WB_INSERT_BEFORE = re.compile(rb"<bookViews\b|<sheets\b")


def protect_sheet_xml(data: bytes, password_hash: str | None) -> bytes:
    data = _OLD_PROTECTION.sub(b"", data)
    m = _AFTER_SHEETDATA.search(data)
    if not m:
        return data
    calc = re.compile(rb"<sheetCalcPr\b[^>]*/>").match(data, m.end())
    at = calc.end() if calc else m.end()
    return data[:at] + f"<sheetProtection{_protection_attrs(password_hash)}/>".encode() + data[at:]


def protect_workbook_xml(data: bytes, password_hash: str | None) -> bytes:
    pw = f' workbookPassword="{password_hash}"' if password_hash else ""
    tag = f'<workbookProtection{pw} lockStructure="1"/>'.encode()
    if _WB_PROTECTION.search(data):
        return _WB_PROTECTION.sub(tag, data, count=1)
    m = _WB_INSERT_BEFORE.search(data)
    return data[: m.start()] + tag + data[m.start() :] if m else data


def _with_custom_part(content_types: bytes, root_rels: bytes) -> tuple[bytes, bytes]:
    if b"/docProps/custom.xml" not in content_types:
        content_types = content_types.replace(
            b"</Types>", f'<Override PartName="/docProps/custom.xml" ContentType="{CUSTOM_CT}"/></Types>'.encode()
        )
    if CUSTOM_REL.encode() not in root_rels:
        root_rels = root_rels.replace(
            b"</Relationships>",
            f'<Relationship Type="{CUSTOM_REL}" Target="docProps/custom.xml" Id="rIdXlReportCustom"/>'
            f"</Relationships>".encode(),
        )
    return content_types, root_rels


# --------------------------------------------------------------------------------------------
# Zip writing with parts compressed once
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Entry:
    name: bytes
    crc: int
    size: int
    data: bytes  # raw deflate stream
    plain: bytes = b""  # the part itself (what a reader of the package reads back)

    @functools.cached_property
    def local(self) -> bytes:
        """Local header + name + data: the same wherever the entry goes (unchanged parts: built once)."""
        return (
            struct.pack(
                "<4sHHHHHIIIHH",
                b"PK\x03\x04",
                20,
                _FLAGS,
                8,
                _DOS_TIME,
                _DOS_DATE,
                self.crc,
                len(self.data),
                self.size,
                len(self.name),
                0,
            )
            + self.name
            + self.data
        )

    @functools.cached_property
    def central_head(self) -> bytes:
        """The central directory record up to its offset field."""
        return struct.pack(
            "<4sHHHHHHIIIHHHHHI",
            b"PK\x01\x02",
            20,
            20,
            _FLAGS,
            8,
            _DOS_TIME,
            _DOS_DATE,
            self.crc,
            len(self.data),
            self.size,
            len(self.name),
            0,
            0,
            0,
            0,
            0o600 << 16,
        )


def _deflate(data: bytes, level: int) -> _Entry:
    # per-unit parts (level 1) with ISA-L: the batch compresses ~60 KB per unit; parts compressed
    # once per process (level 9) with zlib, whose top level packs tighter
    lib = fast_zlib if level <= 3 else zlib
    c = lib.compressobj(level, zlib.DEFLATED, -15)
    return _Entry(b"", zlib.crc32(data), len(data), c.compress(data) + c.flush())


def _entry(name: str, data: bytes, level: int) -> _Entry:
    e = _deflate(data, level)
    return _Entry(name.encode("utf-8"), e.crc, e.size, e.data, data)


def _as_entry(name: str, part: bytes | _Entry, level: int) -> _Entry:
    return part if isinstance(part, _Entry) else _entry(name, part, level)


def _plain(part: bytes | _Entry) -> bytes:
    return part.plain if isinstance(part, _Entry) else part


_FLAGS = 0x800  # names are UTF-8
_DOS_TIME = (FIXED_ZIP_TIME[3] << 11) | (FIXED_ZIP_TIME[4] << 5) | (FIXED_ZIP_TIME[5] // 2)
_DOS_DATE = ((FIXED_ZIP_TIME[0] - 1980) << 9) | (FIXED_ZIP_TIME[1] << 5) | FIXED_ZIP_TIME[2]


def write_zip(entries: list[_Entry]) -> bytes:
    """A plain (non-zip64) deflate zip of pre-compressed entries, fixed timestamps."""
    local, central, offset = [], [], 0
    for e in entries:
        central.append(e.central_head + struct.pack("<I", offset) + e.name)
        local.append(e.local)
        offset += len(e.local)
    directory = b"".join(central)
    end = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(entries), len(entries), len(directory), offset, 0)
    return b"".join(local) + directory + end


# --------------------------------------------------------------------------------------------
# The filler
# --------------------------------------------------------------------------------------------

_TEMPLATE_BYTES: bytes | None = None


def template_bytes() -> bytes:
    """The official template as deterministic bytes, once per process: the shipped
    ``workbooks/年报模板.xlsx`` (the same bytes as :func:`built_template_bytes`, which the tests keep so),
    else built. Reading the file spares the batch's serial start an openpyxl build and save."""
    global _TEMPLATE_BYTES
    if _TEMPLATE_BYTES is None:
        shipped = asset_file(WORKBOOKS, TEMPLATE_FILE)
        _TEMPLATE_BYTES = shipped.read_bytes() if shipped is not None else built_template_bytes()
    return _TEMPLATE_BYTES


def built_template_bytes() -> bytes:
    """:func:`xl_report.xlsx.template.build_template`, saved with fixed timestamps."""
    # lazy: openpyxl (~50 ms) builds it only where the shipped template is missing; the workers never load it
    from xl_report.xlsx.template import build_template

    wb = build_template()
    fixed = datetime(*FIXED_ZIP_TIME)
    wb.properties.created = wb.properties.modified = fixed
    buf = io.BytesIO()
    wb.save(buf)
    return normalise_zip(buf.getvalue())


_UNSET = object()
_TEMPLATE = object()  # a slot holding the template's own content


_SLOT_MARK_TEXT = "xl-report-slot-"
_LINE_MARK_TEXT = "XL-REPORT-STAMP-LINE"
_PIECE_MARK = re.compile(rb"<!--" + _SLOT_MARK_TEXT.encode() + rb"(\d+)-->|" + _LINE_MARK_TEXT.encode())
_LINE = object()  # in a part's pieces: where the 定稿 line's text goes
_NS_DECLARATION = f' xmlns="{NS}"'.encode()
_XML_CACHE_LIMIT = 512  # serialised cells kept per slot (numbers repeat across units; text is not kept)


class _Slot:
    """One named cell's ``<c>`` element and what the template had in it."""

    __slots__ = ("el", "attrib", "children", "formula", "last", "cache")

    def __init__(self, el):
        self.el = el
        self.attrib = dict(el.attrib)
        self.children = [etree.tostring(ch) for ch in el]
        f = el.find(_q("f"))
        self.formula = f.text if f is not None else None
        self.last = _UNSET  # what the element holds now: skip rewriting an unchanged cell
        self.cache: dict[tuple, bytes] = {}

    def xml(self, value: object, keep_formula: bool = True) -> bytes:
        """The ``<c>`` element holding ``value`` (``_TEMPLATE``: the template's content), serialised
        exactly as inside its sheet."""
        key = (type(value), value, keep_formula)
        try:
            return self.cache[key]
        except KeyError:
            pass
        if value is _TEMPLATE:
            self.restore()
        else:
            self.set(value, keep_formula)
        data = etree.tostring(self.el, encoding="UTF-8", with_tail=False).replace(_NS_DECLARATION, b"", 1)
        if not isinstance(value, str):
            if len(self.cache) > _XML_CACHE_LIMIT:
                self.cache.clear()
            self.cache[key] = data
        return data

    def restore(self) -> None:
        if self.last is _TEMPLATE:
            return
        el = self.el
        el.attrib.clear()
        el.attrib.update(self.attrib)
        for ch in list(el):
            el.remove(ch)
        for ch in self.children:
            el.append(etree.fromstring(ch))
        self.last = _TEMPLATE

    def set(self, value: object, keep_formula: bool = True) -> None:
        key = (type(value), value, keep_formula)
        if self.last == key:
            return
        self.last = key
        el = self.el
        for ch in list(el):
            el.remove(ch)
        for attr in list(el.attrib):
            if attr not in ("r", "s"):
                del el.attrib[attr]
        if value is None:
            return
        if isinstance(value, (datetime, date)):
            value = excel_serial(value)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if keep_formula and self.formula is not None:
                etree.SubElement(el, _q("f")).text = self.formula
            etree.SubElement(el, _q("v")).text = number_text(value)
            return
        el.set("t", "inlineStr")
        t = etree.SubElement(etree.SubElement(el, _q("is")), _q("t"))
        t.text = str(value)
        if t.text != t.text.strip() or "\n" in t.text:
            t.set(XML_SPACE, "preserve")


def _inline_text(el) -> str | None:
    text = "".join(t.text or "" for t in el.iter(_q("t"))).strip() if el.get("t") == "inlineStr" else ""
    return text or None


def _stored_text(value: object) -> str | None:
    """Text as a reader gets it back: XML-safe, stripped, blank -> None."""
    if value is None:
        return None
    text = clean_text(str(value)).strip()
    return text or None


def _cell_view(value: object) -> object:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return repr(value)  # not representable as a number cell: kept as text, the check flags it
    if isinstance(value, (int, float, datetime, date)) or value is None:
        return value
    return _stored_text(value)


class _FillView(ReportData):
    """A report already normalised for the template by :meth:`TemplateFiller.view`: not normalised again."""


class TemplateFiller:
    """Parse the template once; ``fill(report)`` returns a filled workbook as bytes."""

    def __init__(self, template: bytes | None = None, *, compresslevel: int = 1):
        self.level = compresslevel
        raw = template if template is not None else template_bytes()
        with zipfile.ZipFile(io.BytesIO(raw)) as z:
            self.order = [i.filename for i in z.infolist()]
            self.raw = {n: z.read(n) for n in self.order}
        self.names = names_from_xml(self.raw["xl/workbook.xml"])
        self.parts = sheet_parts(self.raw["xl/workbook.xml"], self.raw["xl/_rels/workbook.xml.rels"])
        self.cells = report_cells(self.names)
        missing = [n for n in form.CELL_NAMES if n not in self.cells]
        if missing:
            raise ValueError(f"template lacks defined names: {missing[:3]}")
        filled = [s for s in (form.SHEET_README,) + form.TABLES if s in self.parts]
        used_parts = {self.parts[s] for refs in self.cells.values() for s, _ in refs} | {self.parts[s] for s in filled}
        self.trees = {p: etree.fromstring(self.raw[p]) for p in used_parts}
        self.slots: dict[str, list[_Slot]] = {}
        for name, refs in self.cells.items():
            self.slots[name] = [_Slot(self._cell(self.parts[s], a1)) for s, a1 in refs]
        for tree in self.trees.values():
            for row in tree.iter(_q("row")):
                row.attrib.pop("spans", None)  # we may add cells; a stale hint is worse than none
        self.narrative_rows = {key: len(self.slots.get(name, ())) for key, name in form.NARRATIVE_NAMES.items()}
        # the template's guidance paragraphs stay when a report brings no text of its own
        self.template_narrative = {
            key: [t for s in self.slots.get(name, ()) if (t := _inline_text(s.el))]
            for key, name in form.NARRATIVE_NAMES.items()
        }
        self.stamp_at = {s: self._stamp_position(s) for s in filled}
        # parts that never change are compressed once (at the best level: it is paid once)
        self.plain = {n: _entry(n, self.raw[n], 9) for n in self.order if n not in self.trees}
        self._frozen_cache: dict[str | None, dict[str, _Entry]] = {}
        self._col_styles: dict[str, dict[int, str]] = {}
        self._protected_parts: dict[tuple[str, str | None], bytes] = {}
        self._segment_cache: dict[int | None, dict[str, tuple[list[bytes], list]]] = {}
        self._skeleton_cache: dict[tuple[str, str | None], dict[str, bytes]] = {}
        self._tails_cache: dict[tuple[int, str | None], dict[str, bytes]] = {}

    # ---- template XML navigation
    def _cell(self, part: str, coord: str):
        root = self.trees[part]
        sd = root.find(_q("sheetData"))
        col, row = cell_position(coord)
        rel = None
        for r in sd.iterfind(_q("row")):
            rn = int(r.get("r"))
            if rn == row:
                rel = r
                break
            if rn > row:
                rel = etree.Element(_q("row"), r=str(row))
                r.addprevious(rel)
                break
        if rel is None:
            rel = etree.SubElement(sd, _q("row"), r=str(row))
        for c in rel.iterfind(_q("c")):
            ccol, _ = cell_position(c.get("r"))
            if ccol == col:
                return c
            if ccol > col:
                new = etree.Element(_q("c"), r=coord)
                c.addprevious(new)
                return new
        return etree.SubElement(rel, _q("c"), r=coord)

    def _print_area(self, sheet: str) -> tuple[int, int] | None:
        text = name_texts(self.raw["xl/workbook.xml"], list(self.parts).index(sheet)).get("_xlnm.Print_Area")
        ref = parse_ref(text.split(",")[0]) if text else None
        if ref and ":" in ref[1]:
            _, _, max_col, max_row = cell_box(ref[1])
            return max_row, max_col
        return None

    def _stamp_position(self, sheet: str) -> tuple[int, int, bool]:
        """(row of the 定稿 line, last column, has print area): two rows below the table, as freeze does."""
        area = self._print_area(sheet)
        if area:
            return area[0] + 2, area[1], True
        tree = self.trees[self.parts[sheet]]
        rows = [int(r.get("r")) for r in tree.iter(_q("row"))]
        dim = tree.find(_q("dimension"))
        last_col = cell_box(dim.get("ref"))[2] if dim is not None and ":" in dim.get("ref", "") else 1
        return max(rows, default=0) + 2, last_col, False

    # ---- values
    def view(self, report: ReportData) -> ReportData:
        """The report as a reader will find it in the filled workbook (what the fingerprint covers).

        Totals computed, texts XML-safe and stripped, every named cell present, narrative fitted to
        the template's paragraph cells (overflow joined into the last one).
        """
        raw = report.values
        values = {name: v if (v := raw.get(name)).__class__ is int else _cell_view(v) for name in form.CELL_NAMES}
        values = ReportData(values=values).with_totals().values
        narrative = {}
        for key, rows in self.narrative_rows.items():
            if not rows:
                continue
            paras = report.narrative.get(key, self.template_narrative[key])
            paras = [clean_text(str(p)) for p in paras if p is not None]
            if len(paras) > rows:
                paras = paras[: rows - 1] + ["\n".join(paras[rows - 1 :])]
            narrative[key] = [p.strip() for p in paras if p.strip()]
        year = report.year if isinstance(report.year, int) and not isinstance(report.year, bool) else None
        view = _FillView(
            unit=_stored_text(report.unit),
            year=year,
            contact=_stored_text(report.contact),
            level=_stored_text(report.level),
            published=report.published,
            values=values,
            narrative=narrative,
            source=report.source,
        )
        return view

    def fill(
        self,
        report: ReportData,
        frozen: FrozenInfo | None = None,
        tally=None,
        drop_personal: bool = False,
        properties: dict[str, object] | None = None,
    ) -> bytes:
        """The filled workbook as bytes. ``frozen`` (see :func:`freeze_info`) makes it a 定稿 file;
        ``tally`` (a :class:`xl_report.core.tally.Tally`) is copied into the tally sheets, without the
        personal columns when ``drop_personal``. ``report`` may already be a :meth:`view`.
        ``properties``: custom document properties of a draft (a frozen file carries its own)."""
        order, changed = self._parts(report, frozen, tally, drop_personal, properties)
        return self._zip(order, changed)

    def _zip(self, order: list[str], changed: dict[str, bytes | _Entry]) -> bytes:
        """The package: the changed parts compressed, the template's as compressed once."""
        return write_zip([_as_entry(n, changed[n], self.level) if n in changed else self.plain[n] for n in order])

    def _parts(
        self,
        report: ReportData,
        frozen: FrozenInfo | None,
        tally,
        drop_personal: bool,
        properties: dict[str, object] | None,
        unit_cells: dict[str, list[bytes]] | None = None,
    ) -> tuple[list[str], dict[str, bytes | _Entry]]:
        """The package's part names in order, and the parts this report changes: its own XML (not yet
        compressed: a draft is only read back) or a part shared by every frozen unit (compressed once).
        ``unit_cells``, when given, receives what each sheet holds besides its :meth:`_skeleton`: the named
        cells and the tally rows' cells, one by one."""
        view = report if isinstance(report, _FillView) else self.view(report)
        keep_formula = frozen is None  # freezing replaces every formula by its value
        cells: dict[_Slot, bytes] = {}  # each named cell's <c> element as XML; the rest is constant
        for name in form.CELL_NAMES:
            slot = self.slots[name][0]
            cells[slot] = slot.xml(view.values[name], keep_formula)
        meta = {
            "meta_unit": view.unit,
            "meta_year": view.year,
            "meta_contact": view.contact,
            "meta_level": view.level,
            "meta_published": view.published,
            "meta_fingerprint": frozen.fingerprint if frozen else None,
            "meta_frozen_at": frozen.frozen_at if frozen else None,
        }
        for name, value in meta.items():
            if name in self.slots:
                slot = self.slots[name][0]
                cells[slot] = slot.xml(value)
        for key, name in form.NARRATIVE_NAMES.items():
            slots = self.slots.get(name, [])
            if key not in report.narrative:
                for s in slots:
                    cells[s] = s.xml(_TEMPLATE)  # the template's guidance text stays
                continue
            paras = view.narrative.get(key, [])
            for i, s in enumerate(slots):
                cells[s] = s.xml(paras[i] if i < len(paras) else None)
        changed: dict[str, bytes | _Entry] = {}
        pw = frozen.password_hash if frozen else None
        line = xml_escape(frozen.stamp_line).encode("utf-8") if frozen else b""
        tails = self._protected_tails(frozen.stamp_line, pw) if frozen is not None else {}
        for part, (segments, order) in self._segments(frozen.stamp_line if frozen else None).items():
            pieces = [segments[0]]
            for slot, segment in zip(order, segments[1:]):
                pieces.append(line if slot is _LINE else cells[slot] if slot in cells else slot.xml(_TEMPLATE))
                pieces.append(segment)
            if unit_cells is not None:
                unit_cells[part] = [p for slot, p in zip(order, pieces[1::2]) if slot is not _LINE]
            if part in tails:
                pieces[-1] = tails[part]  # the protection goes after the sheet's data: in its last piece
            data = b"".join(pieces)
            if frozen is not None and part not in tails:
                data = protect_sheet_xml(data, pw)
            changed[part] = data
        if tally is not None:
            for sheet in TALLY_SHEETS:
                tally_part = self.parts.get(sheet.name)
                cols = tally.columns(sheet.key)
                if tally_part is None or cols is None or tally_part in changed:
                    continue
                data = self.raw[tally_part] if frozen is None else self._protected(tally_part, pw)
                each: list[bytes] | None = [] if unit_cells is not None else None
                rows = tally_rows_xml(sheet, cols, self._column_styles(tally_part), drop_personal, each)
                if unit_cells is not None and each is not None:
                    unit_cells[tally_part] = each  # read one by one: a category in a cell repeats across units
                extent = f"A1:{column_letter(len(sheet.headers))}{len(cols[sheet.headers[0]]) + 1}"
                data = _DIMENSION.sub(f'<dimension ref="{extent}"/>'.encode(), _append_rows(data, rows), count=1)
                changed[tally_part] = data
        order = self.order
        if frozen is not None:
            for part, entry in self._frozen_parts(pw).items():
                changed.setdefault(part, entry)  # a tally sheet keeps its rows (protected above)
            if drop_personal:
                changed.update(self._personal_note_parts)
            changed["docProps/custom.xml"] = frozen.properties_xml
            if "docProps/custom.xml" not in order:
                order = order + ["docProps/custom.xml"]
        elif properties:
            ct, rels = _with_custom_part(self.raw["[Content_Types].xml"], self.raw["_rels/.rels"])
            changed["[Content_Types].xml"] = ct
            changed["_rels/.rels"] = rels
            changed["docProps/custom.xml"] = custom_xml(properties)
            if "docProps/custom.xml" not in order:
                order = order + ["docProps/custom.xml"]
        return order, changed

    def fill_frozen(
        self,
        report: ReportData,
        tally=None,
        *,
        password: str | None = None,
        now: datetime | None = None,
        personal_removed: int = 0,
        extra: dict[str, object] | None = None,
    ) -> tuple[bytes, FrozenInfo]:
        """The 定稿 workbook as bytes and what it records (``extra``: as :func:`freeze_info`). Filled once
        with a placeholder fingerprint: the v2 fingerprint is of the file as a reader sees it
        (:mod:`xl_report.xlsx.reader_view`), which leaves the 定稿 line's time and fingerprint out, so the
        final fill keeps it."""
        now = now or datetime.now().astimezone()
        view = report if isinstance(report, _FillView) else self.view(report)
        draft = freeze_info(PLACEHOLDER_FP, None, password=password, now=now)  # read back, never written
        unit_cells: dict[str, list[bytes]] = {}
        order, changed = self._parts(view, draft, tally, True, None, unit_cells)
        # read back as the template's constant parts (their cells read once per process) plus this
        # unit's cells: what a reader of the whole parts sees (tests hold the two equal)
        skeleton = self._skeleton(draft.stamp_line, draft.password_hash)
        parts = {
            n: skeleton[n] if n in unit_cells else _plain(changed[n]) if n in changed else self.plain[n].plain
            for n in order
            if n != "docProps/custom.xml"  # the draft records no properties: the final ones come below
        }
        seen = read_view(parts, report.source, cells=unit_cells)  # our own parts, not a file
        text = canonical_json(seen.canonical)
        info = freeze_info(
            fingerprint_of_json(text),
            text,
            now=now,
            personal_removed=personal_removed,
            extra=extra,
            password_hash=draft.password_hash,
        )
        final = self._finalised(changed, draft, info)
        if final is None:  # the placeholder shows elsewhere too (a report quoting it): fill again
            return self.fill(view, info, tally=tally, drop_personal=True), info
        return self._zip(order, final), info

    def _finalised(
        self, changed: dict[str, bytes | _Entry], draft: FrozenInfo, info: FrozenInfo
    ) -> dict[str, bytes | _Entry] | None:
        """The draft's parts with the real fingerprint where the placeholder shows: the 定稿 lines, the
        定稿指纹 cell and the custom properties (the same moment, so nothing else differs) — what a second
        fill would write, without writing it. None when a part holds the placeholder anywhere else."""
        fp_slot = self.slots["meta_fingerprint"][0] if "meta_fingerprint" in self.slots else None
        line = (xml_escape(draft.stamp_line).encode("utf-8"), xml_escape(info.stamp_line).encode("utf-8"))
        cell = (fp_slot.xml(draft.fingerprint), fp_slot.xml(info.fingerprint)) if fp_slot is not None else None
        out = dict(changed)
        for part, (_segments, order) in self._segments(draft.stamp_line).items():
            data = changed[part]
            assert isinstance(data, bytes)  # a report part is this unit's own
            if data.count(line[0]) != sum(1 for s in order if s is _LINE):
                return None
            data = data.replace(line[0], line[1])
            if cell is not None and fp_slot in order:
                if data.count(cell[0]) != 1:
                    return None
                data = data.replace(cell[0], cell[1])
            out[part] = data
        out["docProps/custom.xml"] = info.properties_xml
        return out

    def _protected_tails(self, line: str, password_hash: str | None) -> dict[str, bytes]:
        """part -> its last piece (see :meth:`_segments`) with the sheet protection, for the parts where that is
        :func:`protect_sheet_xml` of the whole: the sheet's data ends in that piece and no piece before holds
        a protection (a cell's XML never does: its text is escaped). Protected once per run, not per unit."""
        key = (stamp_row_height(line), password_hash)
        if key not in self._tails_cache:
            out = {}
            for part, (segments, _order) in self._segments(line).items():
                before = b"".join(segments[:-1])
                if _AFTER_SHEETDATA.search(segments[-1]) and not (
                    _AFTER_SHEETDATA.search(before) or b"<sheetProtection" in before
                ):
                    out[part] = protect_sheet_xml(segments[-1], password_hash)
            self._tails_cache = {key: out}  # one password at a time: a run shares it
        return self._tails_cache[key]

    def _skeleton(self, line: str, password_hash: str | None) -> dict[str, bytes]:
        """The frozen sheets without this unit's cells: the filled sheets with the 定稿 line and without
        their named cells, the tally sheets without rows (the same for every unit of a run)."""
        key = (line, password_hash)
        if key not in self._skeleton_cache:
            text = xml_escape(line).encode("utf-8")
            out = {}
            for part, (segments, order) in self._segments(line).items():
                pieces = [segments[0]]
                for slot, segment in zip(order, segments[1:]):
                    if slot is _LINE:
                        pieces.append(text)
                    pieces.append(segment)
                out[part] = protect_sheet_xml(b"".join(pieces), password_hash)
            for sheet in TALLY_SHEETS:
                tally_part = self.parts.get(sheet.name)
                if tally_part is not None and tally_part not in out and tally_part in self.raw:
                    out[tally_part] = self._protected(tally_part, password_hash)
            self._skeleton_cache = {key: out}  # one moment and password at a time: a run shares them
        return self._skeleton_cache[key]

    @functools.cached_property
    def _personal_note_parts(self) -> dict[str, _Entry]:
        """The comments (and their VML shapes) a frozen copy puts on the personal columns' headers, as
        freeze's openpyxl path does: the same note, so both frozen copies show a reader the same."""
        out: dict[str, _Entry] = {}
        note = f"<text><t>{xml_escape(PERSONAL_NOTE)}</t></text>".encode()
        for sheet in TALLY_SHEETS:
            part = self.parts.get(sheet.name)
            refs = [f"{column_letter(j)}1" for j, c in enumerate(sheet.columns, start=1) if c.personal]
            rels = self.raw.get(part.replace("worksheets/", "worksheets/_rels/") + ".rels") if part else None
            comments = _rel_target(rels, b"/comments") if rels else None
            vml = _rel_target(rels, b"/vmlDrawing") if rels else None
            if not refs or comments not in self.raw or vml not in self.raw:
                continue
            cx, dx = self.raw[comments], self.raw[vml]
            for ref in refs:
                cx, added = _set_comment(cx, ref, note)
                if added:
                    dx = _add_note_shape(dx, *cell_position(ref))
            out[comments] = _entry(comments, cx, self.level)
            out[vml] = _entry(vml, dx, self.level)
        return out

    def _protected(self, part: str, password_hash: str | None) -> bytes:
        """A template part with sheet protection (the same for every unit of a run)."""
        key = (part, password_hash)
        if key not in self._protected_parts:
            self._protected_parts[key] = protect_sheet_xml(self.raw[part], password_hash)
        return self._protected_parts[key]

    def _column_styles(self, part: str) -> dict[int, str]:
        """Column -> ``' s="N"'`` of the template's <col> (dates carry their number format there)."""
        if part not in self._col_styles:
            self._col_styles[part] = column_styles(self.raw[part])
        return self._col_styles[part]

    def _segments(self, line: str | None) -> dict[str, tuple[list[bytes], list]]:
        """Each filled part serialised once, split where its named cells go: part -> (the constant
        pieces, the slots between them; ``_LINE`` where the text of the 定稿 line goes)."""
        height = None if line is None else stamp_row_height(line)  # all the parts hold of the line's length
        if height not in self._segment_cache:
            slots = list(dict.fromkeys(s for group in self.slots.values() for s in group))
            added = self._add_stamp_lines(_LINE_MARK_TEXT, height) if height is not None else []
            marks = []
            try:
                for i, slot in enumerate(slots):
                    mark = etree.Comment(f"{_SLOT_MARK_TEXT}{i}")
                    mark.tail = slot.el.tail
                    slot.el.getparent().replace(slot.el, mark)
                    marks.append((mark, slot))
                out = {}
                for part, tree in self.trees.items():
                    data = etree.tostring(tree, xml_declaration=True, encoding="UTF-8", standalone=True)
                    pieces, order, at = [], [], 0
                    for m in _PIECE_MARK.finditer(data):
                        pieces.append(data[at : m.start()])
                        order.append(slots[int(m.group(1))] if m.group(1) else _LINE)
                        at = m.end()
                    pieces.append(data[at:])
                    out[part] = (pieces, order)
            finally:
                for mark, slot in marks:
                    mark.getparent().replace(mark, slot.el)
                for el in added:
                    el.getparent().remove(el)
            self._segment_cache[height] = out
        return self._segment_cache[height]

    def _add_stamp_lines(self, line: str, height: int) -> list:
        """Add the visible 定稿 line below each table, its row ``height`` points high; returns the elements to
        remove afterwards."""
        added = []
        style = str(self._stamp_style_index)
        for sheet, (row, last_col, _) in self.stamp_at.items():
            root = self.trees[self.parts[sheet]]
            sd = root.find(_q("sheetData"))
            r = etree.SubElement(sd, _q("row"), r=str(row), ht=str(height), customHeight="1")
            c = etree.SubElement(r, _q("c"), r=f"A{row}", s=style, t="inlineStr")
            etree.SubElement(etree.SubElement(c, _q("is")), _q("t")).text = line
            added.append(r)
            if last_col > 1:
                merges = root.find(_q("mergeCells"))
                if merges is None:
                    merges = etree.Element(_q("mergeCells"))
                    sd.addnext(merges)
                    added.append(merges)
                m = etree.SubElement(merges, _q("mergeCell"), ref=f"A{row}:{column_letter(last_col)}{row}")
                if merges not in added:
                    added.append(m)
        return added

    @functools.cached_property
    def _stamp_style_index(self) -> int:
        return int(expect(rb'<cellXfs count="(\d+)"', self.raw["xl/styles.xml"]).group(1))

    def _frozen_parts(self, password_hash: str | None) -> dict[str, _Entry]:
        if password_hash not in self._frozen_cache:
            parts: dict[str, _Entry] = {}
            for part in set(self.parts.values()) - set(self.trees):
                if part in self.raw:
                    parts[part] = _entry(part, protect_sheet_xml(self.raw[part], password_hash), self.level)
            wbx = protect_workbook_xml(self.raw["xl/workbook.xml"], password_hash)
            index = list(self.parts)
            for sheet, (row, last_col, has_area) in self.stamp_at.items():
                if has_area:  # the print area grows to include the 定稿 line
                    wbx = _extend_print_area(wbx, index.index(sheet), row, last_col)
            parts["xl/workbook.xml"] = _entry("xl/workbook.xml", wbx, self.level)
            parts["xl/styles.xml"] = _entry("xl/styles.xml", _frozen_styles(self.raw["xl/styles.xml"]), self.level)
            if "docProps/core.xml" in self.raw:
                parts["docProps/core.xml"] = _entry(
                    "docProps/core.xml", _final_status(self.raw["docProps/core.xml"]), self.level
                )
            ct, rels = _with_custom_part(self.raw["[Content_Types].xml"], self.raw["_rels/.rels"])
            parts["[Content_Types].xml"] = _entry("[Content_Types].xml", ct, self.level)
            parts["_rels/.rels"] = _entry("_rels/.rels", rels, self.level)
            self._frozen_cache[password_hash] = parts
        return self._frozen_cache[password_hash]


def tally_rows_xml(
    sheet,
    columns: dict[str, list],
    col_styles: dict[int, str],  # column -> ' s="N"' (:func:`xl_report.xlsx.bulk_rows.column_styles`)
    drop_personal: bool = False,
    each_cell: list[bytes] | None = None,
) -> bytes:
    """The rows of one tally sheet (:meth:`xl_report.core.tally.Tally.columns`: header → values) as ``<row>``
    XML, from row 2. ``each_cell``, when given, also receives every ``<c>`` element on its own."""
    out = []
    skip = {c.header for c in sheet.columns if c.personal} if drop_personal else set()
    # per column, once: letter, date style attribute, values (personal columns left out)
    kept = [
        (column_letter(j), col_styles.get(j, ""), columns[h])
        for j, h in enumerate(sheet.headers, start=1)
        if h not in skip
    ]
    for i in range(len(columns[sheet.headers[0]])):
        r = i + 2
        cells = []
        for letter, date_style, values in kept:
            v = values[i]
            if v is None:
                continue
            ref = f"{letter}{r}"
            cls = v.__class__  # fast paths for what the tally reader produces; the rest as below
            if cls is str:
                text = _TEXT_XML.get(v)
                if text is None:
                    text = xml_escape(clean_text(v))
                    if len(_TEXT_XML) < _TEXT_XML_LIMIT:
                        _TEXT_XML[v] = text
                cells.append(f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>')
                continue
            if cls is int:
                cells.append(f'<c r="{ref}"><v>{v}</v></c>')
                continue
            if cls is date and v >= _FIRST_PLAIN_SERIAL:  # Excel's serial: days since 1899-12-30
                cells.append(f'<c r="{ref}"{date_style}><v>{v.toordinal() - _EXCEL_EPOCH_ORDINAL}</v></c>')
                continue
            if isinstance(v, float) and v != v:
                continue
            if isinstance(v, bool):
                v = YES_NO[0] if v else YES_NO[1]
            if isinstance(v, (datetime, date)):
                cells.append(f'<c r="{ref}"{date_style}><v>{number_text(excel_serial(v))}</v></c>')
            elif isinstance(v, (int, float)):
                cells.append(f'<c r="{ref}"><v>{number_text(v)}</v></c>')
            else:
                cells.append(
                    f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{xml_escape(clean_text(str(v)))}'
                    "</t></is></c>"
                )
        if cells:
            out.append(f'<row r="{r}">{"".join(cells)}</row>')
            if each_cell is not None:
                each_cell.extend(c.encode("utf-8") for c in cells)
    return "".join(out).encode("utf-8")


_DIMENSION = re.compile(rb'<dimension ref="[^"]*"/>')
_TEXT_XML: dict[str, str] = {}  # tally text -> its XML (categories, names and dates repeat across units)
_TEXT_XML_LIMIT = 50_000
_EXCEL_EPOCH_ORDINAL = date(1899, 12, 30).toordinal()
_FIRST_PLAIN_SERIAL = date(1900, 3, 1)  # before it Excel counts a 29 Feb 1900 that never was


def personal_count(tally) -> int:
    """How many personal values a frozen copy leaves out (freeze records the number)."""
    n = 0
    for sheet in TALLY_SHEETS:
        cols = tally.columns(sheet.key) if tally is not None else None
        if cols is not None:
            for c in sheet.columns:
                if c.personal:
                    n += sum(1 for v in cols[c.header] if v is not None and v == v)  # notna: not None / NaN / NaT
    return n


def _rel_target(rels: bytes, kind: bytes) -> str | None:
    """The part a relationship of type ``…kind`` points at (targets here are package-absolute)."""
    for m in re.finditer(rb"<Relationship\b[^>]*>", rels):
        tag = m.group(0)
        if re.search(rb'Type="[^"]*' + re.escape(kind) + rb'"', tag):
            target = re.search(rb'Target="([^"]*)"', tag)
            if target:
                name = target.group(1).decode()
                return name.lstrip("/") if name.startswith("/") else "xl/" + name.replace("../", "")
    return None


def _set_comment(comments: bytes, ref: str, text: bytes) -> tuple[bytes, bool]:
    """``comments`` with the comment on ``ref`` saying ``text`` (added when there was none)."""
    pattern = re.compile(rb'(<comment ref="' + ref.encode() + rb'"[^>]*>).*?(</comment>)', re.S)
    if pattern.search(comments):
        return pattern.sub(lambda m: m.group(1) + text + m.group(2), comments, count=1), False
    new = f'<comment ref="{ref}" authorId="0" shapeId="0">'.encode() + text + b"</comment>"
    return comments.replace(b"</commentList>", new + b"</commentList>", 1), True


def _add_note_shape(vml: bytes, col: int, row: int) -> bytes:
    """A copy of the drawing's first note shape, placed at (row, col) with an id of its own."""
    first = re.search(rb"<((?:\w+:)?)shape\s[^>]*>.*?</\1shape>", vml, re.S)
    if first is None:
        return vml
    ids = [int(i) for i in re.findall(rb'id="_x0000_s(\d+)"', vml)]
    shape = re.sub(rb'id="_x0000_s\d+"', f'id="_x0000_s{max(ids, default=1024) + 1}"'.encode(), first.group(0), count=1)
    for tag, value in ((b"Row", row - 1), (b"Column", col - 1)):
        shape = re.sub(
            rb"(<(?:\w+:)?" + tag + rb">)\d+(</)", rb"\g<1>" + str(value).encode() + rb"\g<2>", shape, count=1
        )
    return vml.replace(b"</xml>", shape + b"</xml>", 1)


def _append_rows(sheet_xml: bytes, rows: bytes) -> bytes:
    if not rows:
        return sheet_xml
    if b"<sheetData/>" in sheet_xml:
        return sheet_xml.replace(b"<sheetData/>", b"<sheetData>" + rows + b"</sheetData>", 1)
    return sheet_xml.replace(b"</sheetData>", rows + b"</sheetData>", 1)


def _extend_print_area(wbx: bytes, local_id: int, row: int, last_col: int) -> bytes:
    pattern = re.compile(
        rb'(<definedName name="_xlnm.Print_Area" localSheetId="'
        + str(local_id).encode()
        + rb'">[^<]*?!\$A\$1:\$[A-Z]+\$)\d+(</definedName>)'
    )
    return pattern.sub(lambda m: m.group(1) + str(row).encode() + m.group(2), wbx, count=1)


def _frozen_styles(styles: bytes) -> bytes:
    """Every cell locked (input cells were unlocked) + one extra cell format for the 定稿 line."""

    styles = styles.replace(b'<protection locked="0"', b'<protection locked="1"')
    fonts = int(expect(rb'<fonts count="(\d+)"', styles).group(1))
    xfs = int(expect(rb'<cellXfs count="(\d+)"', styles).group(1))
    font = stamp_font_xml()
    xf = (
        f'<xf numFmtId="0" fontId="{fonts}" fillId="0" borderId="0" applyFont="1" applyAlignment="1" xfId="0">'
        '<alignment horizontal="left" vertical="center" wrapText="1"/></xf>'
    ).encode()
    styles = re.sub(rb'<fonts count="\d+"', f'<fonts count="{fonts + 1}"'.encode(), styles, count=1)
    styles = styles.replace(b"</fonts>", font + b"</fonts>", 1)
    styles = re.sub(rb'<cellXfs count="\d+"', f'<cellXfs count="{xfs + 1}"'.encode(), styles, count=1)
    return styles.replace(b"</cellXfs>", xf + b"</cellXfs>", 1)


def _final_status(core: bytes) -> bytes:
    """contentStatus Final: what Excel's Mark as Final writes (freeze does the same)."""

    if b"contentStatus" in core:
        return core
    return core.replace(
        b"</cp:coreProperties>", f"<cp:contentStatus>{FINAL_STATUS}</cp:contentStatus></cp:coreProperties>".encode()
    )
