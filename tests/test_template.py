"""The form definition and the template workbook (issue: form and template)."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from xl_report.batch.fastfill import built_template_bytes, template_bytes
from xl_report.cli import app
from xl_report.cli.app import translate_usage
from xl_report.core import form
from xl_report.core.assets import WORKBOOKS, asset_file
from xl_report.core.filenames import TEMPLATE_FILE
from xl_report.core.tally_schema import TALLY_SHEETS
from xl_report.xlsx.template import write_template
from xl_report.xlsx.workbook import resolve_names

from .conftest import ROOT, needs_soffice, pdf_pages, to_pdf

CELL_NAMES_MD = ROOT.parent / "shared" / "format" / "cell-names.md"


def norm(text) -> str:
    return re.sub(r"\s+", "", str(text or ""))


def merged_value(ws, row: int, col: int):
    """Value shown at (row, col): the top-left value of the merged range that covers it."""
    for rng in ws.merged_cells.ranges:
        if rng.min_row <= row <= rng.max_row and rng.min_col <= col <= rng.max_col:
            return ws.cell(rng.min_row, rng.min_col).value
    return ws.cell(row, col).value


def dedupe(values) -> tuple[str, ...]:
    out = []
    for v in values:
        if v is not None and (not out or norm(out[-1]) != norm(v)):
            out.append(v)
    return tuple(norm(v) for v in out)


def test_form_counts():
    assert len(form.CELLS) == 200
    assert len(form.T3_ROWS) == 25 and len(form.T3_COLUMNS) == 7
    assert len(form.T3_RESULT_ROWS) == 21
    assert len([c for c in form.CELLS if c.table == "表四"]) == 15
    assert len([c for c in form.CELLS if c.table == "表二"]) == 10
    assert [c.name for c in form.CELLS if c.kind == "amount"] == ["t2_fees_amount"]


def test_cell_names_match_the_contract():
    """Every name of cell-names.md exists in the form, and vice versa."""
    if not CELL_NAMES_MD.exists():
        pytest.skip("shared/format/cell-names.md not beside the checkout")
    text = CELL_NAMES_MD.read_text(encoding="utf-8")
    t2 = set(re.findall(r"`(t2_[a-z_]+)`", text))
    assert t2 == {c.name for c in form.CELLS if c.table == "表二"}
    t3_part = text.split("## 表三")[1].split("## 表四")[0]
    rows = re.findall(r"^\| `([a-z_0-9]+)`(?: … `([a-z_]+)_(\d)`)? \|", t3_part, re.M)
    keys = []
    for first, family, last in rows:
        if family:
            keys += [f"{family}_{i}" for i in range(1, int(last) + 1)]
        elif first != "row":
            keys.append(first)
    assert keys == [r.key for r in form.T3_ROWS]
    cols = re.findall(r"`([a-z]+)` (\S+?)(?: ·|\.)", text.split("Columns `<col>`:")[1].split("\n\n")[0])
    assert [(k, v) for k, v in cols] == [(k, lab) for k, lab, _ in form.T3_COLUMNS]


def test_every_name_points_at_the_right_cell(template_file: Path):
    wb = openpyxl.load_workbook(template_file)
    names = resolve_names(wb)
    assert set(form.CELL_NAMES) <= set(names)
    for meta in form.META_FIELDS:
        assert meta.name in names
    for cell in form.CELLS:
        sheet, coord = names[cell.name]
        assert sheet == cell.table
        ws = wb[sheet]
        c = ws[coord]
        if cell.table == "表三":
            row_labels = dedupe(merged_value(ws, c.row, col) for col in (1, 2, 3))
            col_labels = dedupe(merged_value(ws, r, c.column) for r in (2, 3, 4))
            assert row_labels == tuple(map(norm, cell.row_labels)), cell.name
            assert col_labels == tuple(map(norm, cell.col_labels)), cell.name
        elif cell.table == "表二":
            caption_row = max(r for r in range(2, c.row) if norm(ws.cell(r, 1).value).startswith("第二十条"))
            assert norm(ws.cell(caption_row, 1).value) == norm(cell.row_labels[0]), cell.name
            assert norm(ws.cell(c.row, 1).value) == norm(cell.row_labels[1]), cell.name
            assert norm(merged_value(ws, caption_row + 1, c.column)) == norm(cell.col_label), cell.name
        else:
            col_labels = dedupe(merged_value(ws, r, c.column) for r in (2, 3, 4))
            assert col_labels == tuple(map(norm, cell.col_labels)), cell.name
            assert norm(ws.cell(1, 1).value) == norm(form.T4_TITLE)


def test_table_layout_details(template_file: Path):
    wb = openpyxl.load_workbook(template_file)
    t3 = wb["表三"]
    assert norm(t3["A2"].value) == norm(form.T3_NOTE)
    assert "A2:C4" in {str(r) for r in t3.merged_cells.ranges}
    results = [r for r in t3.merged_cells.ranges if t3.cell(r.min_row, r.min_col).value == form.T3_RESULTS_LABEL]
    assert len(results) == 1 and results[0].max_row - results[0].min_row + 1 == 22
    names = resolve_names(wb)
    for cell in form.CELLS:
        sheet, coord = names[cell.name]
        c = wb[sheet][coord]
        assert c.number_format == ("0.00" if cell.kind == "amount" else "0")
        if cell.computed:
            assert str(c.value).startswith("=SUM("), cell.name
            assert c.protection.locked
        else:
            assert c.value == 0 and not c.protection.locked, cell.name
        assert c.font.name == "仿宋_GB2312"
        assert c.border.left.style == "thin"
    for sheet in form.TABLES:
        ws = wb[sheet]
        assert int(ws.page_setup.paperSize) == 9  # A4
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 1
        assert ws["A1"].font.name == "方正小标宋简体"


def test_tally_sheets(template_file: Path):
    wb = openpyxl.load_workbook(template_file)
    for sheet in TALLY_SHEETS:
        ws = wb[sheet.name]
        assert tuple(c.value for c in ws[1]) == sheet.headers
        assert ws.freeze_panes == "A2"
        validations = {str(dv.sqref).split(":")[0]: dv for dv in ws.data_validations.dataValidation}
        for j, column in enumerate(sheet.columns):
            letter = openpyxl.utils.get_column_letter(j + 1)
            if column.kind in ("choice", "yesno"):
                dv = validations[f"{letter}2"]
                assert dv.type == "list"
                # the dropdown references the hidden list sheet, whose cells hold exactly the choices
                ref = dv.formula1
                lists = wb[form.SHEET_LISTS]
                col = re.search(r"\$([A-Z]+)\$2", ref).group(1)
                got = [c.value for c in lists[col][1:] if c.value is not None]
                assert tuple(got) == column.choices
            if column.kind == "date":
                assert ws.column_dimensions[letter].number_format == "yyyy-mm-dd"
    assert wb[form.SHEET_LISTS].sheet_state == "hidden"
    assert len(",".join(TALLY_SHEETS[0].column("办理结果").choices)) > 255  # why the list sheet exists


def test_committed_template_matches_generator(tmp_path: Path):
    fresh = write_template(tmp_path / "fresh.xlsx")
    committed = ROOT / "workbooks" / "年报模板.xlsx"
    assert committed.read_bytes() == fresh.read_bytes(), "run: xl-report template -o workbooks/年报模板.xlsx"
    # the batch stamps the shipped file rather than building it: the same bytes either way
    assert built_template_bytes() == committed.read_bytes()
    assert asset_file(WORKBOOKS, TEMPLATE_FILE) == committed and template_bytes() == committed.read_bytes()


def test_template_is_byte_stable(tmp_path: Path):
    a = write_template(tmp_path / "a.xlsx").read_bytes()
    b = write_template(tmp_path / "b.xlsx").read_bytes()
    assert a == b
    with zipfile.ZipFile(tmp_path / "a.xlsx") as z:
        assert 'fullCalcOnLoad="1"' in z.read("xl/workbook.xml").decode()


def test_cli_template(tmp_path: Path):
    runner = CliRunner()
    out = tmp_path / "t.xlsx"
    res = runner.invoke(app, ["template", "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert out.exists()
    res = runner.invoke(app, ["template", "-o", str(tmp_path / "t.xls")])
    assert res.exit_code == 2
    assert "xlsx" in res.output and "Traceback" not in res.output


def test_help_is_chinese():
    res = CliRunner().invoke(app, ["--help"])
    assert res.exit_code == 0
    assert "政府信息公开" in res.output
    assert "显示本帮助并退出" in res.output and "Show this message" not in res.output
    assert "命令" in res.output


@needs_soffice
def test_tables_print_one_a4_page_each(template_file: Path, tmp_path: Path):
    wb = openpyxl.load_workbook(template_file)
    for name in list(wb.sheetnames):
        if name not in form.TABLES:
            del wb[name]
    only = tmp_path / "tables.xlsx"
    wb.save(only)
    pdf = to_pdf(only, tmp_path)
    pages = pdf_pages(pdf)
    assert len(pages) == 3
    for page, sheet in zip(pages, form.TABLES):
        assert norm(form.TABLE_TITLES[sheet]) in norm(page)

    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    assert re.search(r"Page size:\s+(595\.\d+ x 841\.\d+|841\.\d+ x 595\.\d+) pts \(A4\)", info)


def test_computed_cells_come_after_the_totals_they_sum():
    seen = set()
    for name, parts in form.COMPUTED_FROM.items():
        assert all(p in seen for p in parts if p in form.COMPUTED_FROM), name
        seen.add(name)
    assert len(form.COMPUTED_FROM) == sum(c.computed for c in form.CELLS)


def test_outputs_get_ordinary_permissions(tmp_path: Path):
    import os

    mask = os.umask(0o022)
    os.umask(mask)
    path = write_template(tmp_path / "p.xlsx")
    assert path.stat().st_mode & 0o777 == 0o666 & ~mask


@pytest.mark.parametrize(
    "args, expected",
    [
        (["check"], "缺少参数"),
        (["templat"], "没有这个命令"),
        (["check", "--jsn", "x.xlsx"], "没有这个选项：--jsn"),
        (["batch", ".", "-o", ".", "--jobs", "0"], "应不小于 1"),
        (["batch", ".", "-o", ".", "--year", "abc"], "“abc”不是整数"),
        (["fill", __file__, "--year", "1800"], "应在 1990 到 2100 之间"),
        (["serve", "--workers", "40"], "应在 1 到 32 之间"),
        (["template", "-o", "."], "是一个文件夹"),
        (["batch", ".", "-o", __file__], "是一个文件，这里需要文件夹"),
    ],
)
@pytest.mark.slow
def test_usage_errors_are_chinese(args, expected):
    import os

    env = dict(os.environ, COLUMNS="200", TERMINAL_WIDTH="200")
    res = subprocess.run(
        [sys.executable, "-m", "xl_report", *args], capture_output=True, text=True, env=env, timeout=60
    )
    assert res.returncode == 2
    assert expected in res.stderr + res.stdout, res.stderr
    assert "Traceback" not in res.stderr


@pytest.mark.parametrize(
    "message, expected",
    [
        ("Invalid value for '-n': 9 is not in the range x<=5.", "'-n' 的值无效：应不大于 5"),
        ("Invalid value for '-n': 0 is not in the range x>=1.", "'-n' 的值无效：应不小于 1"),
        ("Invalid value for '-r': 'a' is not a valid float.", "'-r' 的值无效：“a”不是数字。"),
        ("Invalid value for '-n': 0 is not in the range x>0.", "'-n' 的值无效：0 is not in the range x>0."),
    ],
)
def test_click_value_errors_in_chinese(message, expected):
    # an open bound ("x>0") is not one of ours: left as click wrote it rather than said wrongly
    assert translate_usage(message) == expected


def test_cli_template_again_keeps_the_typed_workbook(tmp_path: Path):
    out = tmp_path / "年报模板.xlsx"
    out.write_bytes(b"a tally typed for half a year")
    res = CliRunner().invoke(app, ["template", "-o", str(out)])
    assert res.exit_code == 0 and "已备份" in res.output, res.output
    backups = list(tmp_path.glob("年报模板.备份-*.xlsx"))
    assert len(backups) == 1 and backups[0].read_bytes() == b"a tally typed for half a year"
