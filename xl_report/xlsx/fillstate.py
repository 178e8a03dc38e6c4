"""The fill record of a workbook: when its tables were filled and from which tally rows (a digest).

Kept in custom document properties, which openpyxl, Excel and the batch's XML writer all preserve
(and freeze keeps; :func:`xl_report.xlsx.workbook.record_fill` writes it into an openpyxl book):
``check`` compares the digest with the tally now in the file and says
"填报后台账有改动" before it lists the cells that differ.
"""

from __future__ import annotations

import zipfile
from datetime import datetime
from typing import TYPE_CHECKING

from lxml import etree

from xl_report.core.tally import FillState, Tally, tally_digest
from xl_report.xlsx.names import xml_root

if TYPE_CHECKING:
    from openpyxl.workbook.workbook import Workbook

P_FILLED_AT = "xl_report_filled_at"
P_TALLY_DIGEST = "xl_report_tally_digest"
FILL_PROPERTIES = (P_FILLED_AT, P_TALLY_DIGEST)
_CUSTOM_NS = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"


def fill_properties(tally: Tally, now: datetime | None = None) -> dict[str, object]:
    """The custom properties a fill records (in this order)."""
    now = now or datetime.now().astimezone()
    return {P_FILLED_AT: now.isoformat(timespec="seconds"), P_TALLY_DIGEST: tally_digest(tally)}


def book_properties(wb: Workbook) -> dict[str, object]:
    return {p.name: p.value for p in wb.custom_doc_props}


def package_properties(z: zipfile.ZipFile) -> dict[str, object]:
    """The custom document properties of an open package as text (name -> value); {} when none."""
    part = next((n for n in z.namelist() if n.lower() == "docprops/custom.xml"), None)
    if part is None:
        return {}
    try:
        root = xml_root(z.read(part))
    except (etree.XMLSyntaxError, ValueError, KeyError, zipfile.BadZipFile):
        return {}
    out: dict[str, object] = {}
    for prop in root.iter(f"{{{_CUSTOM_NS}}}property"):
        typed = next(iter(prop), None)
        if prop.get("name") and typed is not None:
            out[prop.get("name")] = typed.text
    return out


def fill_state(props: dict[str, object]) -> FillState | None:
    """The fill record among ``props``, None when the workbook was never filled by xl_report."""
    digest = props.get(P_TALLY_DIGEST)
    if not isinstance(digest, str) or not digest:
        return None
    at = props.get(P_FILLED_AT)
    return FillState(at if isinstance(at, str) else None, digest)
