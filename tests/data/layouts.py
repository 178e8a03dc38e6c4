"""Synthetic published reports in the layouts real ones come in (issue 15, cases A–L).

Every case is generated from a ReportData through the renderer's document model (title, preamble,
sections, and the three tables' grids, whose labels come from ``xl_report.form``); only the way the
text is laid out differs, as Word/WPS → PDF → pdftotext, web editors and converters lay it out.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from xl_report.core import form
from xl_report.core.report import ReportData
from xl_report.document.model import ReportDocument, Table, build_document, cell_text
from xl_report.published.importer import variants

from .reports import random_report

GAP = "   "  # pdftotext -layout separates columns by runs of spaces
FOOTERS = ("— 4 —", "-3-", "第 2 页", "- 5 -")


def report(seed: int = 7) -> ReportData:
    """A consistent report with multi-digit numbers and a decimal fee (totals computed)."""
    return random_report(seed, unit="某某县某某镇人民政府", year=2024)


def values_by_row(r: ReportData, table: Table) -> list[list[str]]:
    return [[c.text for c in row if c.role == "value"] for row in table.rows()]


def _text(
    r: ReportData,
    tables: dict[str, Callable[[Table], list[str]]],
    heading: Callable[[str, str], str] = lambda key, h: h,
    title: str | None = None,
) -> str:
    doc: ReportDocument = build_document(r)
    lines = [title if title is not None else doc.title, doc.preamble]
    for section in doc.sections:
        lines.append(heading(section.key, section.heading))
        lines.extend(p.text for p in section.paragraphs)
        if section.table is not None:
            lines.extend(tables[section.table.key](section.table))
    return "\n".join(lines) + "\n"


def _tables(fn: Callable[[Table], list[str]]) -> dict[str, Callable[[Table], list[str]]]:
    return {k: fn for k in form.TABLES}


# --------------------------------------------------------------------------------------------
# Grids as lines
# --------------------------------------------------------------------------------------------


def layout_rows(table: Table, indent: str = "") -> list[str]:
    """pdftotext -layout: each grid row's cells (a merged cell on its first row) separated by spaces."""
    return [indent + GAP.join(c.text for c in row) for row in table.rows()]


def pipe_rows(table: Table) -> list[str]:
    """A Markdown table from a converter: one '| … |' line per grid row, the rule under the first."""
    out = []
    for i, row in enumerate(table.rows()):
        out.append("| " + " | ".join(c.text for c in row) + " |")
        if i == 0:
            out.append("|" + "---|" * len(row))
    return out


def _header_rows(table: Table) -> list[str]:
    return pipe_rows(table)[: table.head_rows + 1]


def _data_rows(table: Table) -> list[list]:
    return table.rows()[table.head_rows :]


# --------------------------------------------------------------------------------------------
# A–L
# --------------------------------------------------------------------------------------------


def case_a(r: ReportData) -> str:
    """pdftotext -layout text: indented headings, space-separated columns, page footers between rows."""

    def table(t: Table) -> list[str]:
        rows = layout_rows(t, indent="  ")
        out = []
        for i, line in enumerate(rows):
            out.append(line)
            if i in (3, 12):
                out += ["", f"                    {FOOTERS[i % 2]}", "\f"]
        return out

    return _text(r, _tables(table), heading=lambda k, h: "    " + h, title="          " + build_document(r).title)


def case_b(r: ReportData) -> str:
    """Row-label variants: abbreviations, a missing character, old wordings, width and spaces."""
    swaps = {
        label: variants.T3_ROW_VARIANTS[key][0]
        for key, label in ((row.key, row.labels[-1]) for row in form.T3_ROWS)
        if key in variants.T3_ROW_VARIANTS
    }
    swaps[dict(form.T2_BLOCKS[0].items)["normative"]] = variants.T2_ROW_VARIANTS["normative"][0]
    swaps[form.T3_COLUMN_LABELS["person"]] = " ".join(form.T3_COLUMN_LABELS["person"])
    swaps[dict(form.T2_BLOCKS[1].items)["licensing"]] = "行政 许可"

    def table(t: Table) -> list[str]:
        out = []
        for line in pipe_rows(t):
            cells = [swaps.get(c.strip(), c.strip()) for c in line.split("|")]
            line = " | ".join(cells).strip()
            out.append(line.replace("（", "(").replace("）", ")").replace("，", ","))
        return out

    return _text(r, _tables(table))


def _wrap(text: str, width: int) -> list[str]:
    return [text[i : i + width] for i in range(0, len(text), width)]


def case_c(r: ReportData) -> str:
    """表三 in layout text with item labels wrapped over lines and the group caption's pieces between them."""
    groups = {g.key: g for g in form.T3_RESULT_GROUPS if g.items}

    def t3(t: Table) -> list[str]:
        out = layout_rows(t)[: t.head_rows]
        for row in form.T3_ROWS:
            values = GAP.join(cell_text(r, form.t3(row.key, c)) for c, _, _ in form.T3_COLUMNS)
            pieces = _wrap(row.labels[-1], 12)
            gkey, _, item = row.key.partition("_")
            g = groups.get(gkey)
            middle = g is not None and item.isdigit() and int(item) == len(g.items) // 2 + 1
            caption = [g.label[:4], g.label[4:]] if middle else []  # '（六）其' … '他处理'
            lines = []
            mid = len(pieces) // 2
            for i, p in enumerate(pieces):
                lines.append("          " + p + (GAP + values if i == mid else ""))
            if caption:  # '（六）其' / item piece 1 / '他处理' / the rest
                lines = [caption[0]] + lines[:1] + ["".join(caption[1:])] + lines[1:]
            out += lines
        return out

    tables = _tables(layout_rows)
    tables["表三"] = t3
    return _text(r, tables)


def case_d(r: ReportData) -> str:
    """Markdown: a heading repeating a row label above its one-row sub-table."""

    def t3(t: Table) -> list[str]:
        out = _header_rows(t)
        for row in _data_rows(t):
            label = [c.text for c in row if c.role == "label"][-1]
            out += [f"### {label}", "", "| " + " | ".join(c.text for c in row) + " |", ""]
        return out

    tables = _tables(pipe_rows)
    tables["表三"] = t3
    return _text(r, tables, heading=lambda k, h: f"## {h}")


def case_e(r: ReportData) -> str:
    """The column-header row printed again before every group of 表三 (page breaks, sub-tables)."""
    header = "| " + " | ".join(lab for _, lab, _ in form.T3_COLUMNS) + " |"

    def t3(t: Table) -> list[str]:
        out = _header_rows(t)
        for row in _data_rows(t):
            if any(c.role == "label" and c.rowspan > 1 for c in row):
                out.append(header)
            out.append("| " + " | ".join(c.text for c in row) + " |")
        return out

    tables = _tables(pipe_rows)
    tables["表三"] = t3
    return _text(r, tables)


def case_f(r: ReportData) -> str:
    """Group captions printed short: '（六）其他', '（三）不予' in front of their first item."""

    def t3(t: Table) -> list[str]:
        out = []
        for line in pipe_rows(t):
            for g in form.T3_RESULT_GROUPS:
                if g.items and g.label in line:
                    line = line.replace(g.label, g.label[: len(g.label) - 2])
            out.append(line)
        return out

    tables = _tables(pipe_rows)
    tables["表三"] = t3
    return _text(r, tables)


def case_g(r: ReportData) -> str:
    """表四 as three sub-tables, each captioned and with its own header row."""

    def t4(t: Table) -> list[str]:
        out = []
        for group, labels in form.T4_GROUPS:
            caption = labels[0] if len(labels) == 1 else f"{labels[0]}（{labels[-1]}）"
            out += [
                caption,
                "| " + " | ".join(lab for _, lab in form.T4_OUTCOMES) + " |",
                "|---|---|---|---|---|",
                "| " + " | ".join(cell_text(r, form.t4(group, o)) for o, _ in form.T4_OUTCOMES) + " |",
                "",
            ]
        return out

    tables = _tables(pipe_rows)
    tables["表四"] = t4
    return _text(r, tables)


def case_h(
    r: ReportData,
    placed: tuple[str, ...] = ("deny_1", "deny_2", "deny_3", "deny_4", "deny_5", "deny_6", "deny_7", "deny_8"),
) -> str:
    """A PDF→Markdown converter put the labels of some 表三 rows on loose lines above label-less value rows."""
    keys = [row.key for row in form.T3_ROWS]

    def t3(t: Table) -> list[str]:
        out = _header_rows(t)
        loose, rows = [], []
        for key, row in zip(keys, _data_rows(t)):
            line = "| " + " | ".join(c.text for c in row) + " |"
            if key in placed:
                loose.append(next(x.labels[-1] for x in form.T3_ROWS if x.key == key))
                rows.append("| " + " | ".join(c.text for c in row if c.role == "value") + " |")
                continue
            if rows:
                out += [""] + loose + [""] + rows
                loose, rows = [], []
            out.append(line)
        return out

    tables = _tables(pipe_rows)
    tables["表三"] = t3
    return _text(r, tables)


def case_i(r: ReportData) -> str:
    """Plain text: each row's label and its numbers one space apart."""

    def table(t: Table) -> list[str]:
        out = []
        for row in t.rows():
            labels = [c.text for c in row if c.role != "value"]
            values = [c.text for c in row if c.role == "value"]
            out.append(" ".join(labels[-1:] + values) if values else " ".join(labels))
        return out

    return _text(r, _tables(table))


def case_j(r: ReportData) -> str:
    """Sections numbered differently: 总体情况 unnumbered, the tables under 一、二、三, a merged 表四 header."""
    numerals = "一二三四五"

    def heading(key: str, h: str) -> str:
        n = [k for k, _ in form.SECTIONS].index(key)
        body = h.split("、", 1)[1]
        return body if n == 0 else f"{numerals[n - 1]}、{body}"

    def t4(t: Table) -> list[str]:
        return [form.T4_REVIEW + form.T4_SUIT] + pipe_rows(t)[1:]

    tables = _tables(pipe_rows)
    tables["表四"] = t4
    return _text(r, tables, heading=heading)


def case_k(r: ReportData) -> str:
    """One cell per line (the web-page dump) with page footers between a label and its numbers."""

    def table(t: Table) -> list[str]:
        out = []
        for n, row in enumerate(t.rows()):
            for i, c in enumerate(row):
                out.append(f"{c.text} |")
                if c.role == "label" and n % 3 == 0 and i == len([x for x in row if x.role != "value"]) - 1:
                    out.append(FOOTERS[n % len(FOOTERS)])
        return out

    return _text(r, _tables(table))


# --------------------------------------------------------------------------------------------
# L: crawler text, a whole report on one line, each row's cells run together
# --------------------------------------------------------------------------------------------


def report_l() -> ReportData:
    """Small numbers (a run splits uniquely by length or by its total), with designed exceptions:
    表二 行政规范性文件 12/0/15 (no total to check), 表三 予以公开 1/11 (11/1 fits its total too)."""
    rnd = random.Random(5)
    r = ReportData(unit="某某县某某乡人民政府", year=2024, contact="0476-1234567")
    for c in form.CELLS:
        r.values[c.name] = rnd.choice((0, 0, 0, 1, 2))
    r.values.update(
        {
            "t2_normative_issued": 12,
            "t2_normative_repealed": 0,
            "t2_normative_in_force": 15,
            "t2_licensing_decisions": 40,
            "t2_fees_amount": 1.5,
            "t3_open_person": 1,
            "t3_open_business": 11,
        }
    )
    r.with_totals()
    for col in form.T3_APPLICANT_COLUMNS:
        done, new = r.num0(form.t3("total", col)), r.num0(form.t3("new", col))
        r.values[form.t3("carried_in", col)] = max(done - new, 0)
        r.values[form.t3("carried_out", col)] = max(new - done, 0)
    r.with_totals()
    r.narrative = {
        "overview": ["本年度主动公开政府信息120条。"],
        "problems": ["公开内容不够全面。"],
        "other": ["本年度未收取信息处理费。"],
    }
    return r


DROPPED = ("total", "carried_out")  # 表三 rows printed with a digit lost (a column dropped)


def runs(r: ReportData) -> dict[tuple[str, ...], str]:
    """Each row's cells as the crawler printed them: digits run together (a dropped column: one digit less)."""
    out = {}
    for block in form.T2_BLOCKS:
        for item, _ in block.items:
            names = tuple(form.t2(item, m) for m, _ in block.measures)
            out[names] = "".join(cell_text(r, n) for n in names)
    for row in form.T3_ROWS:
        names = tuple(form.t3(row.key, c) for c, _, _ in form.T3_COLUMNS)
        text = "".join(cell_text(r, n) for n in names)
        out[names] = text[:6] if row.key in DROPPED else text
    return out


def case_l(r: ReportData) -> str:
    doc = build_document(r)
    joined = runs(r)
    parts = [doc.preamble]
    for section in doc.sections:
        parts.append(" " + section.heading + " ")
        parts.extend(p.text for p in section.paragraphs)
        if section.key == "active":
            for block in form.T2_BLOCKS:
                parts.append(block.caption + form.T2_ITEM_HEADER + "".join(lab for _, lab in block.measures))
                for item, label in block.items:
                    parts.append(label + joined[tuple(form.t2(item, m) for m, _ in block.measures)])
        elif section.key == "requests":
            parts.append(form.T3_NOTE + " " + " ".join(lab for _, lab, _ in form.T3_COLUMNS) + " ")
            for row in form.T3_ROWS:
                parts.append(row.labels[-1] + " " + joined[tuple(form.t3(row.key, c) for c, _, _ in form.T3_COLUMNS)])
        elif section.key == "appeals":
            parts.append(form.T4_REVIEW + " " + form.T4_SUIT + " " + "".join(lab for _, lab in form.T4_OUTCOMES) * 3)
            parts.append(" " + " ".join(cell_text(r, n) for n in form.CELL_NAMES if n.startswith("t4_")) + " ")
    return f"标题: {doc.title}\n发布时间: 2025-01-20 10:00\n" + "".join(parts) + "\n"
