"""Workbook form: missing tables / named cells, blank or non-numeric cells, unit and year (F02–F06, F12, F13)."""

from __future__ import annotations

from xl_report.core import form
from xl_report.core import normalise as nz
from xl_report.core.findings import Finding
from xl_report.core.report import ReportData
from xl_report.rules.common import cell_finding, finding, label

TABLE_CODES = {"表二": "F02", "表三": "F03", "表四": "F04"}
TABLE_NAMES: dict[str, tuple[str, ...]] = {t: tuple(c.name for c in form.CELLS if c.table == t) for t in form.TABLES}
# What clerks type for "nothing happened" instead of 0 (full- and half-width).
EMPTY_MARKS = frozenset({"/", "／", "-", "－", "—", "——", "–", "无", "空", "暂无", "没有", "n/a", "N/A", "NA"})


def check_missing(report: ReportData) -> list[Finding]:
    out: list[Finding] = []
    missing = set(report.missing)
    if not missing:
        return out
    for table, names in TABLE_NAMES.items():
        gone = [n for n in names if n in missing]
        if not gone:
            continue
        code = TABLE_CODES[table]
        if len(gone) == len(names):
            out.append(
                finding(
                    code,
                    f"工作簿中没有{table}（{form.TABLE_TITLES[table]}）：{len(names)} 个单元格名称都找不到",
                    sheet=table,
                    names=gone,
                )
            )
            continue
        for name in gone:
            out.append(
                finding(code, f"{label(name)}：找不到单元格名称 {name}（模板被改动过？）", sheet=table, name=name)
            )
    return out


def check_cells(report: ReportData) -> list[Finding]:
    out: list[Finding] = []
    missing = set(report.missing)
    values = report.values
    for cell in form.CELLS:
        name = cell.name
        v = values.get(name)
        if v.__class__ is int and v >= 0:
            continue  # the usual case, fine for any kind
        if name in missing:
            continue
        problem = _problem(v, cell.kind)
        if problem:
            code, text = problem
            out.append(cell_finding(code, f"{label(name)}：{text}", report, name))
    return out


def _problem(v: object, kind: str) -> tuple[str, str] | None:
    if v is None:
        return "F05", "空白，没有发生的请填 0"
    if isinstance(v, bool):
        return "F06", f"填的是“{v}”，请填数字"
    if isinstance(v, str):
        s = v.strip()
        if s in EMPTY_MARKS:
            return "F05", f"填了“{s}”，没有发生的请填 0"
        if s.startswith("="):
            return "F06", f"公式“{s}”无法核对，请直接填数字"
        if nz.number_in_text(s) is not None:
            return "F06", (
                f"“{s}”是以文本形式存储的数字，合计公式不会计入它：请改为数值（Excel 中选中该格，点旁边的"
                "感叹号选“转换为数字”；WPS 中点“转换为数字”）"
            )
        return "F06", f"填的是文字“{s}”，请只填数字（文字说明请写到正文中）"
    if not isinstance(v, (int, float)):
        return "F06", f"填的是“{v}”，请填数字"
    if v < 0:
        return "F06", f"{v} 是负数"
    if kind == "count" and not float(v).is_integer():
        return "F06", f"{v} 不是整数（件数只能是整数）"
    return None


def check_meta(report: ReportData) -> list[Finding]:
    out: list[Finding] = []
    meta = form.META_BY_NAME
    if not report.unit:
        out.append(cell_finding("F12", f"{form.SHEET_README} {meta['meta_unit'].label}未填写", report, "meta_unit"))
    if report.year is None:
        out.append(
            cell_finding(
                "F12", f"{form.SHEET_README} {meta['meta_year'].label}未填写或不是四位数的年份", report, "meta_year"
            )
        )
    if not report.level:
        out.append(
            cell_finding(
                "F13",
                f"{form.SHEET_README} {meta['meta_level'].label}未填写，无法判断是否有规章制定权",
                report,
                "meta_level",
            )
        )
    elif report.level not in form.UNIT_LEVEL_BY_LABEL:
        out.append(
            cell_finding(
                "F13",
                f"{form.SHEET_README} {meta['meta_level'].label}“{report.level}”不是下拉列表中的选项",
                report,
                "meta_level",
            )
        )
    return out


def check(report: ReportData) -> list[Finding]:
    return check_missing(report) + check_meta(report) + check_cells(report)
