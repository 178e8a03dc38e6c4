"""The finding catalogue: unique codes, one severity each, documented in docs/findings.md."""

from __future__ import annotations

import re

from xl_report.rules.catalogue import RULES

from .conftest import ROOT


def test_codes_unique_and_well_formed():
    codes = [r.code for r in RULES]
    assert len(codes) == len(set(codes))
    assert all(re.fullmatch(r"[FAXTDR]\d\d", c) for c in codes)
    assert all(r.severity in ("error", "warning") for r in RULES)


def test_docs_table_lists_every_code_with_its_severity():
    text = (ROOT / "docs" / "findings.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| ([A-Z]\d\d) \| [^|]*?(error|warning) \|", text, re.M))
    assert rows == {r.code: r.severity for r in RULES}


def test_every_code_emitted_anywhere_is_catalogued():
    """Rules, importer and audit all emit catalogued codes (the Excel sheet and docs rely on it)."""
    known = {r.code for r in RULES}
    emitted = set()
    for path in (ROOT / "xl_report").rglob("*.py"):
        emitted |= set(re.findall(r'Finding\(\s*"([FAXTDR]\d\d)"', path.read_text(encoding="utf-8")))
    assert emitted and emitted <= known, emitted - known
