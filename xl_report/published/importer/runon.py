"""Crawler text: a whole report on one line, table cells run together (``规章000行政规范性文件8855698…``).

Such a line is cut at the six section headings; inside a table section it is cut at every official
label of that table (from ``xl_report.form``), and what lies between two labels becomes value tokens:
numbers separated by spaces are separate cells, a run of digits without separators is one *joined*
token, which the table reader splits only where the split is certain (``splits.py``).
"""

from __future__ import annotations

import re

from xl_report.core import form
from xl_report.published.importer.document import heading_match
from xl_report.published.importer.labels import nfkc
from xl_report.published.importer.readers import Token

_MIN_LINE = 300  # a line this long holding two section headings is a whole report, not a paragraph
_HEADING = re.compile(r"[一二三四五六]、[^。；，,;\s]{2,30}?(?:情况|事项)")
_GAP_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_TABLE_SECTIONS = ("active", "requests", "appeals")


def _table_labels() -> dict[str, list[str]]:
    t2 = [form.T2_ITEM_HEADER] + [b.caption for b in form.T2_BLOCKS]
    t2 += [lab for b in form.T2_BLOCKS for _, lab in b.measures + b.items]
    t2 += [syn for syns in form.T2_LABEL_SYNONYMS.values() for syn in syns]
    t3 = [
        form.T3_NOTE,
        form.T3_APPLICANT_HEADER,
        form.T3_LEGAL_PERSON_HEADER,
        form.T3_RESULTS_LABEL,
        form.T3_TOTAL_LABEL,
    ] + [lab for _, lab, _ in form.T3_COLUMNS]
    t3 += [g.label for g in form.T3_RESULT_GROUPS] + [r.labels[-1] for r in form.T3_ROWS]
    t4 = [form.T4_REVIEW, form.T4_SUIT] + [lab for _, labs in form.T4_GROUPS for lab in labs]
    t4 += [lab for _, lab in form.T4_OUTCOMES]
    # longest first: '（七）总计' before '总计', '行政规范性文件' before '规范性文件'
    return {s: sorted({nfkc(x) for x in labs}, key=len, reverse=True) for s, labs in zip(_TABLE_SECTIONS, (t2, t3, t4))}


_LABELS = _table_labels()


def headings(line: str) -> list[tuple[int, int, str]]:
    """(start, end, section) of each section heading printed inside ``line``, in order."""
    out: list[tuple[int, int, str]] = []
    sections = [s for s, _ in form.SECTIONS]
    for m in _HEADING.finditer(line):
        number = "一二三四五六".index(m.group()[0])
        section, title = form.SECTIONS[number]
        if heading_match(m.group(), number, title) is not None and (not out or sections.index(out[-1][2]) < number):
            out.append((m.start(), m.end(), section))
    return out


def expand(tokens: list[Token]) -> list[Token]:
    """``tokens`` with every whole-report line cut into its headings, paragraphs and cells."""
    out: list[Token] = []
    for t in tokens:
        cut = None if t.cell else run_on_tokens(t.text)
        out.extend(cut if cut is not None else (t,))
    return out


def run_on_tokens(line: str) -> list[Token] | None:
    """Tokens of a whole report printed as one line, or None when ``line`` is an ordinary paragraph."""
    if len(line) < _MIN_LINE:
        return None
    found = headings(line)
    if len(found) < 2 or not any(s in _TABLE_SECTIONS for _, _, s in found):
        return None
    out: list[Token] = []
    _paragraph(line[: found[0][0]], out)
    for n, (start, end, section) in enumerate(found):
        out.append(Token(line[start:end].strip()))
        body = line[end : found[n + 1][0] if n + 1 < len(found) else len(line)]
        if section in _TABLE_SECTIONS:
            out.extend(table_tokens(nfkc(body), _LABELS[section]))
        else:
            _paragraph(body, out)
    return out


def _paragraph(text: str, out: list[Token]) -> None:
    if text.strip():
        out.append(Token(text.strip()))


def table_tokens(text: str, labels: list[str]) -> list[Token]:
    """Cut a table's run-together text at its labels; the gaps between labels give the value cells."""
    out: list[Token] = []
    gap_start = i = 0
    while i < len(text):
        label = next((lab for lab in labels if text.startswith(lab, i)), None)
        if label is None:
            i += 1
            continue
        _gap(text[gap_start:i], out)
        out.append(Token(label, True))
        i = gap_start = i + len(label)
    _gap(text[gap_start:], out)
    return out


def _gap(text: str, out: list[Token]) -> None:
    """Text between two labels: numbers (space-separated cells, or one joined run of digits) or words."""
    for part in text.split():
        if _GAP_NUMBER.fullmatch(part):
            out.append(Token(part, True, joined=len(part) > 1 and part.isdigit()))
        else:
            out.append(Token(part, True))
