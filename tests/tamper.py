"""Helpers for tampering with frozen workbooks as a hostile user would (openpyxl and raw XML edits)."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime
from pathlib import Path

import openpyxl

from xl_report.batch.fastfill import custom_xml
from xl_report.core.fingerprint import canonical_json, fingerprint_of_json, short
from xl_report.stages.freeze_record import P_FINGERPRINT, P_VIEW, _text_props, encode_view
from xl_report.xlsx.reader_view import read_view
from xl_report.xlsx.workbook import resolve_names


def forge(path: Path) -> Path:
    """Recompute everything public after an edit (the fingerprint, the stored view, the 定稿 lines and
    the 定稿指纹 cell), in the XML, as anyone can without a signing key; a signature is left as it was."""
    data = path.read_bytes()
    view = read_view(data)
    old = view.custom_props[P_FINGERPRINT]
    text = canonical_json(view.canonical)
    fp = fingerprint_of_json(text)
    props = {k: v for k, v in view.custom_props.items() if not k.startswith(P_VIEW)}
    props.update(_text_props(P_VIEW, encode_view(text)))
    props[P_FINGERPRINT] = fp

    def edit(name: str, part: bytes) -> bytes:
        if name == "docProps/custom.xml":
            return custom_xml(props)
        return part.replace(old.encode(), fp.encode()).replace(short(old).encode(), short(fp).encode())

    return rezip(path, path, edit)


def rezip(path: Path, out: Path, edit) -> Path:
    """Copy a package, passing each part's bytes through ``edit(name, data) -> data`` (None drops it)."""
    with zipfile.ZipFile(path) as z:
        parts = [(i, z.read(i.filename)) for i in z.infolist()]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in parts:
            new = edit(info.filename, data)
            if new is not None:
                z.writestr(info.filename, new)
        for name, data in getattr(edit, "extra", {}).items():
            z.writestr(name, data)
    out.write_bytes(buf.getvalue())
    return out


def part_of(path: Path, sheet: str) -> str:
    """The part name of a sheet (xl/worksheets/sheetN.xml)."""
    wb = openpyxl.load_workbook(path)
    return f"xl/worksheets/sheet{wb.sheetnames.index(sheet) + 1}.xml"


def cell_of(path: Path, name: str) -> tuple[str, str]:
    wb = openpyxl.load_workbook(path)
    sheet, coord = resolve_names(wb)[name]
    return sheet, coord.split(":")[0]


def now_text() -> str:
    return f"{datetime.now():%Y-%m-%d %H:%M}"


def sub(pattern: str, repl: str, data: bytes, count: int = 1) -> bytes:
    new, n = re.subn(pattern.encode(), repl.encode(), data, count=count)
    assert n, pattern
    return new
