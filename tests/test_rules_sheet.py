"""The 校验结果 sheet: rows, links, highlights; a re-check clears the old ones; the plan as data."""

from __future__ import annotations

import openpyxl
import pytest
from openpyxl.utils import quote_sheetname

from xl_report.core import form
from xl_report.core.findings import Finding
from xl_report.rules import check
from xl_report.xlsx.fileio import save_workbook
from xl_report.xlsx.findings_sheet import (
    HIGHLIGHT,
    findings_sheet_rows,
    highlight_cells,
    restore_plan,
    write_findings_sheet,
)
from xl_report.xlsx.template import COMPUTED_FILL, INPUT_FILL, build_template
from xl_report.xlsx.workbook import read_narrative, read_report, resolve_names, write_report

from .rules_data import clean_report


def rgb(cell) -> str | None:
    return cell.fill.fgColor.rgb[-6:] if cell.fill.fill_type == "solid" else None


def book_with(report):
    wb = build_template()
    write_report(report, wb, narrative=True)
    return wb


def test_rows_plan():
    f1 = Finding("A05", "warning", "收费", "表二", "B14", "t2_fees_amount")
    f2 = Finding("A01", "error", '=HYPERLINK("x")', "表三", "D5", "t3_new_person")
    f3 = Finding("R01", "warning", "逾期", "依申请公开台账", "J3", row=3)
    rows = findings_sheet_rows([f1, f2, f3])
    assert rows[0][0].startswith("校验结果：错误 1 个，提示 2 个")
    assert rows[1] == ["序号", "级别", "代码", "说明", "位置"]
    assert rows[2] == [1, "错误", "A01", '=HYPERLINK("x")', "表三!D5"]  # errors first
    assert rows[4][4] == "依申请公开台账 第3行"
    assert findings_sheet_rows([])[0] == ["校验通过：未发现问题。"]


def test_highlight_plan_errors_win_and_identities_expand():
    r = clean_report()
    wb = book_with(r)
    names = resolve_names(wb)
    r = read_report(wb)
    r.values["t3_new_person"] = 11
    findings = check(r)
    plan = highlight_cells(findings, names)
    cells = {(s, a1): c for s, a1, c in plan}
    assert cells[names["t3_new_person"]] == HIGHLIGHT["error"]
    assert cells[names["t3_carried_out_person"]] == HIGHLIGHT["error"]  # A01 has 4 cells: all shown
    assert names["t3_open_person"] not in cells  # A03 (22 cells) shows only its total


@pytest.mark.slow
def test_write_then_recheck_clears(tmp_path):
    r = clean_report()
    wb = book_with(r)
    names = resolve_names(wb)
    wb[names["t3_open_person"][0]][
        names["t3_open_person"][1]
    ].value = 7  # totals are formulas: A01 breaks (and the text's 予以公开6件: T01)
    findings = check(read_report(wb), narrative=read_narrative(wb, cells=True))
    assert findings
    write_findings_sheet(wb, findings)
    path = tmp_path / "book.xlsx"
    save_workbook(wb, path)

    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[0] == form.SHEET_FINDINGS and wb.active.title == form.SHEET_FINDINGS
    ws = wb[form.SHEET_FINDINGS]
    assert ws["A1"].value.startswith("校验结果：错误")
    assert [c.value for c in ws[2]] == ["序号", "级别", "代码", "说明", "位置"]
    codes = {ws.cell(i, 3).value for i in range(3, ws.max_row + 1)}
    assert codes == {"A01", "T01"}
    links = {}
    for i in range(3, ws.max_row + 1):
        links.setdefault(ws.cell(i, 3).value, ws.cell(i, 5).hyperlink.location)
    sheet, a1 = names["t3_open_person"]
    assert links["A01"] == f"{quote_sheetname(sheet)}!{names['t3_new_person'][1]}"
    assert links["T01"].startswith(f"{quote_sheetname(form.SHEET_NARRATIVE)}!B")
    sheet_t3 = wb["表三"]
    total_a1 = names["t3_total_person"][1]
    assert rgb(sheet_t3[total_a1]) == HIGHLIGHT["error"]  # A01's four cells are highlighted
    assert rgb(sheet_t3[names["t3_new_person"][1]]) == HIGHLIGHT["error"]
    assert rgb(sheet_t3[a1]) == INPUT_FILL.fgColor.rgb[-6:]  # the A01 message names it (names), not coloured
    assert rgb(wb[form.SHEET_NARRATIVE][links["T01"].split("!")[1]]) == HIGHLIGHT["warning"]

    # fix the cell and re-check: the old sheet and every highlight go, template fills come back
    sheet_t3[a1].value = 6
    findings = check(read_report(wb))
    assert findings == []
    write_findings_sheet(wb, findings)
    assert wb.sheetnames.count(form.SHEET_FINDINGS) == 1
    assert wb[form.SHEET_FINDINGS]["A1"].value == "校验通过：未发现问题。"
    assert rgb(sheet_t3[a1]) == INPUT_FILL.fgColor.rgb[-6:]
    assert rgb(sheet_t3[total_a1]) == COMPUTED_FILL.fgColor.rgb[-6:]
    highlighted = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if rgb(c) in HIGHLIGHT.values()]
    assert highlighted == []


def test_restore_plan_gives_template_colours():
    names = resolve_names(build_template())
    plan = restore_plan(names, [names["t3_open_person"], names["t3_total_total"], ("依申请公开台账", "J5")])
    assert [c for _, _, c in plan] == [INPUT_FILL.fgColor.rgb[-6:], COMPUTED_FILL.fgColor.rgb[-6:], None]
