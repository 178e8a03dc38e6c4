"""Native Excel charts (openpyxl.chart) of the county's figures: a 图表 sheet with the figures of each
unit as a table and, beside it, the charts drawn from that table (they stay live in Excel and WPS).
The same figures the dashboard (汇总.html) draws."""

from __future__ import annotations

from openpyxl.chart import BarChart, PieChart, Reference
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from xl_report.core.figures import CONCLUDED, RECEIVED, RESULT_GROUPS
from xl_report.xlsx.workbook import set_text

SHEET_CHARTS = "图表"
HEAD_FILL = PatternFill("solid", fgColor="DDEBF7")
LAST_YEAR = "上年新收"


FIRST_ROW = 2  # of the table of figures, one row per unit, under its header


def table_row(unit: str, fig: dict, last: dict | None) -> list:
    """One unit's row of the table the charts are drawn from: name, this year's figures, last year's 新收."""
    return [unit, *(fig.get(key, 0) for key in (RECEIVED, CONCLUDED, *RESULT_GROUPS)), (last or {}).get(RECEIVED)]


def add_chart_sheet(
    wb: Workbook, rows: list[tuple[str, dict, dict | None]], year: int | None, *, table: bool = True
) -> Worksheet:
    """``rows``: (unit, this year's figures, last year's figures or None) of every unit with a report.
    ``table=False``: the units' rows of the table (:func:`table_row`, from :data:`FIRST_ROW` on) are left
    for the caller to stream into the saved sheet (the summary does: hundreds of openpyxl cells are slow)."""
    ws = wb.create_sheet(SHEET_CHARTS)
    results = list(RESULT_GROUPS)
    heads = ["单位名称", RECEIVED, CONCLUDED, *results, LAST_YEAR]
    for j, h in enumerate(heads, start=1):
        c = ws.cell(1, j)
        set_text(c, h)
        c.font, c.fill = Font(bold=True), HEAD_FILL
    ws.column_dimensions["A"].width = 30
    for i, row in enumerate(rows if table else (), start=FIRST_ROW):
        unit, *numbers = table_row(*row)
        set_text(ws.cell(i, 1), unit)
        for j, value in enumerate(numbers, start=2):
            ws.cell(i, j, value)
    n = len(rows)
    if not n:
        set_text(ws.cell(3, 1), "没有单位的年报，暂无图表。")
        return ws
    last_row = n + 1
    cats = Reference(ws, min_col=1, min_row=2, max_row=last_row)
    height = max(7.5, 0.5 * n + 3)  # cm: one bar group per unit stays readable
    anchor_col = get_column_letter(len(heads) + 2)
    title = f"{year}年" if year else ""

    received = _bar(f"{title}各单位政府信息公开申请：新收与办结（件）", height)
    received.add_data(Reference(ws, min_col=2, max_col=3, min_row=1, max_row=last_row), titles_from_data=True)
    received.set_categories(cats)
    ws.add_chart(received, f"{anchor_col}1")

    mix = _bar("各单位办理结果构成（件）", height)
    mix.grouping, mix.overlap = "stacked", 100
    mix.add_data(Reference(ws, min_col=4, max_col=3 + len(results), min_row=1, max_row=last_row), titles_from_data=True)
    mix.set_categories(cats)
    ws.add_chart(mix, f"{anchor_col}{_rows_for(height) + 3}")

    years = _bar("本年与上年比较：新收申请（件）", height)
    years.add_data(Reference(ws, min_col=2, min_row=1, max_row=last_row), titles_from_data=True)
    years.add_data(Reference(ws, min_col=len(heads), min_row=1, max_row=last_row), titles_from_data=True)
    years.set_categories(cats)
    ws.add_chart(years, f"{anchor_col}{2 * _rows_for(height) + 5}")

    # the county's result mix: a total row under the table feeds the pie
    total = last_row + 2
    set_text(ws.cell(total, 1), "全县合计")
    ws.cell(total, 1).font = Font(bold=True)
    for j, key in enumerate(heads[1:-1], start=2):  # numbers, not formulas: openpyxl caches no results
        ws.cell(total, j, sum(fig.get(key, 0) for _, fig, _ in rows))
    pie = PieChart()
    pie.title = "全县办理结果构成（件）"
    pie.add_data(Reference(ws, min_col=4, max_col=3 + len(results), min_row=total), from_rows=True)
    pie.set_categories(Reference(ws, min_col=4, max_col=3 + len(results), min_row=1))
    pie.height, pie.width = 9, 14
    ws.add_chart(pie, f"{anchor_col}{3 * _rows_for(height) + 7}")
    ws.freeze_panes = "B2"
    return ws


def _bar(title: str, height: float) -> BarChart:
    chart = BarChart()
    chart.type = "bar"  # horizontal: long unit names stay legible
    chart.title = title
    chart.height, chart.width = height, 18
    chart.y_axis.majorGridlines = None
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    return chart


def _rows_for(height_cm: float) -> int:
    return int(height_cm / 0.53) + 1  # default row height 15 pt ≈ 0.53 cm
