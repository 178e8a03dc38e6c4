"""Tally (台账) rules: reply deadlines per 条例第三十、三十三条 on the working-day calendar (R01–R03),
duplicate numbers (R04), years whose holiday schedule is unknown (R05).

Deadline = 20 working days after 收到日期 (or 补正收到日期 when 补正 was requested: the clock restarts),
+20 when 延期 was approved, + the working days spent on 征求意见 (第三十二、三十三条). The day of
receipt is not counted; receipt on a day off starts on the next working day.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime
from typing import SupportsInt

from xl_report.core.a1 import column_letter
from xl_report.core.calendar import PACKAGE_YEARS, UnknownYear, WorkCalendar, calendar_from_config
from xl_report.core.findings import Finding
from xl_report.core.tally_schema import REQUESTS
from xl_report.rules.common import finding

REPLY_DAYS = 20  # 第三十三条第二款
EXTENSION_DAYS = 20  # 第三十三条第二款: 延长的期限最长不得超过20个工作日
CORRECTION_NOTICE_DAYS = 7  # 第三十条

ID, RECEIVED, NOTICE, RESUBMITTED, EXTENDED, CONSULT, DONE = (
    "编号",
    "收到日期",
    "补正告知日期",
    "补正收到日期",
    "延期",
    "征求意见工作日",
    "办结日期",
)
assert {ID, RECEIVED, NOTICE, RESUBMITTED, EXTENDED, CONSULT, DONE} <= set(REQUESTS.headers)
ROW = "_row"


def _date(v: object) -> date | None:
    if v is None or v != v:  # None, NaN, NaT
        return None
    if isinstance(v, datetime):
        return v.date()
    return v if isinstance(v, date) else None


def _flag(v: object) -> bool:
    return False if v is None or v != v else bool(v)


def _int(v: object) -> int:
    if v.__class__ is int:  # the reader's counts: no Protocol isinstance (slow) needed
        return v
    if v is None:
        return 0
    try:
        return int(v) if isinstance(v, (SupportsInt, str)) and v == v else 0  # v != v: NaN
    except (TypeError, ValueError):
        return 0


def _where(row: int, header: str) -> dict:
    return {"sheet": REQUESTS.name, "row": row, "cell": f"{column_letter(REQUESTS.headers.index(header) + 1)}{row}"}


def _head(r: dict) -> str:
    ident = f"（编号 {r[ID]}）" if r.get(ID) not in (None, "") and r.get(ID) == r.get(ID) else ""
    return f"{REQUESTS.name} 第{r[ROW]}行{ident}"


def _deadline_text(deadline: date, days: int, extended: bool, consult: int) -> str:
    parts = [f"{REPLY_DAYS} 个工作日"]
    if extended:
        parts.append(f"延期 {EXTENSION_DAYS} 个工作日")
    if consult:
        parts.append(f"征求意见 {consult} 个工作日")
    return (
        f"答复期限 {deadline.isoformat()}（{' + '.join(parts)}）"
        if len(parts) > 1
        else f"答复期限 {deadline.isoformat()}（{days} 个工作日）"
    )


def _check_row(r: dict, cal: WorkCalendar, year_end: date | None) -> list[Finding]:
    out: list[Finding] = []
    received = _date(r.get(RECEIVED))
    if received is None:
        return out
    notice, resubmitted, done = _date(r.get(NOTICE)), _date(r.get(RESUBMITTED)), _date(r.get(DONE))
    extended, consult = _flag(r.get(EXTENDED)), _int(r.get(CONSULT))
    head = _head(r)
    if notice is not None:
        limit = cal.add_workdays(received, CORRECTION_NOTICE_DAYS)
        if notice > limit:
            late = cal.workdays_between(limit, notice)
            out.append(
                finding(
                    "R02",
                    f"{head}：收到日期 {received.isoformat()}，补正告知日期 {notice.isoformat()}，"
                    f"超过 {CORRECTION_NOTICE_DAYS} 个工作日的期限（{limit.isoformat()}）{late} 个工作日",
                    **_where(r[ROW], NOTICE),
                )
            )
        if resubmitted is None:
            return out  # waiting for the applicant's 补正: the reply clock has not started
    start = resubmitted or received
    if done is None and (year_end is None or start > year_end):
        return out  # received after the report year: nothing to say yet
    days = REPLY_DAYS + (EXTENSION_DAYS if extended else 0) + consult
    deadline = cal.add_workdays(start, days)
    since = f"补正收到日期 {start.isoformat()}" if resubmitted else f"收到日期 {start.isoformat()}"
    if done is not None:
        if done > deadline:
            late = cal.workdays_between(deadline, done)
            out.append(
                finding(
                    "R01",
                    f"{head}：{since}，{_deadline_text(deadline, days, extended, consult)}，"
                    f"办结日期 {done.isoformat()}，逾期 {late} 个工作日（{(done - deadline).days} 天）",
                    **_where(r[ROW], DONE),
                )
            )
    elif year_end is not None and start <= year_end and deadline < year_end:
        late = cal.workdays_between(deadline, year_end)
        out.append(
            finding(
                "R03",
                f"{head}：{since}，{_deadline_text(deadline, days, extended, consult)}，"
                f"截至 {year_end.year}年12月31日 仍未办结，已逾期 {late} 个工作日"
                f"（应尽快答复；年报中计入结转下年度，但已属逾期）",
                **_where(r[ROW], DONE),
            )
        )
    return out


def check_duplicates(records: list[dict]) -> list[Finding]:
    rows: dict[str, list[int]] = defaultdict(list)
    for r in records:
        key = r.get(ID)
        if key is None or key != key or str(key).strip() == "":
            continue
        rows[str(key).strip()].append(r[ROW])
    return [
        finding(
            "R04",
            f"{REQUESTS.name}：编号 {key} 重复，见第 {'、'.join(map(str, where))} 行（每件申请一个编号）",
            **_where(where[1], ID),
        )
        for key, where in rows.items()
        if len(where) > 1
    ]


def check(tally, year: int | None = None, config: dict | None = None) -> list[Finding]:
    """Tally rules over the 依申请公开台账 (skipped when the sheet is absent)."""
    cols = tally.columns(REQUESTS.key)
    records = [dict(zip(cols, row)) for row in zip(*cols.values())] if cols else []
    if not records:
        return []
    out = check_duplicates(records)
    cal = calendar_from_config(config)
    year = year or getattr(tally, "year", None)
    year_end = date(year, 12, 31) if year else None
    unknown: Counter[int] = Counter()
    for r in records:
        try:
            out.extend(_check_row(r, cal, year_end))
        except UnknownYear as e:
            unknown[e.year] += 1
    for y, n in sorted(unknown.items()):
        out.append(
            finding(
                "R05",
                f"{y}年的法定节假日和调休安排尚未收录（内置日历只到 {PACKAGE_YEARS[-1]} 年），"
                f"{n} 件申请的答复期限未能核对。"
                "请升级 chinesecalendar，或在配置文件 xl-report.toml 的 [calendar] 中填写 "
                "extra_holidays（放假的工作日）"
                f'和 extra_workdays（调休上班的周末），如 extra_holidays = ["{y}-01-01"]',
                sheet=REQUESTS.name,
            )
        )
    return out
