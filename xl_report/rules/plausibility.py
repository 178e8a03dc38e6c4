"""Plausibility (warnings, mostly): 规章 without 规章制定权 (F11), fees in 元 instead of 万元 (A05),
numbers identical to last year (X03), report published after its deadline (D01)."""

from __future__ import annotations

from xl_report.core import form
from xl_report.core.deadlines import DUE_GOVERNMENT, DUE_OTHER, due_date
from xl_report.core.errors import InputError
from xl_report.core.findings import Finding
from xl_report.core.report import ReportData
from xl_report.core.tally_schema import FEES
from xl_report.rules.common import cell_finding, finding, fmt, label, total

RULE_NAMES = tuple(form.t2("rules", m) for m, _ in form.T2_BLOCKS[0].measures)
FEE_NAME = "t2_fees_amount"
FEE_YUAN_HEADER = next(c.header for c in FEES.columns if c.kind == "number")
FEE_DATE_HEADER = next(c.header for c in FEES.columns if c.kind == "date")
# 万元 above which a fee is more likely 元 typed into the 万元 cell (config: [rules] fee_limit_wan).
FEE_LIMIT_LOCAL = 1000  # 乡镇、街道、县级部门 …
FEE_LIMIT_GOVERNMENT = 100000  # 县级以上人民政府、有规章制定权的机关


def unit_level(report: ReportData) -> form.UnitLevel | None:
    return form.UNIT_LEVEL_BY_LABEL.get(report.level or "")


def check_rules_power(report: ReportData) -> list[Finding]:
    level = unit_level(report)
    if level is None or level.can_make_rules:
        return []
    nonzero = [n for n in RULE_NAMES if report.number(n)]
    if not nonzero:
        return []
    values = "，".join(f"{form.CELL_BY_NAME[n].col_label} {fmt(report.number(n))}" for n in nonzero)
    return [
        cell_finding(
            "F11",
            f"表二 规章：单位类型为“{level.label}”，没有规章制定权，规章一行应为 0（{values}）；"
            f"本单位的文件请计入行政规范性文件",
            report,
            nonzero[0],
            RULE_NAMES,
        )
    ]


def _fee_limit(config: dict | None) -> float | None:
    value = ((config or {}).get("rules") or {}).get("fee_limit_wan")
    if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0):
        raise InputError.at(
            f"配置 [rules] 的 fee_limit_wan“{value}”不对，应为以万元计的数字，如 fee_limit_wan = 1000",
            file=(config or {}).get("_path"),
        )
    return value


def check_fee_unit(report: ReportData, tally=None, config: dict | None = None) -> list[Finding]:
    amount = report.number(FEE_NAME)
    if not amount:
        return []
    level = unit_level(report)
    big = level is not None and (level.can_make_rules or level.county_or_above_government)
    limit = _fee_limit(config) or (FEE_LIMIT_GOVERNMENT if big else FEE_LIMIT_LOCAL)
    fees = tally.columns(FEES.key) if tally is not None else None
    if fees is not None and fees.get(FEE_YUAN_HEADER):
        days = fees.get(FEE_DATE_HEADER) or [None] * len(fees[FEE_YUAN_HEADER])
        yuan = total(
            float(v)
            for v, day in zip(fees[FEE_YUAN_HEADER], days)  # the report year's fees, as fill counts
            if v == v and v is not None and (report.year is None or getattr(day, "year", None) == report.year)
        )
        if yuan and abs(amount - yuan) < 0.005 and abs(amount - yuan / 10000) >= 0.005:
            return [
                cell_finding(
                    "A05",
                    f"{label(FEE_NAME)}：填了 {fmt(amount)}，与{FEES.name}合计 {fmt(yuan)} 元相同；"
                    f"单位是万元，应填 {fmt(total([yuan / 10000]))}",
                    report,
                    FEE_NAME,
                )
            ]
    if amount > limit:
        return [
            cell_finding(
                "A05",
                f"{label(FEE_NAME)}：{fmt(amount)} 万元（即 {fmt(total([amount / 10000]))} 亿元）"
                f"超过 {fmt(limit)} 万元，是否把“元”当成了“万元”填写？",
                report,
                FEE_NAME,
            )
        ]
    return []


def check_same_as_last_year(report: ReportData, previous: ReportData | None) -> list[Finding]:
    if previous is None:
        return []
    nonzero = False
    for name in form.CELL_NAMES:
        v = report.values.get(name)
        if v != previous.values.get(name):
            return []
        nonzero = nonzero or bool(report.number(name))
    if not nonzero:
        return []  # a unit with nothing to report has all zeros every year
    return [
        finding(
            "X03",
            f"表二、表三、表四的全部 {len(form.CELL_NAMES)} 个数字与上一年度"
            f"（{previous.year or '?'}年）报告完全相同，是否沿用了去年的数据？",
        )
    ]


def check_published(report: ReportData, config: dict | None = None) -> list[Finding]:
    level = unit_level(report)
    if report.published is None or report.year is None or level is None:
        return []
    table = (config or {}).get("deadlines") or {}
    government = level.county_or_above_government

    due = due_date(
        report.year, table.get("government", DUE_GOVERNMENT) if government else table.get("other", DUE_OTHER)
    )
    if report.published <= due:
        return []
    days = (report.published - due).days
    return [
        cell_finding(
            "D01",
            f"{form.SHEET_README} {form.META_BY_NAME['meta_published'].label} "
            f"{report.published.isoformat()} 晚于 {level.label}年报的发布期限 {due.isoformat()}（晚 {days} 天）",
            report,
            "meta_published",
        )
    ]


def check(
    report: ReportData, previous: ReportData | None = None, tally=None, config: dict | None = None
) -> list[Finding]:
    return (
        check_rules_power(report)
        + check_fee_unit(report, tally, config)
        + check_same_as_last_year(report, previous)
        + check_published(report, config)
    )
