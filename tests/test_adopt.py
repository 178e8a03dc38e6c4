"""xl-report adopt (issue 16): ledger → workbook → the clerk chooses → fill → check, equal to the same
records typed natively; the original text stays; the mapping makes next year's conversion question-free."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from xl_report.cli import app
from xl_report.core import form
from xl_report.core.errors import InputError
from xl_report.core.ledger import ADOPT_SHEET
from xl_report.core.tally_schema import REQUESTS
from xl_report.stages.adopt import SOURCE_ROW, UNDECIDED_FILL, adopt_ledger
from xl_report.stages.ledger_mapping import load_mapping
from xl_report.xlsx.workbook import read_report_file

from . import ledger_factory as lf
from .tally_factory import make_tally_workbook, request

YEAR = 2024
runner = CliRunner()
R = {row.key: row.result for row in form.T3_RESULT_ROWS if row.result}

# a ledger with two texts no rule can decide, and what the clerk will choose for them
UNDECIDED = {"不予公开": R["deny_4"], "已电话沟通": R["other_3"]}
ROWS = [  # (ledger row, careful clerk's row)
    (
        [1, "2024.1.3", "甲", "个人", "网上", "x", "2024.1.4", "2024.1.20", "予以公开", None],
        request("第3行", "2024-01-04", "自然人", "2024-01-20", "予以公开"),
    ),
    (
        [2, "2024.2.3", "乙", "企业", "网上", "x", "2024.2.4", "2024.2.20", "不予公开", None],
        request("第4行", "2024-02-04", "商业企业", "2024-02-20", R["deny_4"]),
    ),
    (
        [3, "2024.3.3", "丙", "公民", "网上", "x", "2024.3.4", "2024.3.20", "不予公开", None],
        request("第5行", "2024-03-04", "自然人", "2024-03-20", R["deny_4"]),
    ),
    (
        [4, "2024.4.3", "丁", "个人", "网上", "x", "2024.4.4", "2024.4.20", "已电话沟通", None],
        request("第6行", "2024-04-04", "自然人", "2024-04-20", R["other_3"]),
    ),
    (
        [5, "2024.5.3", "戊", "律所", "网上", "x", "2024.5.4", "2024.5.20", "信息不存在", None],
        request("第7行", "2024-05-04", "法律服务机构", "2024-05-20", R["unable_1"]),
    ),
]


def _ledger(tmp: Path, name: str = "2024年登记台账.xlsx") -> Path:
    rows = [["某局登记台账"], lf.REGISTER_HEADER] + [r for r, _ in ROWS]
    return lf._save(tmp / name, {"依申请公开登记台账": rows})


def _choose(path: Path) -> int:
    """The clerk picks from the dropdown in every orange cell (simulated with openpyxl)."""
    wb = openpyxl.load_workbook(path)
    ws = wb[REQUESTS.name]
    chosen = 0
    for row in ws.iter_rows(min_row=2):
        for c in row:
            if c.fill.fgColor.rgb and c.fill.fgColor.rgb.endswith(UNDECIDED_FILL.fgColor.rgb[-6:]):
                c.value = UNDECIDED[c.value]
                c.fill = openpyxl.styles.PatternFill()
                chosen += 1
    wb.save(path)
    return chosen


def test_adopt_choose_fill_check_equals_the_ledger_typed_natively(tmp_path):
    ledger = _ledger(tmp_path)
    out = tmp_path / "年报.xlsx"
    res = runner.invoke(app, ["adopt", str(ledger), "-o", str(out), "--year", "2024", "--unit", "某某县某某局"])
    assert res.exit_code == 0, res.output
    assert "3 个格子待选择" in res.output and "“答复结果”列读作“办理结果”" in res.output

    wb = openpyxl.load_workbook(out)
    notes = [[c for c in row] for row in wb[ADOPT_SHEET].iter_rows(values_only=True)]
    kinds = [r[0] for r in notes]
    assert kinds.count("待选择") == 2 and "取值" in kinds and "列" in kinds and "未使用的列" in kinds
    undecided = next(r for r in notes if r[0] == "待选择" and r[4] == "不予公开")
    assert undecided[7] == 2 and undecided[8] == "4、5"  # two cells, in the ledger's rows 4 and 5
    ws = wb[REQUESTS.name]
    assert ws["K3"].value == "不予公开" and ws["K3"].comment is not None  # left as written, highlighted
    assert any("K3" in dv.sqref and dv.type == "list" for dv in ws.data_validations.dataValidation)  # the dropdown

    # fill refuses while anything is undecided (the cell is not an option)
    assert runner.invoke(app, ["fill", str(out)]).exit_code == 2

    assert _choose(out) == 3
    filled = tmp_path / "年报-已填报.xlsx"
    res = runner.invoke(app, ["fill", str(out), "-o", str(filled)])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["check", str(filled)])
    assert res.exit_code == 0, res.output

    native = make_tally_workbook(tmp_path / "手工.xlsx", requests=[n for _, n in ROWS], year=YEAR, unit="某某县某某局")
    runner.invoke(app, ["fill", str(native), "-o", str(tmp_path / "手工-已填报.xlsx")])
    ours, clerk = read_report_file(filled), read_report_file(tmp_path / "手工-已填报.xlsx")
    assert {n: ours.values.get(n) for n in form.CELL_NAMES} == {n: clerk.values.get(n) for n in form.CELL_NAMES}
    assert ours.values[form.t3("deny_4", "person")] == 1 and ours.unit == "某某县某某局"

    # the original text of every interpreted cell is still there, beside the value
    ws = openpyxl.load_workbook(filled)[REQUESTS.name]
    head = [c.value for c in ws[1]]
    original = {h: head.index(h) for h in head if h and (h.startswith("原文：") or h == SOURCE_ROW)}
    assert set(original) == {SOURCE_ROW, "原文：受理日期", "原文：申请人类型", "原文：答复日期", "原文：答复结果"}
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert [r[original["原文：答复结果"]] for r in rows] == [None, "不予公开", "不予公开", "已电话沟通", "信息不存在"]
    assert [r[original[SOURCE_ROW]] for r in rows] == [3, 4, 5, 6, 7]


def test_next_year_converts_with_no_questions_from_the_chosen_workbook_or_the_toml(tmp_path):
    ledger = _ledger(tmp_path)
    out, toml = tmp_path / "2024.xlsx", tmp_path / "映射.toml"
    first = adopt_ledger(ledger, out, save_mapping_to=toml)
    assert first.undecided == 3 and toml.is_file()
    _choose(out)
    learned = load_mapping(out)
    assert learned.values[REQUESTS.name]["办理结果"]["不予公开"] == R["deny_4"]
    next_year = _ledger(tmp_path, "2025年登记台账.xlsx")
    again = adopt_ledger(next_year, tmp_path / "2025.xlsx", mapping=out, save_mapping_to=tmp_path / "2025.toml")
    assert again.undecided == 0 and again.unreadable == 0
    reasons = {d.source: d.why for d in again.adoption.decisions if d.kind == "取值"}
    assert reasons["不予公开"] == "上次的选择"
    # the TOML saved after the choices carries them too
    assert adopt_ledger(next_year, tmp_path / "2025b.xlsx", mapping=tmp_path / "2025.toml").undecided == 0
    # the first TOML (saved before any choice) still has the sheet and headers, not the choices
    assert adopt_ledger(next_year, tmp_path / "2025c.xlsx", mapping=toml).undecided == 3


def test_a_hand_edited_mapping_with_a_wrong_category_is_refused(tmp_path):
    toml = tmp_path / "m.toml"
    toml.write_text('["取值"."依申请公开台账"."办理结果"]\n"不予公开" = "不予公开-随便写的"\n', encoding="utf-8")
    with pytest.raises(InputError, match="不是规定名称或选项"):
        load_mapping(toml)
    res = runner.invoke(app, ["adopt", str(_ledger(tmp_path)), "-o", str(tmp_path / "o.xlsx"), "--mapping", str(toml)])
    assert res.exit_code == 2 and not (tmp_path / "o.xlsx").exists()


def test_adopt_refuses_to_overwrite_the_ledger_and_keeps_a_backup_of_an_existing_output(tmp_path):
    ledger = _ledger(tmp_path)
    res = runner.invoke(app, ["adopt", str(ledger), "-o", str(ledger)])
    assert res.exit_code == 2
    out = tmp_path / "o.xlsx"
    out.write_bytes(b"mine")
    adopt_ledger(ledger, out)
    assert any(p.read_bytes() == b"mine" for p in tmp_path.iterdir() if p != out and p.name.startswith("o"))


@pytest.mark.parametrize(
    "make", [lf.decisions_register, lf.fees_list, lf.requests_csv, lf.documents_xlsx, lf.cases_xlsx, lf.register_xlsx]
)
def test_every_layout_adopts_and_fills_to_the_native_counts(tmp_path, make):
    layout = make(tmp_path)
    out = tmp_path / "年报.xlsx"
    res = adopt_ledger(layout.path, out, year=YEAR)
    assert res.undecided == res.unreadable == 0 and not res.remaining
    filled = tmp_path / "已填报.xlsx"
    assert runner.invoke(app, ["fill", str(out), "-o", str(filled)]).exit_code == 0
    native = make_tally_workbook(tmp_path / "手工.xlsx", year=YEAR, **layout.native)
    runner.invoke(app, ["fill", str(native), "-o", str(tmp_path / "手工-已填报.xlsx")])
    ours, clerk = read_report_file(filled), read_report_file(tmp_path / "手工-已填报.xlsx")
    assert {n: ours.values.get(n) for n in form.CELL_NAMES} == {n: clerk.values.get(n) for n in form.CELL_NAMES}


def test_unreadable_values_are_highlighted_and_listed(tmp_path):
    rows = [lf.REGISTER_HEADER, [1, "2024.3.1", "某", "个人", "网上", "x", "2024.2.30", "2024.3.5", "予以公开", None]]
    path = lf._save(tmp_path / "t.xlsx", {"登记台账": rows})
    res = adopt_ledger(path, tmp_path / "o.xlsx")
    assert res.unreadable == 1
    wb = openpyxl.load_workbook(tmp_path / "o.xlsx")
    assert wb[REQUESTS.name]["B2"].value == "2024.2.30"
    assert any(r[0] == "需核对" and r[2] == "收到日期" for r in wb[ADOPT_SHEET].iter_rows(values_only=True))


def test_cli_saves_the_mapping_and_next_year_needs_no_choice(tmp_path):
    ledger = _ledger(tmp_path)
    out, toml = tmp_path / "2024.xlsx", tmp_path / "映射.toml"
    res = runner.invoke(app, ["adopt", str(ledger), "-o", str(out), "--save-mapping", str(toml)])
    assert res.exit_code == 0 and "映射已保存" in res.output and toml.is_file()
    _choose(out)
    res = runner.invoke(
        app,
        [
            "adopt",
            str(_ledger(tmp_path, "2025.xlsx")),
            "-o",
            str(tmp_path / "2025年报.xlsx"),
            "--mapping",
            str(out),
            "--year",
            "2025",
        ],
    )
    assert res.exit_code == 0 and "全部已转换" in res.output and "上次的选择" in res.output


def test_open_report_book_writes_every_row_of_a_foreign_ledger_for_callers_that_save_themselves(tmp_path):
    """The web upload saves the book with openpyxl: the rows the fast path would stream in are in its cells."""
    from xl_report.stages.fill import open_report_book
    from xl_report.xlsx.tally_reader import read_tally

    layout = lf.register_xlsx(tmp_path)
    wb, notes = open_report_book(layout.path, read_tally(layout.path))
    ws = wb[REQUESTS.name]
    assert [ws.cell(r, 1).value for r in range(2, 11)] == [f"第{n}行" for n in range(3, 12)]
    assert ws["K3"].value == R["unable_1"] and ADOPT_SHEET in wb.sheetnames and notes
