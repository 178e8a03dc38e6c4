"""The county summary: OUTDIR/汇总.xlsx and OUTDIR/findings.json.

汇总.xlsx holds one row per unit (status, error and warning counts, headline numbers, fingerprint,
a link to the unit's file), the 全县合计 roll-up of 表二/表三/表四 in the official layout — the
template's own table sheets, not a redrawing — itself checked, and every finding.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from . import __version__, form
from .fileio import save_workbook, write_bytes_atomic
from .findings import SEVERITY_LABELS, Finding, count
from .report import ReportData
from .workbook import set_text, write_report

if TYPE_CHECKING:
    from .batch import BatchResult

SUMMARY_FILE = "汇总.xlsx"
FINDINGS_FILE = "findings.json"
SHEET_SUMMARY = "汇总"
ROLLUP = "全县合计"
STATUS_FILLS = {"成功": "E2EFDA", "有错误": "FCE4D6", "失败": "F8CBAD", "未提交": "EDEDED"}
HEAD_FILL = PatternFill("solid", fgColor="DDEBF7")
BOLD = Font(bold=True)
WRAP = Alignment(vertical="top", wrap_text=True)


def rollup(units, year: int | None) -> ReportData:
    """Cell-by-cell sum of every unit that produced a report (text in a number cell counts as 0)."""
    values: dict[str, float | int] = {}
    for name in form.CELL_NAMES:
        total = 0
        for u in units:
            v = u.values.get(name)
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                total += v
        values[name] = round(total, 4) if isinstance(total, float) else total
    return ReportData(unit=ROLLUP, year=year, values=values).with_totals()


def check_rollup(report: ReportData, config: dict | None = None) -> list[Finding]:
    """The table checks on the roll-up (unit metadata such as 联系电话 does not apply to a sum)."""
    from .rules import check

    return [f for f in check(report, narrative={}, config=config)
            if not (f.name or "").startswith("meta_") and f.sheet != form.SHEET_README]


def write_summary(batch: "BatchResult", year: int | None = None, config: dict | None = None) -> None:
    units = [u for u in batch.units if u.has_report]
    years = sorted({u.year for u in units if u.year})
    year = year or (years[-1] if years else None)
    batch.rollup = rollup(units, year)
    batch.rollup_findings = check_rollup(batch.rollup, config)
    out = batch.outdir
    save_workbook(summary_book(batch, year), out / SUMMARY_FILE, deterministic=True)
    batch.summary_path = out / SUMMARY_FILE
    write_bytes_atomic(out / FINDINGS_FILE, json.dumps(findings_json(batch, year), ensure_ascii=False, indent=1,
                                                      default=str).encode("utf-8"))
    batch.findings_path = out / FINDINGS_FILE


def findings_json(batch: "BatchResult", year: int | None) -> dict:
    return {
        "tool": f"xl-report {__version__}",
        "year": year,
        "counts": batch.counts(),
        "units": [{
            "unit": u.unit, "source": u.source or None, "file": u.file, "status": u.status, "reason": u.reason,
            "errors": u.errors, "warnings": u.warnings, "fingerprint": u.fingerprint, "headline": u.headline,
            "notes": u.notes, "findings": u.findings,
        } for u in batch.units],
        "rollup": {
            "unit": ROLLUP,
            "values": batch.rollup.values if batch.rollup else {},
            "findings": [f.to_json() for f in batch.rollup_findings],
        },
    }


# --------------------------------------------------------------------------------------------
# The workbook
# --------------------------------------------------------------------------------------------

COLUMNS = ("序号", "单位名称", "状态", "错误", "提示", "新收", "上年结转", "办结", "结转下年度", "复议", "诉讼",
           "定稿指纹", "文件", "说明")
WIDTHS = (6, 30, 8, 6, 6, 8, 9, 8, 10, 6, 6, 16, 30, 60)


def summary_book(batch: "BatchResult", year: int | None):
    from .batch import HEADLINES, headline
    from .template import build_template

    wb = build_template()
    _keep_tables(wb)
    ws = wb.create_sheet(SHEET_SUMMARY, 0)
    title = f"{year}年度" if year else ""
    set_text(ws.cell(1, 1), f"{title}政府信息公开工作年度报告汇总（共 {len(batch.units)} 个单位）")
    ws.cell(1, 1).font = Font(bold=True, size=14)
    counts = batch.counts()
    set_text(ws.cell(2, 1), "，".join(f"{k} {v} 个" for k, v in counts.items()))
    for j, (label, width) in enumerate(zip(COLUMNS, WIDTHS), start=1):
        c = ws.cell(3, j)
        set_text(c, label)
        c.font, c.fill = BOLD, HEAD_FILL
        ws.column_dimensions[get_column_letter(j)].width = width
    r = 4
    for i, u in enumerate(batch.units, start=1):
        note = u.reason or "；".join(u.notes)
        row = [i, u.unit, u.status, u.errors if u.source else None, u.warnings if u.source else None,
               *(u.headline.get(k) for k in HEADLINES), (u.fingerprint or "")[:12] or None, u.file, note or None]
        _write_row(ws, r, row)
        ws.cell(r, 3).fill = PatternFill("solid", fgColor=STATUS_FILLS[u.status])
        if u.file:
            ws.cell(r, 13).hyperlink = u.file  # relative: works wherever the folder is moved
            ws.cell(r, 13).font = Font(color="0563C1", underline="single")
        r += 1
    errors, warnings = count(batch.rollup_findings)
    total = headline(batch.rollup)
    _write_row(ws, r, [None, ROLLUP, "有错误" if errors else "成功", errors, warnings, *total.values(), None,
                       None, f"表二、表三、表四为 {sum(1 for u in batch.units if u.has_report)} 个单位之和"])
    for j in range(1, len(COLUMNS) + 1):
        ws.cell(r, j).font = BOLD
    ws.freeze_panes = "C4"
    ws.auto_filter.ref = f"A3:{get_column_letter(len(COLUMNS))}{r - 1}"
    write_report(batch.rollup, wb, tables=form.TABLES, meta=False)
    for table in form.TABLES:
        _rollup_note(wb[table], sum(1 for u in batch.units if u.has_report))
    _findings_sheet(wb, batch)
    wb.active = 0
    return wb


def _write_row(ws, r: int, values: list) -> None:
    for j, v in enumerate(values, start=1):
        c = ws.cell(r, j)
        if isinstance(v, str):
            set_text(c, v)  # unit names and messages come from outside: text stays text
        else:
            c.value = v
        c.alignment = WRAP


def _keep_tables(wb) -> None:
    """Only the three table sheets of the template stay; names pointing elsewhere go."""
    keep = set(form.TABLES)
    for ws in list(wb.worksheets):
        if ws.title not in keep:
            wb.remove(ws)
    for name in [n for n, dn in wb.defined_names.items() if not any(f"'{t}'!" in (dn.attr_text or "") or
                                                                     f"{t}!" in (dn.attr_text or "") for t in keep)]:
        del wb.defined_names[name]


def _rollup_note(ws, n: int) -> None:
    area = ws.print_area
    last = int(area.split("$")[-1]) if area else ws.max_row
    c = ws.cell(last + 2, 1)
    set_text(c, f"{ROLLUP}：以上为 {n} 个单位报表之和（含有错误的单位；失败、未提交的单位不计入）。")
    c.font = Font(bold=True, color="C00000")


def _findings_sheet(wb, batch: "BatchResult") -> None:
    ws = wb.create_sheet(form.SHEET_FINDINGS)
    heads = ("单位名称", "文件", "级别", "代码", "说明", "工作表", "单元格")
    for j, (label, width) in enumerate(zip(heads, (28, 28, 6, 6, 80, 12, 8)), start=1):
        set_text(ws.cell(1, j), label)
        ws.cell(1, j).font, ws.cell(1, j).fill = BOLD, HEAD_FILL
        ws.column_dimensions[get_column_letter(j)].width = width
    r = 2
    rows = [(u.unit, u.file or u.source, f) for u in batch.units for f in u.findings]
    rows += [(ROLLUP, SUMMARY_FILE, f.to_json()) for f in batch.rollup_findings]
    for u in batch.units:
        if u.status == "失败":
            rows.append((u.unit, u.source, {"severity": "error", "code": "失败", "message": u.reason}))
    for unit, file, f in rows:
        _write_row(ws, r, [unit, file, SEVERITY_LABELS.get(f.get("severity"), f.get("severity")), f.get("code"),
                           f.get("message"), f.get("sheet"), f.get("cell")])
        r += 1
    ws.freeze_panes = "A2"
    if r > 2:
        ws.auto_filter.ref = f"A1:G{r - 1}"
