"""Cross-year links with last year's report: carry-over (X01), in-force stock (X02), year (X04)."""

from __future__ import annotations

from xl_report.core import form
from xl_report.core.findings import Finding
from xl_report.core.report import ReportData
from xl_report.rules.common import cell_finding, fmt, total

_T2_MEASURES = dict(form.T2_BLOCKS[0].measures)  # issued / repealed / in_force -> column header
_T2_ITEMS = form.T2_BLOCKS[0].items  # 规章, 行政规范性文件


def _prev_year(previous: ReportData) -> str:
    return f"上一年度（{previous.year}年）报告" if previous.year else "上一年度报告"


def check_year(report: ReportData, previous: ReportData) -> list[Finding]:
    if report.year is None or previous.year is None or previous.year == report.year - 1:
        return []
    return [
        cell_finding(
            "X04",
            f"所给的上一年度报告是 {previous.year} 年的，本报告是 {report.year} 年，"
            f"跨年度核对应使用 {report.year - 1} 年的报告",
            report,
            "meta_year",
        )
    ]


def check_carry_over(report: ReportData, previous: ReportData) -> list[Finding]:
    out = []
    for col, col_label, _ in form.T3_COLUMNS:
        here, there = form.t3("carried_in", col), form.t3("carried_out", col)
        now, then = report.number(here), previous.number(there)
        if now is None or then is None or now == then:
            continue
        out.append(
            cell_finding(
                "X01",
                f"表三 {col_label}列：{form.T3_ROW_SHORT['carried_in']} {fmt(now)} ≠ {_prev_year(previous)}的"
                f"{form.T3_ROW_SHORT['carried_out']} {fmt(then)}",
                report,
                here,
                (here,),
            )
        )
    return out


def check_stock(report: ReportData, previous: ReportData) -> list[Finding]:
    out = []
    for item, item_label in _T2_ITEMS:
        names = {m: form.t2(item, m) for m in _T2_MEASURES}
        now = {m: report.number(n) for m, n in names.items()}
        before = previous.number(names["in_force"])
        in_force, issued, repealed = now["in_force"], now["issued"], now["repealed"]
        if before is None or in_force is None or issued is None or repealed is None:
            continue
        expected = total([before, issued, -repealed])
        if expected == in_force:
            continue
        out.append(
            cell_finding(
                "X02",
                f"表二 {item_label}：{_T2_MEASURES['in_force']} {fmt(in_force)} "
                f"≠ 上年{_T2_MEASURES['in_force']} {fmt(before)} + {_T2_MEASURES['issued']} {fmt(issued)} "
                f"− {_T2_MEASURES['repealed']} {fmt(repealed)} = {fmt(expected)}（有修改或自然失效的可以不同，请核实）",
                report,
                names["in_force"],
                tuple(names.values()),
            )
        )
    return out


def check(report: ReportData, previous: ReportData | None) -> list[Finding]:
    if previous is None:
        return []
    return check_year(report, previous) + check_carry_over(report, previous) + check_stock(report, previous)
