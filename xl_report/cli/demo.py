"""``xl-report demo``: a synthetic county, end to end, in a few seconds.

12 townships and 8 departments keep tally workbooks spanning two years (requests received late in
the first year are concluded or carried over into the second). Last year's batch runs first; this
year's batch runs against it with --previous and --freeze. A few deliberate mistakes show what the
checks catch: a narrative that contradicts the tables, a report published after its deadline, a
carry-over that does not match last year's, a tally row with its dates the wrong way round, a unit
that never submitted. The frozen reports are then prepared as e-mails in an outbox folder.

The generator (:func:`write_unit`, :func:`synthetic_unit`) is also what ``benchmarks/batch.py`` uses.
"""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from xl_report.batch.fastfill import TemplateFiller
from xl_report.batch.inputs import read_unit_list
from xl_report.batch.model import BatchResult
from xl_report.batch.run import run_batch
from xl_report.core import form
from xl_report.core.report import ReportData
from xl_report.core.tally import Tally
from xl_report.core.tally_schema import (
    APPLICANT_TYPES,
    CASE_CATEGORIES,
    CASE_RESULTS,
    DECISION_CATEGORIES,
    DOC_CATEGORIES,
    TALLY_SHEETS,
)
from xl_report.document.dashboard import write_batch_dashboard
from xl_report.mail import send_files
from xl_report.web.codes import csv_text, issue
from xl_report.web.store import Store
from xl_report.xlsx.fileio import write_bytes_atomic

YEAR = 2024  # a year chinesecalendar knows, so deadlines are checked exactly
COUNTY = "某某县"
TOWNSHIPS = (
    "城关镇",
    "东风镇",
    "红旗乡",
    "青山镇",
    "白河镇",
    "新华乡",
    "永安镇",
    "太平乡",
    "长岭镇",
    "石门乡",
    "柳河镇",
    "团结乡",
)
DEPARTMENTS = (
    "发展和改革局",
    "教育局",
    "公安局",
    "财政局",
    "自然资源局",
    "住房和城乡建设局",
    "卫生健康局",
    "市场监督管理局",
)
COUNTY_MAILBOX = "xxgk@example.gov.cn"
# the deliberate mistakes (unit short name -> what goes wrong)
NARRATIVE_CONTRADICTS = "东风镇"  # text says no requests were received (T02)
PUBLISHED_LATE = "教育局"  # published after the deadline (D01)
CARRY_OVER_LOST = "红旗乡"  # a request carried over from last year vanished from the tally (X01)
BAD_TALLY_ROW = "市场监督管理局"  # concluded before it was received: the unit fails with the row named
NOT_SUBMITTED = "卫生健康局"  # on the list, no file


def full_name(short: str) -> str:
    return f"{COUNTY}{short}人民政府" if short in TOWNSHIPS else f"{COUNTY}{short}"


def level(short: str) -> str:
    return form.UNIT_LEVELS[0].label if short in TOWNSHIPS else form.UNIT_LEVELS[2].label


@dataclass
class UnitData:
    """One unit's tally rows (dicts keyed by tally headers) and its 说明/正文 fields."""

    unit: str
    level: str
    rows: dict[str, list[dict]] = field(default_factory=dict)  # tally sheet key -> rows
    contact: str = ""
    narrative: dict[str, list[str]] = field(default_factory=dict)
    published: date | None = None


def _day(rng: random.Random, year: int, last: int = 365) -> date:
    return date(year, 1, 1) + timedelta(days=rng.randrange(min(last, 365)))


def synthetic_unit(unit: str, unit_level: str, year: int, seed: int | str, size: int = 1) -> UnitData:
    """Two years of plausible tallies for ``unit`` (the report year and the one before)."""
    rng = random.Random(f"{seed}")
    data = UnitData(unit, unit_level, contact=f"0{rng.randrange(310, 999)}-{rng.randrange(1000000, 9999999)}")
    requests = []
    for y in (year - 1, year):
        for i in range(rng.randrange(3, 9) * size):
            received = _day(rng, y)
            days = rng.choice((5, 8, 10, 12, 15, 18, 20, 25))
            done = received + timedelta(days=days)
            row = {
                "编号": f"{y}-{i + 1:03d}",
                "收到日期": received,
                "申请人类型": rng.choice(APPLICANT_TYPES[:3]),
                "申请人": f"申请人{rng.randrange(100, 999)}",
                "申请内容": "申请公开相关政府信息",
            }
            if done <= date(year, 12, 31) and not (y == year and received.month == 12 and rng.random() < 0.7):
                row["办结日期"] = done
                row["办理结果"] = rng.choice(
                    ("予以公开", "予以公开", "部分公开", "无法提供-本机关不掌握相关政府信息", "不予处理-重复申请")
                )
            requests.append(row)
    # a request received at the very end of last year, concluded this year: 上年结转
    requests.append(
        {
            "编号": f"{year - 1}-999",
            "收到日期": date(year - 1, 12, 27),
            "申请人类型": APPLICANT_TYPES[0],
            "办结日期": date(year, 1, 10),
            "办理结果": "予以公开",
        }
    )
    data.rows["requests"] = requests
    data.rows["documents"] = [
        {
            "文件名称": f"关于加强第{i + 1}项工作的通知",
            "文号": f"{unit[-6:]}发〔{y}〕{i + 1}号",
            "类别": DOC_CATEGORIES[1],
            "印发日期": _day(rng, y),
        }
        for y in (year - 1, year)
        for i in range(rng.randrange(1, 4) * size)
    ]
    data.rows["decisions"] = [
        {"类别": rng.choice(DECISION_CATEGORIES), "决定日期": _day(rng, y), "数量": rng.randrange(1, 20)}
        for y in (year - 1, year)
        for _ in range(rng.randrange(2, 6) * size)
    ]
    data.rows["fees"] = [
        {"收费项目": "不动产登记费", "收费日期": _day(rng, y), "金额（元）": float(rng.randrange(80, 550) * 10)}
        for y in (year - 1, year)
        for _ in range(rng.randrange(0, 3) * size)
    ]
    cases = []
    for y in (year - 1, year):
        for i in range(rng.randrange(0, 3)):
            received = _day(rng, y, 300)
            closed = received + timedelta(days=rng.randrange(30, 90))
            row = {"案件编号": f"复{y}-{i + 1}", "类别": rng.choice(CASE_CATEGORIES), "收到日期": received}
            if closed <= date(year, 12, 31) and rng.random() < 0.8:
                row["结果"], row["结案日期"] = rng.choice(CASE_RESULTS), closed
            cases.append(row)
    data.rows["cases"] = cases
    data.narrative = narrative(unit, year)
    return data


def narrative(unit: str, year: int) -> dict[str, list[str]]:
    """正文 with placeholders, so the text always agrees with the tables."""
    return {
        "overview": [
            form.OVERVIEW_TOPICS[0],
            f"{year}年，{unit}坚持以公开为常态、不公开为例外，及时主动公开各类政府信息。",
            form.OVERVIEW_TOPICS[1],
            "本年度共收到政府信息公开申请{新收}件，上年结转{上年结转}件，办结{办结}件，结转下年度继续办理{结转下年度}件。",
        ],
        "problems": ["（一）主动公开的及时性有待提高。", "（二）改进措施：建立信息发布审核台账，按月检查。"],
        "other": ["本年度未收取信息处理费。"],
    }


def as_of(data: UnitData, end: date) -> UnitData:
    """The tally as it stood on ``end``: later rows absent, later conclusions not yet known."""
    out = UnitData(data.unit, data.level, contact=data.contact, narrative=narrative(data.unit, end.year))
    dated = {
        "requests": "收到日期",
        "documents": "印发日期",
        "decisions": "决定日期",
        "fees": "收费日期",
        "cases": "收到日期",
    }
    later = {"requests": ("办结日期", "办理结果"), "cases": ("结案日期", "结果"), "documents": ("废止日期",)}
    for key, rows in data.rows.items():
        kept = []
        for row in rows:
            if row[dated[key]] > end:
                continue
            row = dict(row)
            cols = later.get(key, ())
            if cols and row.get(cols[0]) and row[cols[0]] > end:
                for c in cols:
                    row.pop(c, None)
            kept.append(row)
        out.rows[key] = kept
    return out


def unit_tally(data: UnitData, year: int) -> Tally:
    """The unit's tally rows as a Tally, as typed (not validated)."""
    import pandas as pd  # lazy: pandas (~0.5 s) only for the demo's generated DataFrames

    return Tally(
        source=data.unit,
        unit=data.unit,
        year=year,
        **{
            sheet.key: pd.DataFrame(
                [[r.get(h) for h in sheet.headers] for r in data.rows[sheet.key]],
                columns=list(sheet.headers),
                dtype=object,
            )
            for sheet in TALLY_SHEETS
            if sheet.key in data.rows
        },
    )


_FILLER = None


def unit_workbook(data: UnitData, year: int) -> bytes:
    """The unit's tally workbook (the template with its tally sheets, 说明 and 正文 filled) as bytes."""
    global _FILLER
    if _FILLER is None:
        _FILLER = TemplateFiller()

    # rows are written as typed (not validated: a demo unit keeps its deliberate slip)
    tally = unit_tally(data, year)
    report = ReportData(
        unit=data.unit,
        year=year,
        contact=data.contact,
        level=data.level,
        published=data.published,
        values={n: 0 for n in form.CELL_NAMES if not form.CELL_BY_NAME[n].computed},
        narrative=data.narrative,
    )
    return _FILLER.fill(report, tally=tally)


def write_unit(path: Path, data: UnitData, year: int) -> Path:
    write_bytes_atomic(path, unit_workbook(data, year))
    return path


def _break_row(data: UnitData) -> None:
    """A clerk's slip: concluded before it was received."""
    row = next(r for r in data.rows["requests"] if r.get("办结日期"))
    row["办结日期"] = row["收到日期"] - timedelta(days=3)


# --------------------------------------------------------------------------------------------
# The demo run
# --------------------------------------------------------------------------------------------


@dataclass
class DemoResult:
    root: Path
    previous_dir: Path
    output_dir: Path
    batch: BatchResult  # this year's
    previous_batch: BatchResult
    outbox: Path | None = None
    mails: int = 0
    html: Path | None = None  # 汇总.html
    web: WebDemo | None = None


def prepare_county(root: Path, year: int = YEAR) -> tuple[Path, Path, Path]:
    """Write last year's and this year's tally folders and the unit list. Returns their paths."""
    prev_in = root / "输入" / f"{year - 1}年台账"
    this_in = root / "输入" / f"{year}年台账"
    units_file = root / "输入" / "单位名单.toml"
    names = [full_name(s) for s in TOWNSHIPS + DEPARTMENTS]
    lines = ["# 应报送年报的单位（xl-report batch --units 用它找出未报送的单位）", "units = ["]
    lines += [f'  "{n}",' for n in names] + ["]", ""]
    write_bytes_atomic(units_file, "\n".join(lines).encode("utf-8"))
    for i, short in enumerate(TOWNSHIPS + DEPARTMENTS):
        if short == NOT_SUBMITTED:
            continue
        unit = full_name(short)
        data = synthetic_unit(unit, level(short), year, seed=i)
        write_unit(prev_in / f"{unit}.xlsx", as_of(data, date(year - 1, 12, 31)), year - 1)
        if short == NARRATIVE_CONTRADICTS:
            data.narrative = dict(
                data.narrative, overview=["本年度未收到政府信息公开申请。"] + data.narrative["overview"][2:]
            )
        if short == PUBLISHED_LATE:
            data.published = date(year + 1, 3, 20)
        if short == CARRY_OVER_LOST:  # deleted by mistake after last year's report was filed
            data.rows["requests"] = [r for r in data.rows["requests"] if r["编号"] != f"{year - 1}-999"]
        if short == BAD_TALLY_ROW:
            _break_row(data)
        write_unit(this_in / f"{unit}.xlsx", data, year)
    return prev_in, this_in, units_file


def run_demo(root: Path | str, *, jobs: int | None = None, progress=None, year: int = YEAR) -> DemoResult:
    root = Path(root)
    prev_in, this_in, units_file = prepare_county(root, year)
    prev_out = root / "输出" / f"{year - 1}年"
    this_out = root / "输出" / f"{year}年"
    previous = run_batch(prev_in, prev_out, year=year - 1, jobs=jobs, units=units_file, progress=False)
    batch = run_batch(
        this_in,
        this_out,
        year=year,
        jobs=jobs,
        freeze=True,
        previous=prev_out,
        units=units_file,
        progress=progress if progress is not None else False,
    )
    result = DemoResult(root, prev_out, this_out, batch, previous)
    result.html = write_batch_dashboard(batch)
    result.outbox, result.mails = _prepare_mail(batch, root / "发件箱")
    result.web = prepare_web(root, previous, units_file, year)
    return result


@dataclass
class WebDemo:
    data: Path  # serve --data
    units: Path  # serve --units
    year: int
    token: str  # the county's, for this demo only
    codes: list[tuple[str, str]]  # (unit, access code)
    codes_csv: Path
    tallies: Path  # the workbooks a clerk can upload


def prepare_web(root: Path, previous, units_file: Path, year: int = YEAR) -> WebDemo:
    """A data folder for ``xl-report serve``: access codes for every unit, and last year's reports in
    last year's inbox (the dashboard compares with them; a clerk may start from them)."""
    data = root / "网页数据"
    last_inbox = Store(data, year - 1).inbox()
    for u in previous.units:
        if u.file:
            write_bytes_atomic(last_inbox / u.file, (previous.outdir / u.file).read_bytes())
    codes = issue(data, read_unit_list(units_file)) or []
    codes_csv = root / "登录码.csv"
    if codes:
        write_bytes_atomic(codes_csv, csv_text(codes).encode("utf-8"))
    return WebDemo(data, units_file, year, secrets.token_urlsafe(24), codes, codes_csv, root / "输入" / f"{year}年台账")


def _prepare_mail(batch: BatchResult, outbox: Path) -> tuple[Path | None, int]:
    frozen = [batch.outdir / u.file for u in batch.units if u.fingerprint and u.file]
    if not frozen:
        return None, 0
    config = {"upward": {"to": [COUNTY_MAILBOX], "outbox": str(outbox), "sent_log": str(outbox / "已发送.json")}}
    report = send_files(frozen, config, dry_run=True, outbox=outbox)
    return outbox, len(frozen) if report is not None else 0
