"""Sheet grids as calamine reads them, remembered per process by the bytes they are read from.

Units written from one template share their form sheets (表二, 表三 …, often an empty tally sheet) byte
for byte, and a batch worker reads hundreds of them: such a sheet is parsed once. A grid is a function
of its sheet part and of the package's other parts that are not sheets (workbook, relationships,
styles, shared strings); the key holds exactly those bytes. It is used only where calamine certainly
reads each sheet from the part :func:`xl_report.xlsx.names.sheet_parts` names (plain relationship
targets, no escapes, no duplicates), and only on a package :func:`xl_report.xlsx.safety.open_xlsx` has
checked and kept in memory. A grid handed out is shared: callers copy before changing it.
"""

from __future__ import annotations

import functools
import re
import threading
import zipfile

from lxml import etree

from xl_report.core.errors import InputError
from xl_report.xlsx.names import sheet_parts
from xl_report.xlsx.safety import Package

_GRIDS: dict[tuple, list] = {}
_LOCK = threading.Lock()
_GRIDS_KEPT = 32  # grids, the least recently used dropped first (a unit brings ~8, a template ~5 shared)
_GRID_PART = 256 * 1024  # bytes of a sheet part whose grid is remembered (a long tally is a unit's own)
_OTHER_PARTS = 512 * 1024  # bytes of other parts a key may hold (a large shared-strings part: never shared)


class SheetGrids:
    """The grids of one workbook: ``book`` (a calamine workbook) read sheet by sheet, each once."""

    def __init__(self, book, path: str, package: zipfile.ZipFile | None = None):
        self.book, self.path = book, path
        self.grids: dict[str, list] = {}
        self.sources = _sources(package) if isinstance(package, Package) else None

    def get(self, sheet: str, limit: int | None = None) -> list:
        """Rows as calamine returns them (``limit``: at most that many); the first read of a sheet decides
        its grid for this workbook."""
        if sheet not in self.grids:
            key: tuple | None = None
            if self.sources is not None and sheet in self.sources[0]:
                part = self.sources[0][sheet]
                key = (sheet, limit, part, self.sources[1]) if len(part) <= _GRID_PART else None
            if key is not None:
                with _LOCK:
                    grid = _GRIDS.pop(key, None)
            else:
                grid = None
            if grid is None:
                try:
                    grid = self.book.get_sheet_by_name(sheet).to_python(skip_empty_area=False, nrows=limit)
                except Exception as e:  # noqa: BLE001 - calamine raises its own types for malformed parts
                    raise InputError.at(f"无法读取工作表（{e}）", file=self.path, sheet=sheet) from None
            if key is not None:
                with _LOCK:  # the web server reads workbooks in threads
                    while len(_GRIDS) >= _GRIDS_KEPT:
                        del _GRIDS[next(iter(_GRIDS))]  # the least recently used
                    _GRIDS[key] = grid  # the most recently used last: a shared sheet outlives a unit's own
            self.grids[sheet] = grid
        return self.grids[sheet]


def _sources(z: Package) -> tuple[dict[str, bytes], tuple] | None:
    """(sheet -> its part's bytes, the names and bytes of every other part), None when some part is not
    held in memory or calamine's reading of the sheet parts is not certain to be ours."""
    held: dict[str, bytes] = {}
    names = []
    for info in z.infolist():
        names.append(info.filename)
        if info.is_dir():
            continue
        data = z.kept_part(info)
        if data is None or info.filename in held:
            return None  # a part not kept (large), or a duplicate name
        held[info.filename] = data
    workbook, rels = held.get("xl/workbook.xml"), held.get("xl/_rels/workbook.xml.rels")
    if workbook is None or rels is None:
        return None
    parts = _plain_sheet_parts(workbook, rels)
    if parts is None or not all(p in held for p in parts.values()):
        return None
    sheets = set(parts.values())
    others = tuple((n, d) for n, d in held.items() if n not in sheets)
    if sum(len(d) for _, d in others) > _OTHER_PARTS:
        return None
    return {s: held[p] for s, p in parts.items()}, (tuple(names), others)


# calamine takes attribute values as written (no unescaping) and relationship targets by prefix; these
# spellings leave no room for a second reading: double quotes, no entity, a plain worksheet target
_ELEMENT = {name: re.compile(rb"<([\w.-]+:)?" + name + rb"(?=[\s/>])([^>]*)>") for name in (b"sheet", b"Relationship")}
_ATTR = re.compile(rb'\s+([\w:.-]+)="([^"&<]*)"')
_PLAIN_TARGET = re.compile(r"(?:/xl/)?worksheets/[A-Za-z0-9_-]+\.xml")


def _raw_elements(data: bytes, name: bytes) -> list[dict[bytes, bytes]] | None:
    out = []
    for m in _ELEMENT[name].finditer(data):
        attrs = _ATTR.findall(m.group(2))
        if m.group(1) or _ATTR.sub(b"", m.group(2)).strip() not in (b"", b"/") or len(dict(attrs)) != len(attrs):
            return None
        out.append(dict(attrs))
    return out


@functools.lru_cache(maxsize=64)
def _plain_sheet_parts(workbook_xml: bytes, workbook_rels: bytes) -> dict[str, str] | None:
    """:func:`sheet_parts` when calamine (per its source: raw ``r:id`` and ``Target`` values, a target
    prefixed with ``xl/`` unless it starts with ``/xl/``) reads the same; None otherwise."""
    sheets, rels = _raw_elements(workbook_xml, b"sheet"), _raw_elements(workbook_rels, b"Relationship")
    if sheets is None or rels is None:
        return None
    try:
        parts = sheet_parts(workbook_xml, workbook_rels)
        target = {r[b"Id"].decode(): r[b"Target"].decode() for r in rels if b"Id" in r and b"Target" in r}
        raw = {}
        for s in sheets:
            if b"relationships:id" in s or b"name" not in s or b"r:id" not in s:
                return None
            t = target.get(s[b"r:id"].decode(), "")
            raw[s[b"name"].decode()] = "xl/" + t.removeprefix("/xl/")
            if not _PLAIN_TARGET.fullmatch(t):
                return None
    except (etree.XMLSyntaxError, ValueError, KeyError, UnicodeDecodeError):
        return None
    if len(rels) != len(target) or len(raw) != len(sheets) or len(set(raw.values())) != len(raw) or raw != parts:
        return None
    return parts
