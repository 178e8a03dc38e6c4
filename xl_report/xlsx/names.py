"""A workbook's defined names and sheet parts: the one reader, for an openpyxl book and for the package XML.

Every reader of named cells goes through here: the openpyxl path (fill, check, freeze, verify), the
XML path (the batch's fast stamper and unit reader) and the meta reads (mail). A reference is parsed
by :func:`parse_ref` only, so both paths agree on which names exist and where they point.
"""

from __future__ import annotations

import functools
import re
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

from lxml import etree

from xl_report.core import form
from xl_report.core.a1 import cell_box, column_letter
from xl_report.xlsx.safety import MAX_NAME_CELLS

if TYPE_CHECKING:
    from openpyxl.workbook.workbook import Workbook

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RNS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PNS = "http://schemas.openxmlformats.org/package/2006/relationships"
_REF = re.compile(r"^(?:'((?:[^']|'')+)'|([^!]+))!\$?([A-Z]+)\$?(\d+)(?::\$?([A-Z]+)\$?(\d+))?$")

Names = dict[str, tuple[str, str]]  # name -> (sheet title, 'A1' or 'B3:B22')


def parse_ref(text: str) -> tuple[str, str] | None:
    """ "'表三'!$D$5" -> ("表三", "D5"); a range gives "B3:B22"; anything else None (also a range
    over more than MAX_NAME_CELLS cells: no report name covers one, and every reader would walk it)."""
    m = _REF.match(text.strip())
    if not m:
        return None
    sheet = (m.group(1) or "").replace("''", "'") or m.group(2)
    coord = f"{m.group(3)}{m.group(4)}"
    if m.group(5):
        coord += f":{m.group(5)}{m.group(6)}"
        min_col, min_row, max_col, max_row = cell_box(coord)
        if (abs(max_col - min_col) + 1) * (abs(max_row - min_row) + 1) > MAX_NAME_CELLS:
            return None
    return sheet, coord


def resolve_names(wb: Workbook) -> Names:
    """Workbook-scoped defined names of an openpyxl book."""
    out: Names = {}
    for name, dn in wb.defined_names.items():
        ref = parse_ref(dn.attr_text or "")
        if ref:
            out[name] = ref
    return out


def _parser() -> etree.XMLParser:
    # hostile input: no entities, no network, no huge trees
    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


def xml_root(data: bytes):
    """A package part parsed safely (lxml, entities off)."""
    return etree.fromstring(data, parser=_parser())


def name_texts(workbook_xml: bytes, sheet_index: int | None = None) -> dict[str, str]:
    """The defined names of xl/workbook.xml as written (name -> formula text): workbook-scoped ones, or
    with ``sheet_index`` those local to that sheet (its print area, for one)."""
    scope = None if sheet_index is None else str(sheet_index)
    return {
        dn.get("name"): dn.text or ""
        for dn in xml_root(workbook_xml).iter(f"{{{NS}}}definedName")
        if dn.get("localSheetId") == scope and dn.get("name")
    }


def names_from_xml(workbook_xml: bytes) -> Names:
    """Workbook-scoped defined names of xl/workbook.xml that point at cells."""
    return {name: ref for name, text in name_texts(workbook_xml).items() if (ref := parse_ref(text))}


def names_in_package(z: zipfile.ZipFile) -> Names:
    """The defined names of an open package; {} when it has no readable workbook part (the caller's
    own checks say what is wrong with such a file)."""
    part = next((n for n in z.namelist() if n.lower() == "xl/workbook.xml"), None)
    if part is None:
        return {}
    try:
        return names_from_xml(z.read(part))
    except (etree.XMLSyntaxError, ValueError, KeyError, zipfile.BadZipFile):
        return {}


def names_in_file(path: Path | str) -> Names:
    """:func:`names_in_package` of a file, without loading the workbook."""
    try:
        with zipfile.ZipFile(path) as z:
            return names_in_package(z)
    except (OSError, zipfile.BadZipFile):
        return {}


def named_cells(names: Names, wanted) -> dict[str, list[tuple[str, str]]]:
    """name -> [(sheet, A1), ...] for the ``wanted`` names present (a range gives each of its cells)."""
    out: dict[str, list[tuple[str, str]]] = {}
    for name in wanted:
        if name not in names:
            continue
        sheet, ref = names[name]
        min_col, min_row, max_col, max_row = cell_box(ref)
        out[name] = [
            (sheet, f"{column_letter(c)}{r}") for r in range(min_row, max_row + 1) for c in range(min_col, max_col + 1)
        ]
    return out


REPORT_NAMES = (*form.CELL_NAMES, *(m.name for m in form.META_FIELDS), *form.NARRATIVE_NAMES.values())


def report_cells(names: Names) -> dict[str, list[tuple[str, str]]]:
    """Every cell the report owns (table cells, 说明 fields, narrative paragraphs): name -> [(sheet, A1)]."""
    return named_cells(names, REPORT_NAMES)


def sheet_parts(workbook_xml: bytes, workbook_rels: bytes) -> dict[str, str]:
    """Sheet title -> part name (xl/worksheets/sheetN.xml)."""
    rels = xml_root(workbook_rels)
    target = {r.get("Id"): r.get("Target") for r in rels.iter(f"{{{PNS}}}Relationship")}
    out = {}
    for s in xml_root(workbook_xml).iter(f"{{{NS}}}sheet"):
        t = (target.get(s.get(f"{{{RNS}}}id")) or "").lstrip("/")
        out[s.get("name")] = t if t.startswith("xl/") else "xl/" + t
    return out


def package_sheet_parts(z: zipfile.ZipFile) -> dict[str, str]:
    """:func:`sheet_parts` of an open package; {} when its workbook parts are unreadable."""
    try:
        return dict(_sheet_parts_cached(z.read("xl/workbook.xml"), z.read("xl/_rels/workbook.xml.rels")))
    except (etree.XMLSyntaxError, ValueError, KeyError, zipfile.BadZipFile):
        return {}


@functools.lru_cache(maxsize=64)
def _sheet_parts_cached(workbook_xml: bytes, workbook_rels: bytes) -> tuple[tuple[str, str], ...]:
    """Units of a county mostly share the template's parts: parsed once per process."""
    return tuple(sheet_parts(workbook_xml, workbook_rels).items())
