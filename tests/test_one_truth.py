"""One truth from tally to table (issue 13): a stale, unfilled or hand-edited table never checks clean
or freezes; error values in tally cells stop every command; every path agrees on the same input."""

from __future__ import annotations

import json
import random
import shutil
import zipfile
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from xl_report.batch.model import STATUS_ERRORS, STATUS_FAILED, STATUS_OK
from xl_report.batch.run import run_batch
from xl_report.cli import app
from xl_report.cli.demo import synthetic_unit, write_unit
from xl_report.core import form
from xl_report.core.errors import InputError, TallyErrors
from xl_report.core.tally_schema import DECISIONS, FEES, REQUESTS
from xl_report.stages.check import check_workbook
from xl_report.stages.fill import fill_workbook
from xl_report.stages.freeze import FreezeRefused, freeze_file, verify_file
from xl_report.xlsx.fillstate import book_properties, fill_state
from xl_report.xlsx.tally_reader import read_tally
from xl_report.xlsx.workbook import read_report_file, resolve_names

from .tally_factory import case, decision, document, fee, make_tally_workbook, request

runner = CliRunner()
YEAR = 2024
UNIT = "某某县某某镇人民政府"
META = {"meta_level": "乡镇人民政府", "meta_contact": "0476-5326621"}


def cli(*args):
    return runner.invoke(app, [str(a) for a in args])


def codes(path: Path) -> list[str]:
    return [f.code for f in check_workbook(path)]


def tally_book(path: Path, **sheets) -> Path:
    """A clerk's template with tallies of every kind (dates on 1 Jan / 31 Dec, 万元 with 4 decimals)."""
    rows = dict(
        requests=[
            request(1, date(2024, 1, 1), "自然人", date(2024, 1, 5), "予以公开"),
            request(2, date(2023, 12, 31), "商业企业", date(2024, 1, 1), "部分公开"),
            request(3, date(2024, 12, 31), "自然人"),
            request(4, date(2023, 12, 1), "其他", date(2023, 12, 29), "予以公开"),
        ],  # done last year
        documents=[
            document("甲", "行政规范性文件", date(2024, 1, 1)),
            document("乙", "行政规范性文件", date(2023, 12, 31), date(2024, 12, 31)),
        ],
        decisions=[
            decision("行政许可", date(2024, 12, 31), 17),
            decision("行政处罚", date(2024, 1, 1)),
            decision("行政强制", date(2023, 12, 31), 5),
        ],
        fees=[
            fee("工本费", date(2024, 1, 1), 1550.5),
            fee("工本费", date(2024, 12, 31), 0.01),
            fee("工本费", date(2025, 1, 1), 99),
        ],
        cases=[
            case("F1", "行政复议", date(2024, 1, 1), "维持", date(2024, 12, 31)),
            case("S1", "行政诉讼-复议后起诉", date(2024, 12, 31)),
        ],
    )
    rows.update(sheets)
    return make_tally_workbook(path, unit=UNIT, year=YEAR, values=META, **rows)


@pytest.fixture()
def filled(tmp_path) -> Path:
    return fill_workbook(tally_book(tmp_path / "台账.xlsx")).output


def batch_findings(outdir: Path, source: str) -> list[dict]:
    """A unit's findings as the batch reports them (findings.json: the results keep only their row)."""
    units = json.loads((outdir / "findings.json").read_text("utf-8"))["units"]
    return next(u for u in units if u["source"] == source)["findings"]


def set_cells(path: Path, changes: dict[tuple[str, str], object], out: Path | None = None) -> Path:
    wb = openpyxl.load_workbook(path)
    for (sheet, a1), v in changes.items():
        wb[sheet][a1] = v
    wb.save(out or path)
    return out or path


def set_name(path: Path, name: str, value: object) -> Path:
    wb = openpyxl.load_workbook(path)
    sheet, a1 = resolve_names(wb)[name]
    wb[sheet][a1] = value
    wb.save(path)
    return path


# --------------------------------------------------------------------------------------------
# Table ≡ tally
# --------------------------------------------------------------------------------------------


def test_a_freshly_filled_workbook_checks_clean(filled):
    """Amounts (1550.51 元 = 0.1551 万元) and dates on 1 Jan / 31 Dec: no false table≠tally error."""
    res = cli("check", filled, "--json")
    assert res.exit_code == 0, res.output
    assert [f["code"] for f in json.loads(res.stdout)] == []
    report = read_report_file(filled)
    assert report.values["t2_fees_amount"] == 0.1551 and report.values["t2_licensing_decisions"] == 17
    assert report.values[form.t4("suit_after", "pending")] == 1
    state = fill_state(book_properties(openpyxl.load_workbook(filled)))
    assert state is not None and state.filled_at and len(state.digest) == 64
    assert freeze_file(filled).fingerprint


def test_a_table_never_filled_is_one_error_per_table_and_refuses_to_freeze(tmp_path):
    src = tally_book(tmp_path / "台账.xlsx")
    res = cli("check", src, "--json")
    assert res.exit_code == 1
    found = [f for f in json.loads(res.stdout) if f["code"] in ("R07", "R08")]
    assert [f["code"] for f in found] == ["R08", "R08", "R08"]  # 表二, 表三, 表四: not 200
    assert all("未填报" in f["message"] and "填报" in f["message"] and f["cell"] for f in found)
    frozen = cli("freeze", src)
    assert frozen.exit_code == 1 and "R08" in frozen.output
    assert not (tmp_path / "台账-定稿.xlsx").exists()
    forced = cli("freeze", src, "--force", "--reason", "先定稿")
    assert forced.exit_code == 0, forced.output


def test_tally_changed_after_fill_names_the_cell_with_both_values(filled):
    wb = openpyxl.load_workbook(filled)
    ws = wb[REQUESTS.name]
    for i in range(10):  # 10 more applications by 自然人, received and concluded in 2024
        row = {
            "编号": f"N{i}",
            "收到日期": date(2024, 6, 1),
            "申请人类型": "自然人",
            "办结日期": date(2024, 6, 5),
            "办理结果": "予以公开",
        }
        ws.append([row.get(h) for h in REQUESTS.headers])
    wb.save(filled)
    res = cli("check", filled, "--json")
    assert res.exit_code == 1
    found = json.loads(res.stdout)
    assert found[0]["code"] == "R09" and "填报后台账有改动" in found[0]["message"]  # first, in plain words
    new = next(f for f in found if f["name"] == form.t3("new", "person"))
    assert new["code"] == "R07" and new["sheet"] == "表三" and new["cell"]
    assert "表中 2，台账 12（台账在填报后有改动，请重新填报）" in new["message"]
    with pytest.raises(FreezeRefused):
        freeze_file(filled)
    refilled = fill_workbook(filled, filled.with_name("重填.xlsx")).output
    assert [c for c in codes(refilled) if c.startswith("R0")] == []


def test_a_hand_edit_that_keeps_every_identity_is_caught(filled):
    name = form.t4("suit_after", "pending")
    set_name(filled, name, 3)  # the 总计 formula follows: A04 still holds
    found = check_workbook(filled)
    assert [f.code for f in found if f.is_error] == ["R07"]
    (r07,) = found
    assert r07.name == name and r07.sheet == "表四" and "表中 3，台账 1" in r07.message and "手工改动" in r07.message
    assert cli("freeze", filled).exit_code == 1
    assert cli("freeze", filled, "--force", "--reason", "法院另有裁定").exit_code == 0


def test_absent_and_empty_tally_sheets_are_not_compared(tmp_path):
    """表二 (一) has no 文件台账 here (absent) and 表四 an empty 复议诉讼台账: typed by hand, not compared."""
    src = tally_book(tmp_path / "t.xlsx", documents=None, cases=[])
    wb = openpyxl.load_workbook(src)
    del wb["文件台账"]
    wb.save(src)
    out = fill_workbook(src).output
    set_name(out, "t2_rules_issued", 2)
    set_name(out, form.t4("review", "upheld"), 4)
    assert not {"R07", "R08"} & set(codes(out))


@pytest.mark.slow
def test_batch_flags_a_filled_input_that_disagrees_and_fills_an_unfilled_one(tmp_path, filled):
    indir = tmp_path / "in"
    indir.mkdir()
    raw = shutil.copy(tally_book(tmp_path / "raw.xlsx"), indir / "未填报.xlsx")
    set_name(Path(raw), "meta_unit", "某某县第三镇人民政府")
    shutil.copy(filled, indir / "已填报.xlsx")
    edited = Path(shutil.copy(filled, indir / "改动.xlsx"))
    set_name(edited, form.t4("suit_after", "pending"), 3)
    set_name(edited, "meta_unit", "某某县另一镇人民政府")
    batch = run_batch(indir, tmp_path / "out", freeze=True, progress=False, jobs=1)
    by = {u.source: u for u in batch.units}
    assert by["已填报.xlsx"].status == STATUS_OK and by["已填报.xlsx"].fingerprint
    assert by["未填报.xlsx"].status == STATUS_OK and by["未填报.xlsx"].fingerprint  # the batch fills it
    bad = by["改动.xlsx"]
    assert bad.status == STATUS_ERRORS and bad.fingerprint is None and "-定稿" not in bad.file
    found = batch_findings(tmp_path / "out", "改动.xlsx")
    assert [(f["code"], f["sheet"], f["name"]) for f in found] == [("R07", "表四", form.t4("suit_after", "pending"))]
    assert "表中 3，台账 1" in found[0]["message"] and found[0]["cell"]


# --------------------------------------------------------------------------------------------
# Error values in tally cells
# --------------------------------------------------------------------------------------------
ERROR_LITERALS = ["#N/A", "#VALUE!", "#REF!", "#DIV/0!", "#NAME?", "#NULL!", "#NUM!"]


def with_error(path: Path, sheet: str, a1: str, literal: str | None) -> Path:
    """``literal`` as an Excel error value in ``sheet``!``a1``; None: a formula saved without its value."""
    wb = openpyxl.load_workbook(path)
    c = wb[sheet][a1]
    if literal is None:
        c.value = "=B2*2"
    else:
        c.value = literal
        c.data_type = "e"
    wb.save(path)
    return path


@pytest.mark.parametrize("literal", ERROR_LITERALS + [None])
def test_error_values_in_tally_cells_stop_fill_check_freeze_and_batch(tmp_path, literal):
    src = with_error(tally_book(tmp_path / "台账.xlsx"), DECISIONS.name, "D2", literal)  # 数量 of row 2
    before = sorted(p.name for p in tmp_path.iterdir())
    for command in (["fill", src], ["check", src], ["freeze", src, "--force", "--reason", "x"]):
        res = cli(*command)
        assert res.exit_code == 2, (command, res.output)
        assert "执法决定台账" in res.output and "第2行" in res.output and "数量" in res.output, res.output
        assert (literal or "公式没有计算结果") in res.output and "Traceback" not in res.output
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing written
    with pytest.raises(TallyErrors) as info:
        read_tally(src)
    (p,) = info.value.problems
    assert (p.sheet, p.row, p.column) == (DECISIONS.name, 2, "数量") and info.value.exit_code == 2
    indir = tmp_path / "in"
    indir.mkdir()
    shutil.copy(src, indir / "a.xlsx")
    (unit,) = run_batch(indir, tmp_path / "out", progress=False, jobs=1).units
    assert unit.status == STATUS_FAILED and "数量" in unit.reason and unit.file is None


def test_an_error_value_in_a_table_cell_stops_the_check(filled):
    wb = openpyxl.load_workbook(filled)
    sheet, a1 = resolve_names(wb)["t2_penalty_decisions"]
    wb.close()
    with_error(filled, sheet, a1, "#REF!")
    res = cli("check", filled)
    assert res.exit_code == 2 and sheet in res.output and a1 in res.output and "#REF!" in res.output


def test_an_amount_with_an_error_in_the_fee_sheet_is_not_a_blank(tmp_path):
    src = with_error(tally_book(tmp_path / "t.xlsx"), FEES.name, "C3", "#DIV/0!")
    with pytest.raises(TallyErrors, match="#DIV/0!"):
        fill_workbook(src)


# --------------------------------------------------------------------------------------------
# One parser per fact: the 2023年度 family
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["2023年度", "2023年", "２０２３", " 2023 ", 2023, 2023.0, "2023 年度"])
def test_the_year_family_means_2023_on_every_path(tmp_path, typed):
    rows = [request(1, date(2023, 3, 1), "自然人", date(2023, 3, 5), "予以公开")]
    src = make_tally_workbook(tmp_path / "t.xlsx", unit=UNIT, year=typed, values=META, requests=rows)
    assert "F12" not in codes(src)  # check reads the year
    out = fill_workbook(src)  # fill reads it (no --year)
    assert out.report.year == 2023 and read_report_file(out.output).year == 2023
    assert "F12" not in codes(out.output)
    frozen = freeze_file(out.output)
    assert verify_file(frozen.output).year == 2023
    indir = tmp_path / "in"
    indir.mkdir()
    shutil.copy(src, indir / "a.xlsx")
    (unit,) = run_batch(indir, tmp_path / "out", progress=False, jobs=1).units
    assert unit.year == 2023 and "F12" not in {f["code"] for f in batch_findings(tmp_path / "out", "a.xlsx")}


@pytest.mark.parametrize("typed", ["23", "2023-2024", "二〇二三", "1900"])
def test_what_is_not_a_year_is_f12_on_every_path(tmp_path, typed):
    src = make_tally_workbook(
        tmp_path / "t.xlsx", unit=UNIT, year=typed, values=META, requests=[request(1, date(2023, 3, 1))]
    )
    assert "F12" in codes(src)
    with pytest.raises(InputError, match=f"报告年度”（值：{typed}）不是年份"):  # named, not "please fill it"
        fill_workbook(src)
    indir = tmp_path / "in"
    indir.mkdir()
    shutil.copy(src, indir / "a.xlsx")
    (unit,) = run_batch(indir, tmp_path / "out", progress=False, jobs=1).units
    assert unit.status == STATUS_FAILED and "报告年度" in unit.reason


@pytest.mark.parametrize("title_year", ["２０２３年", "２０２３年度", "2023年度", "2023 年度"])
def test_import_reads_the_same_year(tmp_path, title_year):
    from xl_report.document import render
    from xl_report.published.importer import import_report

    report = read_report_file(fill_workbook(tally_book(tmp_path / "t.xlsx"), year=2023).output)
    path = tmp_path / "年报.md"
    render(report, path)
    text = path.read_text(encoding="utf-8")
    assert f"{UNIT}2023年政府信息公开" in text
    path.write_text(text.replace(f"{UNIT}2023年", UNIT + title_year), encoding="utf-8")
    assert import_report(path).report.year == 2023


# --------------------------------------------------------------------------------------------
# Batch outputs carry their evidence; batch and fill + freeze agree
# --------------------------------------------------------------------------------------------


def _same_outputs(indir: Path, tmp_path: Path) -> int:
    """Batch --freeze vs fill + freeze of each input: same fingerprint, cells and tally rows. Returns
    how many units were compared (those without errors: the others are refused on both paths)."""
    batch = run_batch(indir, tmp_path / "out", freeze=True, progress=False, jobs=2)
    compared = 0
    for u in batch.units:
        single = tmp_path / "single" / u.source
        single.parent.mkdir(exist_ok=True)
        filled = fill_workbook(indir / u.source, single)
        if u.status != STATUS_OK:
            with pytest.raises(FreezeRefused):
                freeze_file(filled.output)
            continue
        mine = freeze_file(filled.output)
        theirs = tmp_path / "out" / u.file
        a, b = verify_file(mine.output), verify_file(theirs)
        assert a.ok and b.ok, (u.source, a.messages, b.messages)
        assert a.fingerprint == b.fingerprint == u.fingerprint == mine.fingerprint, u.source
        ra, rb = read_report_file(mine.output), read_report_file(theirs)
        assert (ra.values, ra.narrative, ra.unit, ra.year, ra.contact, ra.level) == (
            rb.values,
            rb.narrative,
            rb.unit,
            rb.year,
            rb.contact,
            rb.level,
        ), u.source
        ta, tb = read_tally(mine.output), read_tally(theirs)
        for key in ("requests", "documents", "decisions", "fees", "cases"):
            ca, cb = ta.columns(key), tb.columns(key)
            assert ca == cb, (u.source, key)
        personal = tb.columns("requests")
        assert personal is not None and not any(personal["申请人"]) and not any(personal["申请内容"])
        sa = fill_state(book_properties(openpyxl.load_workbook(mine.output)))
        sb = fill_state(book_properties(openpyxl.load_workbook(theirs)))
        assert sa and sb and sa.digest == sb.digest  # the fill record survives both freezes
        assert not {"R07", "R08", "R09"} & set(codes(theirs))  # re-checkable upstream, and clean
        compared += 1
    return compared


@pytest.mark.slow
def test_batch_equals_fill_and_freeze_for_50_random_units(tmp_path):
    indir = tmp_path / "in"
    indir.mkdir()
    rng = random.Random(13)
    for i in range(50):
        level = rng.choice(["乡镇人民政府", "县级人民政府部门"])
        write_unit(
            indir / f"{i:03d}.xlsx",
            synthetic_unit(f"某某县第{i}单位", level, YEAR, seed=rng.randrange(10**6), size=rng.choice([1, 2, 3])),
            YEAR,
        )
    assert _same_outputs(indir, tmp_path) >= 45


@pytest.mark.slow
def test_batch_equals_fill_and_freeze_for_the_demo_county(tmp_path):
    from xl_report.cli.demo import prepare_county

    indir, _, _ = prepare_county(tmp_path / "demo")
    assert _same_outputs(indir, tmp_path) >= 15


def test_a_bare_tally_workbook_gives_the_same_tables_and_findings_from_fill_and_batch(tmp_path):
    rows = [request(1, date(2024, 3, 1), "自然人", date(2024, 3, 5), "予以公开")]
    src = make_tally_workbook(tmp_path / f"{UNIT}.xlsx", base_template=False, requests=rows)
    filled = fill_workbook(src, tmp_path / "filled.xlsx", year=YEAR)
    indir = tmp_path / "in"
    indir.mkdir()
    shutil.copy(src, indir / src.name)
    (u,) = run_batch(indir, tmp_path / "out", year=YEAR, progress=False, jobs=1).units
    a, b = read_report_file(filled.output), read_report_file(tmp_path / "out" / u.file)
    assert a.values == b.values and a.values["t2_rules_issued"] is None  # no tally, no number: blank
    fill_codes = sorted(f.code for f in check_workbook(filled.output))
    assert fill_codes.count("F05") == 22 and "R08" not in fill_codes
    # the batch names the unit after the file (a bare workbook has no 说明 cell): F12 is fill's alone
    assert sorted(f["code"] for f in batch_findings(tmp_path / "out", src.name)) == [
        c for c in fill_codes if c != "F12"
    ]


def test_a_bare_workbook_with_a_copied_readme_is_filled_with_its_unit(tmp_path):
    """The template's 说明 copied into a tally workbook (its names come along): fill takes the unit."""
    src = make_tally_workbook(
        tmp_path / "t.xlsx",
        unit=UNIT,
        year=YEAR,
        values=META,
        requests=[request(1, date(2024, 3, 1), "自然人", date(2024, 3, 5), "予以公开")],
    )
    wb = openpyxl.load_workbook(src)
    for title in form.TABLES:
        del wb[title]
    wb.save(src)
    out = fill_workbook(src)
    assert read_report_file(out.output).unit == UNIT
    assert "F12" not in codes(out.output)
    assert freeze_file(out.output, force=True, reason="表二表四无台账").fingerprint


@pytest.mark.slow
def test_a_changed_rule_makes_the_next_batch_recompute_every_unit(tmp_path, monkeypatch):
    import xl_report.batch.run as batch_run
    from xl_report.batch.state import rules_digest

    indir = tmp_path / "in"
    indir.mkdir()
    for i in range(3):
        write_unit(indir / f"{i}.xlsx", synthetic_unit(f"某某县第{i}镇人民政府", "乡镇人民政府", YEAR, seed=i), YEAR)
    out = tmp_path / "out"
    assert run_batch(indir, out, progress=False, jobs=1).processed == 3
    again = run_batch(indir, out, progress=False, jobs=1)
    assert (again.processed, again.skipped) == (0, 3)  # unchanged inputs, unchanged code: reused
    assert len(rules_digest()) == 64
    monkeypatch.setattr(batch_run, "rules_digest", lambda: "0" * 64)  # an upgrade that changed a rule
    upgraded = run_batch(indir, out, progress=False, jobs=1)
    assert (upgraded.processed, upgraded.skipped) == (3, 0)


# --------------------------------------------------------------------------------------------
# Hostile and odd inputs met on the way
# --------------------------------------------------------------------------------------------


def test_control_characters_never_reach_the_terminal_raw(tmp_path):
    rows = [request(1, date(2024, 3, 1), "ESC[2J火星人BEL\u202e")]
    src = make_tally_workbook(tmp_path / "t.xlsx", unit=UNIT, year=YEAR, values=META, requests=rows)
    with zipfile.ZipFile(src) as z:  # as Excel writes them: _x001B_ escapes, which the readers decode
        parts = {i.filename: z.read(i) for i in z.infolist()}
    with zipfile.ZipFile(src, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data.replace(b"ESC[", b"_x001B_[").replace(b"BEL", b"_x0007_"))
    with pytest.raises(TallyErrors) as info:
        read_tally(src)
    assert info.value.problems[0].value == "\x1b[2J火星人\x07\u202e"  # decoded: the raw characters
    for command in ("fill", "check"):
        res = cli(command, src)
        assert res.exit_code == (2 if command == "fill" else 1), res.output
        assert "\x1b" not in res.output and "\x07" not in res.output and "\u202e" not in res.output
        assert "\\u202e" in res.output, res.output  # shown escaped
    (r06,) = [f for f in json.loads(cli("check", src, "--json").stdout) if f["code"] == "R06"]
    assert "\\x1b[2J火星人\\x07\\u202e" in r06["message"]
    missing = cli("check", tmp_path / "a\x1b]0;title\x07.xlsx")
    assert missing.exit_code == 2 and "\x1b" not in missing.output and "\\x1b]0;title\\x07" in missing.output


def _summary_rows(outdir: Path) -> list[list]:
    from xl_report.batch.rollup import SUMMARY_FILE
    from xl_report.batch.summary import SHEET_SUMMARY

    ws = openpyxl.load_workbook(outdir / SUMMARY_FILE)[SHEET_SUMMARY]
    return [[c.value for c in row] for row in ws.iter_rows()]


def test_skipped_entries_and_outside_links_are_listed_in_the_summary(tmp_path):
    import os

    indir, outside = tmp_path / "in", tmp_path / "elsewhere"
    indir.mkdir()
    outside.mkdir()
    write_unit(indir / "甲.xlsx", synthetic_unit("某某县甲镇人民政府", "乡镇人民政府", YEAR, seed=1), YEAR)
    secret = write_unit(outside / "乙.xlsx", synthetic_unit("某某县乙镇人民政府", "乡镇人民政府", YEAR, seed=2), YEAR)
    shutil.copy(indir / "甲.xlsx", indir / ".隐藏.xlsx")
    (indir / "外部.xlsx").symlink_to(secret)
    (indir / "失效.xlsx").symlink_to(tmp_path / "nowhere.xlsx")
    os.mkfifo(indir / "管道.xlsx")  # opening it would block the batch
    (indir / "~$甲.xlsx").write_bytes(b"lock")  # Excel's lock file: not worth a line
    batch = run_batch(indir, tmp_path / "out", progress=False, jobs=1)
    assert [u.source for u in batch.units] == ["甲.xlsx"]
    ignored = dict(batch.ignored)
    assert set(ignored) == {".隐藏.xlsx", "外部.xlsx", "失效.xlsx", "管道.xlsx"}
    assert "输入文件夹以外" in ignored["外部.xlsx"] and "不存在" in ignored["失效.xlsx"]
    assert "隐藏" in ignored[".隐藏.xlsx"] and "管道" in ignored["管道.xlsx"]
    assert not list((tmp_path / "out").glob("*乙*"))  # the outside file was never read
    listed = {row[12]: row[13] for row in _summary_rows(tmp_path / "out") if row[2] == "跳过"}
    assert listed == ignored
    data = json.loads((tmp_path / "out" / "findings.json").read_text("utf-8"))
    assert {i["file"] for i in data["ignored"]} == set(ignored)
    res = cli("batch", indir, "-o", tmp_path / "out2", "--jobs", "1")
    assert "跳过“外部.xlsx”" in res.output


def test_a_unit_name_too_long_for_a_file_name_is_refused_clearly(tmp_path):
    indir = tmp_path / "in"
    indir.mkdir()
    long_name = "\U00020000" * 70  # 280 bytes in UTF-8 (within the 80-character cut)
    write_unit(indir / "a.xlsx", synthetic_unit(long_name, "乡镇人民政府", YEAR, seed=3), YEAR)
    (u,) = run_batch(indir, tmp_path / "out", progress=False, jobs=1).units
    assert u.status == STATUS_FAILED and "单位名称过长" in u.reason and "255" in u.reason
    src = tally_book(tmp_path / "t.xlsx")
    res = cli("fill", src, "-o", tmp_path / ("长" * 90 + ".xlsx"))
    assert res.exit_code == 2 and "文件名过长" in res.output and "Traceback" not in res.output


def test_a_password_protected_workbook_gets_a_plain_message(tmp_path):
    import io

    from msoffcrypto.format.ooxml import OOXMLFile

    src = tally_book(tmp_path / "t.xlsx")
    encrypted = io.BytesIO()
    with open(src, "rb") as f:
        OOXMLFile(f).encrypt("密码123", encrypted)
    path = tmp_path / "加密.xlsx"
    path.write_bytes(encrypted.getvalue())
    for command in ("fill", "check", "freeze"):
        res = cli(command, path)
        assert res.exit_code == 2 and "工作簿设置了打开密码，请取消密码后再试" in res.output, (command, res.output)
    indir = tmp_path / "in"
    indir.mkdir()
    shutil.copy(path, indir / "加密.xlsx")
    (u,) = run_batch(indir, tmp_path / "out", progress=False, jobs=1).units
    assert u.status == STATUS_FAILED and "打开密码" in u.reason


def test_a_bare_workbook_whose_readme_was_pasted_without_names_gives_its_unit_and_year(tmp_path):
    """The 说明 cells pasted into a tally workbook (no defined names): fill and batch read them by label."""
    rows = [request(1, date(2024, 3, 1), "自然人", date(2024, 3, 5), "予以公开")]
    src = make_tally_workbook(tmp_path / "台账.xlsx", base_template=False, requests=rows)
    wb = openpyxl.load_workbook(src)
    ws = wb.create_sheet(form.SHEET_README)
    ws.append(["单位名称：", UNIT, "填写全称"])
    ws.append(["报告年度", "2024年度"])
    ws.append(["联系电话", None, "如：0476-5326621"])  # blank: the hint beside it is not the value
    wb.save(src)
    tally = read_tally(src)
    assert (tally.unit, tally.year) == (UNIT, 2024)
    out = fill_workbook(src)  # no --year: 说明 says it
    report = read_report_file(out.output)
    assert (report.unit, report.year, report.contact) == (UNIT, 2024, None)
    indir = tmp_path / "in"
    indir.mkdir()
    shutil.copy(src, indir / "a.xlsx")
    (u,) = run_batch(indir, tmp_path / "out", progress=False, jobs=1).units
    assert (u.unit, u.year) == (UNIT, 2024) and u.file.startswith(UNIT)
    fill_codes = sorted(f.code for f in check_workbook(out.output))
    assert "F12" not in fill_codes
    assert sorted(f["code"] for f in batch_findings(tmp_path / "out", "a.xlsx")) == fill_codes
