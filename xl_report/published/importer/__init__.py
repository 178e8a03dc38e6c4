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
from xl_report.published.importer import document, runon, tables
from xl_report.published.importer.labels import key
from xl_report.published.importer.readers import Token, read_tokens, sniff

__all__ = ["ImportResult", "import_report", "import_tokens"]

_UNWRAPPED = {".md", ".markdown"}  # text whose paragraphs are one line each (PDF and plain text wrap them)


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
    kind = sniff(path)  # what the file is, not what it is called
    wrapped = kind == "pdf" or (kind == "text" and path.suffix.lower() not in _UNWRAPPED)
    return import_tokens(tokens, source=str(path), wrapped=wrapped)


# anchors for a table whose section heading is missing: (table, label key of its first cells)
_ANCHORS = {
    "active": key(form.T2_BLOCKS[0].caption),
    "requests": key(form.T3_ROWS[0].labels[0]),
    "appeals": key(form.T4_REVIEW),
}


def import_tokens(tokens: list[Token], source: str | None = None, wrapped: bool = True) -> ImportResult:
    tokens = runon.expand(tokens)
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
    published, date_line = document.read_published(
        tokens, layout.headings["other"].index if "other" in layout.headings else len(tokens)
    )

    report = ReportData(
        unit=unit, year=year, contact=contact, level=document.infer_level(unit), published=published, source=source
    )
    cut = _cut_in(regions, tokens)
    after = False  # a table after the one the text stops in: nothing of it is in the text
    reads = {}
    for section, read in (("active", tables.read_t2), ("requests", tables.read_t3), ("appeals", tables.read_t4)):
        reads[section] = read([] if after else regions[section], cut=after or section == cut)
        after = after or section == cut
    t2, t3, t4 = reads["active"], reads["requests"], reads["appeals"]
    if not (t2.values or t3.values or t4.values or t2.format_2019):
        raise InputError.at(_nothing_read(regions), file=source)
    cited = None if t2.format_2019 else document.old_form_citation(tokens)
    if cited is not None:
        problems.append(cited)
    for part in (t2, t3, t4):
        report.values.update(part.values)
        report.missing.extend(part.missing)
        problems.extend(part.problems)
    if cut is not None:
        problems = _cut_findings(problems, cut, [n for part in (t2, t3, t4) for n in part.cut_off])

    for section in form.NARRATIVE_SECTIONS:
        region = regions[section]
        if section == "other":
            region = document.before_page_chrome(region)
            if date_line is not None:
                region = _without_signature(tokens, region, date_line, unit)
        report.narrative[section] = document.paragraphs(region, wrapped)
    return ImportResult(report, problems, t2.format_2019, published)


def _nothing_read(regions: dict[str, list[Token]]) -> str:
    """Why not a single table cell came in: no table at all, or tables whose rows cannot be rebuilt
    (labels and numbers in separate runs, as `pdftotext` without -layout or a PDF viewer's copy gives)."""
    titles = {s: t for t in form.TABLES for s, _ in form.SECTIONS if form.SECTION_TITLES[s] == form.TABLE_TITLES[t]}
    found = [t for s, t in titles.items() if regions.get(s)]
    if not found:
        where = "、".join(f"{t}（{form.TABLE_TITLES[t]}）" for t in form.TABLES)
        return f"未能读出任何表格数据：找不到{where}；请确认这是一份政府信息公开工作年度报告"
    return (
        f"找到了{'、'.join(found)}，但读不出其中任何一行：行名和数字不在同一行"
        "（例如从 PDF 阅读器复制的文字，或不带 -layout 的 pdftotext 输出）。"
        "请直接导入 PDF 文件或网页（.html），或用 pdftotext -layout 转换后再导入"
    )


def _cut_in(regions: dict[str, list[Token]], tokens: list[Token]) -> str | None:
    """The table section the text stops in (an excerpt of a web page ends part way through a table)."""
    if not tokens:
        return None
    for section in ("appeals", "requests", "active"):
        if regions[section] and regions[section][-1] is tokens[-1]:
            return section
    return None


def _cut_findings(problems: list[Finding], cut: str, cells: list[str]) -> list[Finding]:
    """One finding for everything after the point where the text stops, instead of one per missing
    row and section: the sections after the table are not 'missing' from the report, only from the text."""
    if not cells:
        return problems  # the table is whole: sections missing after it are missing from the report
    sections = [s for s, _ in form.SECTIONS]
    later = {form.SECTION_TITLES[s] for s in sections[sections.index(cut) + 1 :]}
    # document.section_findings' "not found" findings of the sections after the cut
    kept = [f for f in problems if not (f.code == "F01" and any(f"“{t}”部分未找到" in f.message for t in later))]
    table = next(t for t in form.TABLES if form.TABLE_TITLES[t] == form.SECTION_TITLES[cut])
    tail = (
        "；其后的"
        + "、".join(f"“{t}”" for t in sorted(later, key=list(form.SECTION_TITLES.values()).index))
        + "也不在文本中"
        if later
        else ""
    )
    kept.append(
        Finding(
            "F14",
            "error",
            f"文本在{table}中断（可能只是网页的一部分）：{len(cells)} 个单元格未导入{tail}",
            sheet=table,
            names=tuple(cells),
        )
    )
    return kept


def _anchored_region(tokens: list[Token], anchor: str) -> list[Token]:
    """From the first cell carrying ``anchor`` to the next cell of another table's anchor."""
    starts = [i for i, t in enumerate(tokens) if key(t.text) == anchor]
    if not starts:
        return []
    others = [
        i for a in _ANCHORS.values() if a != anchor for i, t in enumerate(tokens) if key(t.text) == a and i > starts[0]
    ]
    return tokens[starts[0] : min(others, default=len(tokens))]


def _without_signature(tokens: list[Token], region: list[Token], date_line: int, unit: str | None) -> list[Token]:
    """Drop the closing date line and the unit's name line above it (the 落款) from §六."""
    drop = {id(tokens[date_line])}
    before = date_line - 1
    if (
        before >= 0
        and not tokens[before].cell
        and len(tokens[before].text.strip()) <= 40
        and (unit is not None and (key(tokens[before].text) in key(unit) or key(unit) in key(tokens[before].text)))
    ):
        drop.add(id(tokens[before]))
    return [t for t in region if id(t) not in drop]
