"""Read a published annual report (text dump, .html, .docx, PDF) back into ReportData.

``import_report(path)`` -> :class:`ImportResult`. Blank, ``/`` and ``—`` cells are imported as blank
(None), never as 0; annotated cells keep their raw text; anything that cannot be read is reported
as a finding naming the table and row, and its cells are listed in ``report.missing``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from xl_report.core import form
from xl_report.core.errors import InputError
from xl_report.core.findings import Finding
from xl_report.core.report import ReportData
from xl_report.published.importer import document, tables
from xl_report.published.importer.labels import key
from xl_report.published.importer.readers import Token, read_tokens

__all__ = ["ImportResult", "import_report", "import_tokens"]

_WRAPPED = {".pdf", ".txt", ".text", ""}  # sources whose paragraphs may be cut into lines


@dataclass
class ImportResult:
    report: ReportData
    problems: list[Finding] = field(default_factory=list)
    format_2019: bool = False
    published: date | None = None


def import_report(path: Path | str) -> ImportResult:
    """Read a published report (.txt, .html, .docx, .pdf) into ReportData; what cannot be read is listed in
    ``problems``, never guessed."""
    path = Path(path)
    tokens = read_tokens(path)
    return import_tokens(tokens, source=str(path), wrapped=path.suffix.lower() in _WRAPPED)


# anchors for a table whose section heading is missing: (table, label key of its first cells)
_ANCHORS = {
    "active": key(form.T2_BLOCKS[0].caption),
    "requests": key(form.T3_ROWS[0].labels[0]),
    "appeals": key(form.T4_REVIEW),
}


def import_tokens(tokens: list[Token], source: str | None = None, wrapped: bool = True) -> ImportResult:
    layout = document.find_sections(tokens)
    problems = document.section_findings(layout)
    regions = {s: layout.region(s, tokens) for s, _ in form.SECTIONS}
    for section, anchor in _ANCHORS.items():
        if not regions[section]:
            regions[section] = _anchored_region(tokens, anchor)

    first = layout.first_index() if layout.headings else len(tokens)
    unit, year = document.read_title(tokens, max(first, 1))
    if year is None:
        year = document.read_period_year(tokens[: max(first, 1)] or tokens)
    if unit is None:
        problems.append(Finding("F12", "error", "未找到报告标题“<单位><年>年政府信息公开工作年度报告”，单位名称未导入"))
    if year is None:
        problems.append(Finding("F12", "error", "未能从标题或统计期限中读出报告年度"))
    contact = document.read_contact(tokens[:first]) or document.read_contact(tokens)
    published, date_line = document.read_published(tokens, layout.headings["other"].index
                                                   if "other" in layout.headings else len(tokens))

    report = ReportData(unit=unit, year=year, contact=contact, level=document.infer_level(unit),
                        published=published, source=source)
    t2 = tables.read_t2(regions["active"])
    t3 = tables.read_t3(regions["requests"])
    t4 = tables.read_t4(regions["appeals"])
    if not (t2.values or t3.values or t4.values or t2.format_2019):
        where = "、".join(f"{t}（{form.TABLE_TITLES[t]}）" for t in form.TABLES)
        raise InputError.at(f"未能读出任何表格数据：找不到{where}；请确认这是一份政府信息公开工作年度报告", file=source)
    for part in (t2, t3, t4):
        report.values.update(part.values)
        report.missing.extend(part.missing)
        problems.extend(part.problems)

    for section in form.NARRATIVE_SECTIONS:
        region = regions[section]
        if section == "other":
            region = document.before_page_chrome(region)
            if date_line is not None:
                region = _without_signature(tokens, region, date_line, unit)
        report.narrative[section] = document.paragraphs(region, wrapped)
    return ImportResult(report, problems, t2.format_2019, published)


def _anchored_region(tokens: list[Token], anchor: str) -> list[Token]:
    """From the first cell carrying ``anchor`` to the next cell of another table's anchor."""
    starts = [i for i, t in enumerate(tokens) if key(t.text) == anchor]
    if not starts:
        return []
    others = [i for a in _ANCHORS.values() if a != anchor for i, t in enumerate(tokens)
              if key(t.text) == a and i > starts[0]]
    return tokens[starts[0]: min(others, default=len(tokens))]


def _without_signature(tokens: list[Token], region: list[Token], date_line: int, unit: str | None) -> list[Token]:
    """Drop the closing date line and the unit's name line above it (the 落款) from §六."""
    drop = {id(tokens[date_line])}
    before = date_line - 1
    if before >= 0 and not tokens[before].cell and len(tokens[before].text.strip()) <= 40 and (
            unit is not None and (key(tokens[before].text) in key(unit) or key(unit) in key(tokens[before].text))):
        drop.add(id(tokens[before]))
    return [t for t in region if id(t) not in drop]
