"""Clean, internally consistent report data for the rule tests (and the workbooks built from it)."""

from __future__ import annotations

import copy
from datetime import date
from pathlib import Path

import pandas as pd

from xl_report.core.report import ReportData
from xl_report.core.tally import Tally
from xl_report.core.tally_schema import REQUESTS
from xl_report.xlsx.fileio import save_workbook
from xl_report.xlsx.template import build_template
from xl_report.xlsx.workbook import write_report

UNIT = "某某县某某镇人民政府"
YEAR = 2024

NARRATIVE = {
    "overview": [
        "（二）依申请公开",
        "本年度共收到政府信息公开申请{新收}件，上年结转{上年结转}件，办结{办结}件，结转下年度继续办理{结转下年度}件。",
        "其中予以公开6件，部分公开2件，不予公开1件。",
        "2024年，本镇收到行政复议2件，行政诉讼1件。",
    ],
    "problems": ["（一）2023年工作中存在问题的改进情况"],
    "other": ["本年度未收取信息处理费。统计期限为2024年1月1日至2024年12月31日。"],
}


def clean_report(**meta) -> ReportData:
    r = ReportData.zeros(
        unit=UNIT, year=YEAR, level="乡镇人民政府", contact="0476-5326621", published=date(YEAR + 1, 1, 20)
    )
    r.values.update(
        t2_normative_issued=3,
        t2_normative_repealed=1,
        t2_normative_in_force=12,
        t2_licensing_decisions=120,
        t2_penalty_decisions=15,
        t2_coercion_decisions=2,
        t2_fees_amount=1.25,
        t3_new_person=10,
        t3_new_business=2,
        t3_new_legal=1,
        t3_carried_in_person=2,
        t3_open_person=6,
        t3_partial_person=2,
        t3_unable_1_person=1,
        t3_reject_2_person=1,
        t3_deny_4_business=1,
        t3_other_3_legal=1,
        t3_carried_out_person=2,
        t3_carried_out_business=1,
        t4_review_upheld=1,
        t4_review_pending=1,
        t4_suit_direct_corrected=1,
    )
    r.narrative = copy.deepcopy(NARRATIVE)
    for k, v in meta.items():
        setattr(r, k, v)
    return r.with_totals()


def previous_report() -> ReportData:
    p = ReportData.zeros(unit=UNIT, year=YEAR - 1, level="乡镇人民政府")
    p.values.update(
        t3_new_person=5, t3_open_person=3, t3_carried_out_person=2, t2_normative_issued=2, t2_normative_in_force=10
    )
    return p.with_totals()


def requests_frame(rows: list[dict]) -> pd.DataFrame:
    """A 依申请公开台账 DataFrame as read_tally returns it: schema headers + _row, missing as None."""
    df = pd.DataFrame(
        [{h: r.get(h) for h in REQUESTS.headers} for r in rows], columns=list(REQUESTS.headers), dtype=object
    )
    df["延期"] = [bool(r.get("延期", False)) for r in rows]
    df["_row"] = list(range(2, 2 + len(rows)))
    return df


def tally(rows: list[dict], year: int = YEAR) -> Tally:
    return Tally(requests=requests_frame(rows), year=year)


def write_workbook(
    path: Path, report: ReportData, requests: list[dict] | None = None, *, as_filled: bool = True
) -> Path:
    """The template filled with ``report`` (totals stay formulas), plus 依申请公开台账 rows. With rows
    and ``as_filled``, 表三 holds what they give (as fill writes it: table ≡ tally, R07)."""
    from .tally_factory import write_rows

    wb = build_template()
    if requests and as_filled:
        report = _with_table3_of(report, requests)
    write_report(report, wb, narrative=True)
    if requests:
        write_rows(wb[REQUESTS.name], REQUESTS, requests)
    save_workbook(wb, path)
    return path


def _with_table3_of(report: ReportData, requests: list[dict]) -> ReportData:
    """``report`` with 表三 as aggregated from ``requests`` (rows the tally parser cannot read: unchanged)."""
    from xl_report.core.aggregate import aggregate
    from xl_report.core.errors import TallyErrors
    from xl_report.core.tally import tally_from_frames

    rows = [list(REQUESTS.headers)] + [[r.get(h) for h in REQUESTS.headers] for r in requests]
    try:
        tally = tally_from_frames({REQUESTS.name: rows})
    except TallyErrors:
        return report
    out = copy.deepcopy(report)
    out.values.update(aggregate(tally, report.year).report.values)
    return out
