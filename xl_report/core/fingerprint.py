"""The fingerprint of a report: SHA-256 over a canonical serialisation of what the report says.

Not over the file bytes (openpyxl output is not byte-stable, and freezing itself rewrites the
file): over the unit, the year, the contact, the level, every one of the 200 named cells and the
narrative paragraphs. Numbers are normalised so 5 and 5.0 agree; a blank cell (None) stays distinct
from 0 and from the text "0"; a cell whose name is missing from the workbook is distinct from blank.

:func:`diff` compares two canonical dicts and names every change in Chinese, so that verify can say
"表三 …·自然人 原值 3 现值 4".
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, time

from xl_report.core import form
from xl_report.core.report import ReportData

CANONICAL_VERSION = 1
MISSING = {"missing": True}  # a name absent from the workbook: cells never hold a dict
META_KEYS = ("unit", "year", "contact", "level")  # canonical key -> ReportData attribute
META_LABELS = {
    "unit": form.META_BY_NAME["meta_unit"].label,
    "year": form.META_BY_NAME["meta_year"].label,
    "contact": form.META_BY_NAME["meta_contact"].label,
    "level": form.META_BY_NAME["meta_level"].label,
}


def canonical_scalar(value: object) -> object:
    """One cell value as JSON data: numbers normalised, text as text, dates tagged."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return {"float": repr(value)}
        value = round(value, 9)
        return int(value) if value.is_integer() else value
    if isinstance(value, (datetime, date, time)):
        return {"date": value.isoformat()}
    return {"repr": str(value)}


def canonical_values(report: ReportData) -> dict:
    """Everything the fingerprint covers, as plain JSON data."""
    values = report.values
    cells = {
        name: ((v if (v := values[name]).__class__ is int else canonical_scalar(v)) if name in values else MISSING)
        for name in form.CELL_NAMES
    }  # a plain int is its own canonical form (most cells)
    narrative = {key: [str(p) for p in report.narrative.get(key, [])] for key in form.NARRATIVE_SECTIONS}
    out = {"v": CANONICAL_VERSION, "cells": cells, "narrative": narrative}
    for key in META_KEYS:
        out[key] = canonical_scalar(getattr(report, key))
    return out


def canonical_json(values: dict) -> str:
    """Sorted keys, no spaces, Chinese kept as is (JSON escapes every control character)."""
    return json.dumps(values, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def fingerprint_of(values: dict) -> str:
    return fingerprint_of_json(canonical_json(values))


def fingerprint_of_json(text: str) -> str:
    """The fingerprint of an already serialised :func:`canonical_json`."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def fingerprint(report: ReportData) -> str:
    """SHA-256 (hex) of the report's canonical values."""
    return fingerprint_of(canonical_values(report))


def short(fp: str) -> str:
    """The short form shown on the sheets (like a git short hash)."""
    return fp[:12]


# --------------------------------------------------------------------------------------------
# Differences, named in Chinese
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """One difference between the frozen values and the workbook as it is now."""

    key: str  # cell name, "unit"/"year"/..., or "narrative.<section>.<n>" (1-based paragraph)
    label: str  # Chinese description of the place
    old: object
    new: object
    text: str | None = None  # the whole message, when a reader-view difference names it in its own words

    def __str__(self) -> str:
        return self.text or f"{self.label} 原值 {show(self.old)} 现值 {show(self.new)}"

    def to_json(self) -> dict:
        return {"key": self.key, "label": self.label, "old": self.old, "new": self.new, "message": str(self)}


def show(value: object) -> str:
    if value is None:
        return "（空）"
    if value == MISSING:
        return "（单元格名称已被删除）"
    if isinstance(value, dict):
        return str(next(iter(value.values())))
    if isinstance(value, str):
        text = value.replace("\n", " ")
        return f"“{text if len(text) <= 60 else text[:59] + '…'}”"
    return str(value)


def _same(a: object, b: object) -> bool:
    return canonical_json({"x": a}) == canonical_json({"x": b})


def diff(old: dict, new: dict) -> list[Change]:
    """Every difference between two canonical dicts, in form order."""
    changes: list[Change] = []
    for key in META_KEYS:
        if not _same(old.get(key), new.get(key)):
            changes.append(Change(key, META_LABELS[key], old.get(key), new.get(key)))
    old_cells, new_cells = old.get("cells") or {}, new.get("cells") or {}
    for name in form.CELL_NAMES:
        a, b = old_cells.get(name, MISSING), new_cells.get(name, MISSING)
        if not _same(a, b):
            changes.append(Change(name, form.CELL_BY_NAME[name].caption, a, b))
    old_text, new_text = old.get("narrative") or {}, new.get("narrative") or {}
    for section in form.NARRATIVE_SECTIONS:
        a, b = list(old_text.get(section) or []), list(new_text.get(section) or [])
        for i in range(max(len(a), len(b))):
            pa, pb = (a[i] if i < len(a) else None), (b[i] if i < len(b) else None)
            if pa != pb:
                label = f"{form.SHEET_NARRATIVE} {form.SECTION_TITLES[section]} 第{i + 1}段"
                changes.append(Change(f"narrative.{section}.{i + 1}", label, pa, pb))
    return changes
