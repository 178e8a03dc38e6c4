"""Helpers for tampering with frozen workbooks as a hostile user would (openpyxl and raw XML edits)."""
from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime
from pathlib import Path

import openpyxl

from xl_report.fingerprint import canonical_json, fingerprint_of_json, short
from xl_report.freeze import (P_FINGERPRINT, P_VIEW, _record, _text_props, encode_view, read_freeze_info,
                              workbook_bytes)
from xl_report.reader_view import read_view
from xl_report.workbook import resolve_names


def forge(path: Path) -> Path:
    """Recompute everything public after an edit (the fingerprint, the stored view, the 定稿 lines),
    as anyone can without a signing key; the signature, if any, is left as it was."""
    wb = openpyxl.load_workbook(path)
    info = read_freeze_info(wb)
    text = canonical_json(read_view(workbook_bytes(wb)).canonical)
    fp = fingerprint_of_json(text)
    old = info["fingerprint"]
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if isinstance(c.value, str) and old in c.value:
                    c.value = c.value.replace(old, fp)
                elif isinstance(c.value, str) and c.value.startswith("定稿："):
                    c.value = c.value.replace(short(old), short(fp))
    props = {p.name: p.value for p in wb.custom_doc_props}
    props.update(_text_props(P_VIEW, encode_view(text)))
    props[P_FINGERPRINT] = fp
    _record(wb, props)
    wb.save(path)
    return path


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
