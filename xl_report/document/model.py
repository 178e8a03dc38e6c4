"""The report document built once from ReportData; the .docx/.html/.md writers only lay it out.

Every label and the merge structure of the three tables come from :mod:`xl_report.core.form`. A table
is a grid of placed cells (row, col, rowspan, colspan), the same shape as an HTML table or a Word
table with merged cells, so each writer is a straight walk over it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from xl_report.core import form
from xl_report.core.errors import InputError, Problem
from xl_report.core.report import ReportData

CellRole = Literal["header", "label", "value"]


@dataclass(frozen=True)
class GridCell:
    row: int
    col: int
    text: str
    role: CellRole
    rowspan: int = 1
    colspan: int = 1
    name: str | None = None  # the form cell name of a value cell
    align: Literal["center", "left"] = "center"


@dataclass(frozen=True)
class Table:
    key: str  # "表二" | "表三" | "表四"
    nrows: int
    ncols: int
    cells: tuple[GridCell, ...]
    # relative column widths (the writers scale them to the page)
    widths: tuple[float, ...]
    head_rows: int = 0  # column-header rows to repeat when the table breaks across pages

    def rows(self) -> list[list[GridCell]]:
        """Cells that start in each row, left to right (HTML order)."""
        out: list[list[GridCell]] = [[] for _ in range(self.nrows)]
        for c in sorted(self.cells, key=lambda c: (c.row, c.col)):
            out[c.row].append(c)
        return out

    def covering(self) -> list[list[GridCell]]:
        """For every grid position the cell that covers it (merged cells repeat)."""
        grid: list[list[GridCell | None]] = [[None] * self.ncols for _ in range(self.nrows)]
        for c in self.cells:
            for r in range(c.row, c.row + c.rowspan):
                for k in range(c.col, c.col + c.colspan):
                    assert grid[r][k] is None, f"{self.key}: overlapping cells at {r},{k}"
                    grid[r][k] = c
        assert all(all(g is not None for g in row) for row in grid), f"{self.key}: hole in the grid"
        return grid  # type: ignore[return-value]


@dataclass(frozen=True)
class Paragraph:
    text: str
    subheading: bool = False  # （一）主动公开 … — 楷体 in the .docx


@dataclass(frozen=True)
class Section:
    key: str
    heading: str
    paragraphs: tuple[Paragraph, ...] = ()
    table: Table | None = None


@dataclass(frozen=True)
class ReportDocument:
    title: str
    # where a long title may break (unit / year+suffix): GB/T 9704 wants breaks between words
    title_lines: tuple[str, ...]
    preamble: str
    sections: tuple[Section, ...]
    warnings: tuple[str, ...] = field(default=())

    def tables(self) -> list[Table]:
        return [s.table for s in self.sections if s.table is not None]


# --------------------------------------------------------------------------------------------
# Numbers
# --------------------------------------------------------------------------------------------


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean(text: str) -> str:
    """Input text without control characters (not allowed in XML, invisible on paper)."""
    return _CONTROL.sub("", text)


def format_value(value: object, kind: form.Kind = "count") -> str:
    """Counts as integers; 万元 amounts with up to 4 decimals, trailing zeros trimmed; blank stays blank.

    A cell holding text (an unparsed entry such as '/') is shown as it is: the check reports it,
    the render does not invent a number.
    """
    if value is None or isinstance(value, bool):
        return ""
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            return str(value)
        if kind == "amount" or (isinstance(value, float) and not float(value).is_integer()):
            text = f"{value:.4f}".rstrip("0").rstrip(".")
            return "0" if text in ("-0", "") else text
        return str(int(value))
    return clean(str(value)).strip()


def cell_text(report: ReportData, name: str) -> str:
    return format_value(report.values.get(name), form.CELL_BY_NAME[name].kind)


# --------------------------------------------------------------------------------------------
# Placeholders in the narrative
# --------------------------------------------------------------------------------------------

# A placeholder is {中文名}. Braces around anything else ({2021}, {x}) are ordinary text: real
# reports write "国办公开{2021}30号".
PLACEHOLDER = re.compile(r"\{([\u4e00-\u9fff][^{}\s]{0,15})\}")


def substitute(text: str, report: ReportData, where: str, problems: list[Problem]) -> str:
    """Replace {新收} etc. by the table value. Unknown names and blank cells are errors, collected
    in ``problems``: a published sentence must never disagree with the table or show a brace."""

    def repl(m: re.Match) -> str:
        key = m.group(1)
        name = form.PLACEHOLDERS.get(key)
        if name is None:
            known = "、".join(f"{{{k}}}" for k in form.PLACEHOLDERS)
            problems.append(Problem(f"{where}：未知的占位符 {m.group(0)}（可用：{known}）", sheet=form.SHEET_NARRATIVE))
            return m.group(0)
        value = cell_text(report, name)
        if value == "":
            problems.append(
                Problem(
                    f"{where}：占位符 {m.group(0)} 对应的{form.CELL_BY_NAME[name].caption} 为空",
                    sheet=form.SHEET_NARRATIVE,
                )
            )
            return m.group(0)
        return value

    return PLACEHOLDER.sub(repl, text)


SUBHEADING = re.compile(r"^[（(][一二三四五六七八九十]+[）)]")


def is_subheading(text: str) -> bool:
    """'（一）主动公开' on its own line is a sub-heading; a numbered sentence is body text."""
    return bool(SUBHEADING.match(text)) and len(text) <= 30 and not text.endswith(("。", "；", "：", ":"))


# --------------------------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------------------------


def _headers(paths: Sequence[tuple[str, ...]], top: int, left: int) -> tuple[list[GridCell], int]:
    depth = max(len(p) for p in paths)
    cells = [
        GridCell(top + level, left + first, label, "header", rowspan=end_level - level + 1, colspan=last - first + 1)
        for level, first, last, end_level, label in form.label_spans(paths, depth)
    ]
    return cells, depth


def _value(report: ReportData, name: str, row: int, col: int, colspan: int = 1) -> GridCell:
    return GridCell(row, col, cell_text(report, name), "value", colspan=colspan, name=name)


def table_t2(report: ReportData) -> Table:
    ncols = 1 + max(len(b.measures) for b in form.T2_BLOCKS)
    cells: list[GridCell] = []
    r = 0
    for block in form.T2_BLOCKS:
        cells.append(GridCell(r, 0, block.caption, "header", colspan=ncols))
        r += 1
        span = ncols - 1 - len(block.measures)  # a single measure stretches over the free columns
        cells.append(GridCell(r, 0, form.T2_ITEM_HEADER, "header"))
        for j, (_, label) in enumerate(block.measures):
            cells.append(GridCell(r, 1 + j, label, "header", colspan=1 + span if j == len(block.measures) - 1 else 1))
        r += 1
        for item, label in block.items:
            cells.append(GridCell(r, 0, label, "label"))
            for j, (measure, _) in enumerate(block.measures):
                last = j == len(block.measures) - 1
                cells.append(_value(report, form.t2(item, measure), r, 1 + j, 1 + span if last else 1))
            r += 1
    return Table("表二", r, ncols, tuple(cells), (1.6,) + (1.0,) * (ncols - 1))


def table_t3(report: ReportData) -> Table:
    label_cols = max(len(r.labels) for r in form.T3_ROWS)
    headers, depth = _headers(form.T3_COLUMN_PATHS, 0, label_cols)
    cells = [GridCell(0, 0, form.T3_NOTE, "header", rowspan=depth, colspan=label_cols), *headers]
    row_paths = [r.labels for r in form.T3_ROWS]
    for level, first, last, end_level, label in form.label_spans(row_paths, label_cols):
        leaf = end_level == label_cols - 1 and level == len(row_paths[first]) - 1
        cells.append(
            GridCell(
                depth + first,
                level,
                label,
                "label",
                rowspan=last - first + 1,
                colspan=end_level - level + 1,
                align="left" if leaf else "center",
            )
        )
    for i, row in enumerate(form.T3_ROWS):
        for j, (col, _, _) in enumerate(form.T3_COLUMNS):
            cells.append(_value(report, form.t3(row.key, col), depth + i, label_cols + j))
    ncols = label_cols + len(form.T3_COLUMNS)
    # millimetres on the 156mm text width: 4 characters of 小五 fit the （三）不予公开 column
    return Table(
        "表三",
        depth + len(form.T3_ROWS),
        ncols,
        tuple(cells),
        (14, 17, 44.5) + (11.5,) * len(form.T3_COLUMNS),
        head_rows=depth,
    )


def table_t4(report: ReportData) -> Table:
    headers, depth = _headers(form.T4_COLUMN_PATHS, 0, 0)
    values = [
        _value(report, form.t4(g, o), depth, gi * len(form.T4_OUTCOMES) + oi)
        for gi, (g, _) in enumerate(form.T4_GROUPS)
        for oi, (o, _) in enumerate(form.T4_OUTCOMES)
    ]
    ncols = len(values)
    return Table("表四", depth + 1, ncols, tuple(headers + values), (1.0,) * ncols, head_rows=depth)


TABLE_BUILDERS = {"active": table_t2, "requests": table_t3, "appeals": table_t4}

# --------------------------------------------------------------------------------------------
# The document
# --------------------------------------------------------------------------------------------


def title_of(report: ReportData) -> str:
    return f"{clean(report.unit or '')}{report.year}{form.REPORT_TITLE_SUFFIX}"


def preamble_of(report: ReportData) -> str:
    parts = "、".join(title.split("、", 1)[1] for _, title in form.SECTIONS)
    y = report.year
    contact = f"（电话：{clean(report.contact)}）" if report.contact else ""
    return (
        f"本报告根据《{form.REGULATION_NAME}》（以下简称《条例》）和《{form.FORM_NAME}》（{form.FORM_ID}）编制。"
        f"全文包括{parts}。所列数据统计期限为{y}年1月1日至{y}年12月31日。"
        f"如对本报告有疑问，请与{clean(report.unit or '')}联系{contact}。"
    )


def build_document(report: ReportData) -> ReportDocument:
    """The whole report, or InputError listing every problem that would make it wrong."""
    problems: list[Problem] = []
    if not report.unit:
        problems.append(Problem("缺少单位名称（说明 表 单位名称）", sheet=form.SHEET_README))
    if not report.year:
        problems.append(Problem("缺少报告年度（说明 表 报告年度）", sheet=form.SHEET_README))
    warnings: list[str] = []
    sections: list[Section] = []
    for key, heading in form.SECTIONS:
        if key in TABLE_BUILDERS:
            sections.append(Section(key, heading, table=TABLE_BUILDERS[key](report)))
            continue
        paras = []
        for i, text in enumerate(report.narrative.get(key, []), start=1):
            text = clean(text).strip()
            if text:
                text = substitute(text, report, f"“{heading}”第{i}段", problems)
                paras.append(Paragraph(text, subheading=is_subheading(text)))
        if not any(not p.subheading for p in paras):
            warnings.append(f"“{heading}”没有正文内容")
        sections.append(Section(key, heading, tuple(paras)))
    if problems:
        raise InputError(f"无法生成年报（{report.source or '报告数据'}）：", problems)
    if not report.contact:
        warnings.append("缺少联系电话，前言中不写电话")
    blank = [n for n in form.CELL_NAMES if report.values.get(n) is None]
    if blank:
        warnings.append(f"{len(blank)} 个表格单元格为空，年报中留空（如 {form.CELL_BY_NAME[blank[0]].caption}）")
    odd = [n for n in form.CELL_NAMES if report.values.get(n) is not None and report.number(n) is None]
    if odd:
        warnings.append(f"{len(odd)} 个表格单元格不是数字，按原文照录（如 {form.CELL_BY_NAME[odd[0]].caption}）")
    lines = (clean(report.unit or ""), f"{report.year}{form.REPORT_TITLE_SUFFIX}")
    return ReportDocument(
        title=title_of(report),
        title_lines=lines,
        preamble=preamble_of(report),
        sections=tuple(sections),
        warnings=tuple(warnings),
    )
