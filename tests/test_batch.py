"""County batch: statuses of good / erroneous / broken / missing units, roll-up, skip, kill + resume."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from xl_report.batch.fastfill import template_bytes
from xl_report.batch.inputs import read_unit_list
from xl_report.batch.model import STATUS_ERRORS, STATUS_FAILED, STATUS_MISSING, STATUS_OK
from xl_report.batch.rollup import SUMMARY_FILE
from xl_report.batch.run import run_batch
from xl_report.cli import app
from xl_report.cli.demo import synthetic_unit, write_unit
from xl_report.core import form
from xl_report.core.errors import InputError
from xl_report.core.tally import MAX_ROWS
from xl_report.xlsx.fileio import unit_file_name
from xl_report.xlsx.tally_reader import read_tally, read_workbook
from xl_report.xlsx.workbook import read_report_file

from .conftest import needs_soffice, recalculated_by_libreoffice

YEAR = 2024
TOWN = "乡镇人民政府"


def unit(folder: Path, name: str, seed: int, file: str | None = None, **change) -> Path:
    data = synthetic_unit(name, TOWN, YEAR, seed=seed)
    for k, v in change.items():
        setattr(data, k, v)
    return write_unit(folder / (file or f"{seed:03d}.xlsx"), data, YEAR)


def zip_bomb(path: Path) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
        z.writestr("xl/worksheets/sheet1.xml", b"\0" * (8 * 1024 * 1024))
    return path


def huge_sheet(path: Path) -> Path:
    """The template with a 依申请公开台账 of more rows than the tally reader accepts."""
    rows = "".join(f'<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>' for r in range(2, MAX_ROWS + 100))
    src = zipfile.ZipFile(io.BytesIO(template_bytes()))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet2.xml":
                data = data.replace(b"</sheetData>", rows.encode() + b"</sheetData>")
            z.writestr(info.filename, data)
    return path


def wrong_sheets(path: Path) -> Path:
    wb = openpyxl.Workbook()
    wb.active.title = "工资表"
    wb.active["A1"] = "姓名"
    wb.save(path)
    return path


@pytest.fixture(scope="module")
def county(tmp_path_factory):
    """A mixed folder, run once through the CLI: (indir, outdir, cli result, units list)."""
    root = tmp_path_factory.mktemp("county")
    indir = root / "in"
    indir.mkdir()
    unit(indir, "某某县甲镇人民政府", 1)
    unit(indir, "某某县乙镇人民政府", 2)
    unit(indir, "../../某某县丙镇人民政府", 3)  # path traversal in meta_unit
    unit(indir, "某某县丁镇人民政府", 4, narrative={"overview": ["本年度未收到政府信息公开申请。"]})  # T02 error
    (indir / "不是工作簿.xlsx").write_bytes(b"%PDF-1.4 this is a pdf")
    zip_bomb(indir / "炸弹.xlsx")
    wrong_sheets(indir / "工资表.xlsx")
    huge_sheet(indir / "超大.xlsx")
    (indir / "~$甲镇.xlsx").write_bytes(b"lock file")  # Excel's lock file: ignored
    units = root / "units.toml"
    units.write_text('units = ["某某县甲镇人民政府", "某某县乙镇人民政府", "某某县戊镇人民政府"]\n', encoding="utf-8")
    outdir = root / "out"
    res = CliRunner().invoke(
        app, ["batch", str(indir), "-o", str(outdir), "--units", str(units), "--jobs", "2", "--freeze"]
    )
    return indir, outdir, res


def summary_rows(outdir: Path) -> list[tuple]:
    ws = openpyxl.load_workbook(outdir / SUMMARY_FILE)["汇总"]
    return [tuple(c.value for c in row) for row in ws.iter_rows(min_row=4)]


def by_unit(outdir: Path) -> dict[str, dict]:
    data = json.loads((outdir / "findings.json").read_text(encoding="utf-8"))
    return {u["unit"]: u for u in data["units"]}


@pytest.mark.slow
def test_statuses_and_exit_code(county):
    indir, outdir, res = county
    assert res.exit_code == 1, res.output
    units = by_unit(outdir)
    assert units["某某县甲镇人民政府"]["status"] == STATUS_OK
    assert units["某某县甲镇人民政府"]["file"] == "某某县甲镇人民政府-定稿.xlsx"
    assert units["某某县丁镇人民政府"]["status"] == STATUS_ERRORS
    assert units["某某县丁镇人民政府"]["file"] == "某某县丁镇人民政府.xlsx"  # not frozen: it has errors
    assert any(f["code"] == "T02" for f in units["某某县丁镇人民政府"]["findings"])
    assert units["某某县戊镇人民政府"]["status"] == STATUS_MISSING
    failed = {u["source"]: u["reason"] for u in units.values() if u["status"] == STATUS_FAILED}
    assert set(failed) == {"不是工作簿.xlsx", "炸弹.xlsx", "工资表.xlsx", "超大.xlsx"}
    assert "这是 PDF 文件，不是 Excel 工作簿" in failed["不是工作簿.xlsx"]  # a PDF named .xlsx: said what it is
    assert "压缩炸弹" in failed["炸弹.xlsx"]
    assert "台账工作表" in failed["工资表.xlsx"]
    assert "行数超过" in failed["超大.xlsx"]
    assert all(str(indir) not in r for r in failed.values())  # reasons name the file, not our paths
    assert not any("~$" in (u["source"] or "") for u in units.values())
    rows = summary_rows(outdir)
    assert [r[1] for r in rows[:3]] == ["某某县甲镇人民政府", "某某县乙镇人民政府", "某某县戊镇人民政府"]  # list order
    assert rows[-1][1] == "全县合计"
    assert rows[-1][2] == "无错误"  # the roll-up's own check: a sum is not a unit that 成功


def test_path_traversal_in_unit_name_stays_inside(county):
    _, outdir, _ = county
    files = {p.name for p in outdir.iterdir()}
    assert "某某县丙镇人民政府-定稿.xlsx" in files
    assert not (outdir.parent / "某某县丙镇人民政府-定稿.xlsx").exists()
    assert all(p.resolve().parent == outdir.resolve() for p in outdir.glob("*.xlsx"))


def test_hyperlinks_and_fingerprints(county):
    _, outdir, _ = county
    ws = openpyxl.load_workbook(outdir / SUMMARY_FILE)["汇总"]
    row = next(r for r in ws.iter_rows(min_row=4) if r[1].value == "某某县甲镇人民政府")
    assert row[12].hyperlink.target == "某某县甲镇人民政府-定稿.xlsx"
    assert row[11].value and len(row[11].value) == 12


def test_rollup_is_the_sum_and_is_checked(county):
    _, outdir, _ = county
    reports = [read_report_file(outdir / u["file"]) for u in by_unit(outdir).values() if u["file"]]
    assert len(reports) == 4
    rollup = read_report_file(outdir / SUMMARY_FILE)
    for name in form.CELL_NAMES:
        expected = sum(r.num0(name) for r in reports)
        assert rollup.values[name] == pytest.approx(expected), name
    from xl_report.batch.rollup import check_rollup
    from xl_report.rules import check

    assert not [f for f in check_rollup(rollup) if f.is_error]
    assert not [f for f in check(rollup, narrative={}) if f.is_error and f.name in form.CELL_BY_NAME]
    data = json.loads((outdir / "findings.json").read_text(encoding="utf-8"))
    assert not [f for f in data["rollup"]["findings"] if f["severity"] == "error"]


def test_frozen_outputs_verify(county):
    from xl_report.stages.freeze import verify_file

    _, outdir, _ = county
    for path in outdir.glob("*-定稿.xlsx"):
        assert verify_file(path).ok, path


def test_unit_reader_equals_tally_reader(county):
    indir, _, _ = county
    path = indir / "001.xlsx"
    a, (b, _fields) = read_tally(path), read_workbook(path)
    for key in ("requests", "documents", "decisions", "fees", "cases"):
        assert a.sheet(key).equals(b.sheet(key)), key
    assert (a.unit, a.year) == (b.unit, b.year) == ("某某县甲镇人民政府", YEAR)


def test_unit_file_names():
    assert unit_file_name("../../etc/passwd") == "etc_passwd"
    assert unit_file_name("CON") == "_CON" and unit_file_name("nul.txt") == "_nul.txt"
    assert unit_file_name("a\u202egpj.exe") == "agpj.exe"  # right-to-left override gone
    assert unit_file_name("..") == "未命名单位" and unit_file_name(None) == "未命名单位"
    assert unit_file_name("某镇\n政府\t ") == "某镇政府" and unit_file_name("某镇  政府") == "某镇 政府"
    assert len(unit_file_name("长" * 500)) == 80


@pytest.mark.slow
def test_rerun_skips_unchanged_and_redoes_changed(tmp_path):
    indir = tmp_path / "in"
    for i in range(4):
        unit(indir, f"某某县{i}镇人民政府", i)
    out = tmp_path / "out"
    first = run_batch(indir, out, jobs=1, progress=False)
    assert first.processed == 4 and first.skipped == 0
    first_rows = summary_rows(out)
    again = run_batch(indir, out, jobs=1, progress=False)
    assert again.skipped == 4 and again.processed == 0
    assert [u.status for u in again.units] == [u.status for u in first.units]
    assert summary_rows(out) == first_rows  # the reused units are summed up as if processed again
    unit(indir, "某某县1镇人民政府", 99, file="001.xlsx")  # new content, same file
    third = run_batch(indir, out, jobs=1, progress=False)
    assert third.processed == 1 and third.skipped == 3
    (out / "某某县2镇人民政府.xlsx").unlink()  # an output lost: redone
    assert run_batch(indir, out, jobs=1, progress=False).processed == 1
    assert run_batch(indir, out, jobs=1, progress=False, force=True).processed == 4


def test_duplicate_unit_names_fail_the_second(tmp_path):
    indir = tmp_path / "in"
    unit(indir, "某某县甲镇人民政府", 1, file="a.xlsx")
    unit(indir, "某某县甲镇人民政府", 2, file="b.xlsx")
    res = run_batch(indir, tmp_path / "out", jobs=1, progress=False)
    assert sorted(u.status for u in res.units) == sorted([STATUS_OK, STATUS_FAILED])
    assert "重复" in next(u.reason for u in res.units if u.status == STATUS_FAILED)


def test_a_unit_named_like_the_summary_is_not_overwritten_by_it(tmp_path):
    indir = tmp_path / "in"
    unit(indir, "汇总", 1, file="a.xlsx")
    res = run_batch(indir, tmp_path / "out", jobs=1, progress=False)
    assert res.units[0].status == STATUS_FAILED and "汇总.xlsx" in res.units[0].reason


def test_duplicate_names_across_workers_name_the_holder(tmp_path):
    indir = tmp_path / "in"
    for i, file in enumerate(("a.xlsx", "b.xlsx", "c.xlsx", "d.xlsx")):
        unit(indir, "某某县甲镇人民政府" if i < 2 else f"某某县{i}镇人民政府", i, file=file)
    res = run_batch(indir, tmp_path / "out", jobs=2, progress=False)
    failed = [u for u in res.units if u.status == STATUS_FAILED]
    assert len(failed) == 1
    other = ({"a.xlsx", "b.xlsx"} - {failed[0].source}).pop()
    assert f"“{other}”重复" in failed[0].reason


@pytest.mark.slow
def test_records_merged_and_reused(tmp_path, monkeypatch):
    import xl_report.batch.state as batch_module

    monkeypatch.setattr(batch_module, "RECORD_LOG_LIMIT", 1)
    indir = tmp_path / "in"
    for i in range(3):
        unit(indir, f"某某县{i}镇人民政府", i)
    out = tmp_path / "out"
    assert run_batch(indir, out, jobs=2, progress=False).processed == 3
    logs = list((out / ".xl-report" / "units").iterdir())
    assert len(logs) == 1, logs  # the workers' logs merged into one
    with open(logs[0], "ab") as f:
        f.write(b'{"source": "000.xlsx", "unit": "torn')  # a run killed mid-write
    again = run_batch(indir, out, jobs=2, progress=False)
    assert again.skipped == 3 and again.processed == 0


def _values(outdir: Path) -> dict:
    """Named-cell values of every unit output (calamine: fast enough for many files)."""
    out = {}
    for p in sorted(outdir.glob("*.xlsx")):
        if p.name != SUMMARY_FILE:
            fields = read_workbook(p)[1]
            out[p.name] = (fields["values"], fields["narrative"], fields["meta_unit"], fields.get("meta_fingerprint"))
    return out


@pytest.mark.slow
def test_killed_run_then_rerun_equals_uninterrupted_run(tmp_path):
    indir = tmp_path / "in"
    for i in range(60):
        unit(indir, f"某某县{i:03d}单位", i)
    killed_out, clean_out = tmp_path / "killed", tmp_path / "clean"
    cmd = [sys.executable, "-m", "xl_report", "batch", str(indir), "-o", str(killed_out), "--freeze", "--jobs", "1"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list(killed_out.glob("*.xlsx"))) < 8 and proc.poll() is None:
        time.sleep(0.01)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done = len(list(killed_out.glob("*.xlsx")))
    assert 0 < done < 60 and not (killed_out / SUMMARY_FILE).exists(), done
    # never a half-written .xlsx (a temp file may remain; the next run removes it)
    for p in killed_out.glob("*.xlsx"):
        assert zipfile.ZipFile(p).testzip() is None
    resumed = run_batch(indir, killed_out, freeze=True, jobs=2, progress=False)
    assert resumed.skipped >= done - 1 and resumed.processed <= 60 - done + 1
    run_batch(indir, clean_out, freeze=True, jobs=2, progress=False)
    assert not list(killed_out.glob(".*.tmp"))
    assert _values(killed_out) == _values(clean_out)
    assert summary_rows(killed_out) == summary_rows(clean_out)


@pytest.mark.parametrize("n, jobs", [(0, 2), (1, 2), (7, 2), (1000, 2), (333, 3)])
def test_chunks_cover_every_unit_once_in_order_and_shrink_at_the_end(n, jobs):
    from xl_report.batch.run import _chunks

    chunks = list(_chunks(list(range(n)), jobs))
    assert [x for c in chunks for x in c] == list(range(n))
    sizes = [len(c) for c in chunks]
    assert all(1 <= s <= 16 for s in sizes) and sizes == sorted(sizes, reverse=True)
    if n >= 1000:
        assert sizes[0] == 16 and sizes[-jobs:] == [1] * jobs  # no long chunk left for one worker alone


def test_summary_links_survive_hash_and_percent_in_unit_names(tmp_path):
    """A hyperlink target is a URL: '#' would cut it at a location, '%' start an escape."""
    from urllib.parse import unquote, urlsplit

    indir = tmp_path / "in"
    indir.mkdir()
    name = "某某县第1#片区%25办"
    unit(indir, name, 1)
    run_batch(indir, tmp_path / "out", year=YEAR, progress=False)
    ws = openpyxl.load_workbook(tmp_path / "out" / SUMMARY_FILE)["汇总"]
    target = next(r for r in ws.iter_rows(min_row=4) if r[1].value == name)[12].hyperlink.target
    url = urlsplit(target)
    assert not url.fragment and unquote(url.path) == f"{name}.xlsx"
    assert (tmp_path / "out" / unquote(url.path)).is_file()


@pytest.mark.slow
def test_workers_end_when_the_batch_process_is_killed(tmp_path):
    """SIGKILL on the batch process alone (not its group): its workers must not live on, waiting
    for work forever and holding the console's pipe open (a CI step or a log reader would hang)."""
    import threading

    indir = tmp_path / "in"
    for i in range(200):
        unit(indir, f"某某县{i:03d}单位", i)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "xl_report", "batch", str(indir), "-o", str(out), "--jobs", "2"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and len(list(out.glob("*.xlsx"))) < 10 and proc.poll() is None:
            time.sleep(0.01)
        assert proc.poll() is None, "the batch finished before it could be killed"
        proc.kill()
        proc.wait()
        reader = threading.Thread(target=proc.stderr.read, daemon=True)
        reader.start()
        reader.join(15)
        assert not reader.is_alive(), "worker processes outlived the killed batch, holding its stderr open"
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


@pytest.mark.slow
def test_duplicate_names_the_first_file_wins_whatever_ran_first(tmp_path):
    """b.xlsx processed alone first (its record is then reused and claims the name before a.xlsx
    runs): a.xlsx still keeps the name, exactly as in a clean run of both; and a duplicate failure is
    decided again when the other file goes away."""
    indir, out, clean = tmp_path / "in", tmp_path / "out", tmp_path / "clean"
    unit(indir, "某某县甲镇人民政府", 2, file="b.xlsx")
    unit(indir, "某某县乙镇人民政府", 3, file="c.xlsx")
    run_batch(indir, out, jobs=1, progress=False)
    unit(indir, "某某县甲镇人民政府", 1, file="a.xlsx")
    res = run_batch(indir, out, jobs=2, progress=False)
    status = {u.source: u for u in res.units}
    assert status["a.xlsx"].status == STATUS_OK and status["b.xlsx"].status == STATUS_FAILED
    assert "“a.xlsx”重复" in status["b.xlsx"].reason
    run_batch(indir, clean, jobs=2, progress=False)
    assert _values(out) == _values(clean)
    assert summary_rows(out) == summary_rows(clean)
    assert (
        json.loads((out / "findings.json").read_text("utf-8"))["rollup"]
        == json.loads((clean / "findings.json").read_text("utf-8"))["rollup"]
    )
    (indir / "a.xlsx").unlink()
    again = {u.source: u for u in run_batch(indir, out, jobs=2, progress=False).units}
    assert again["b.xlsx"].status == STATUS_OK and not again["b.xlsx"].skipped


def test_an_input_file_named_like_the_summary_is_not_overwritten_by_it(tmp_path):
    indir, out = tmp_path / "in", tmp_path / "out"
    unit(indir, "汇总", 1, file=SUMMARY_FILE)
    unit(indir, "某某县乙镇人民政府", 2, file="b.xlsx")
    res = run_batch(indir, out, jobs=1, progress=False)
    assert res.units[1].source == SUMMARY_FILE
    assert res.units[1].status == STATUS_FAILED and "“汇总.xlsx”重复" in res.units[1].reason
    assert res.units[1].file is None and [r[1] for r in summary_rows(out)][:2] == ["某某县乙镇人民政府", "汇总"]


def test_previous_folder_without_any_report_is_refused(tmp_path):
    """--previous given last year's tally folder (inputs, not outputs): exit 2 and say so, rather
    than a run whose cross-year checks silently never happen."""
    prev_in = tmp_path / "2023台账"
    prev_in.mkdir()
    (prev_in / "甲镇.xlsx").write_bytes(template_bytes())  # a tally workbook: its tables never filled
    indir = tmp_path / "in"
    unit(indir, "某某县甲镇人民政府", 1)
    res = CliRunner().invoke(app, ["batch", str(indir), "-o", str(tmp_path / "out"), "--previous", str(prev_in)])
    assert res.exit_code == 2, res.output
    assert "没有任何单位的年报" in res.output and "2023台账" in res.output and "Traceback" not in res.output
    assert not (tmp_path / "out").exists()


def test_unit_list_with_a_title_row_above_the_header(tmp_path):
    """The list as a clerk makes it: a merged title row, then 序号 | 单位名称 | 联系人."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["某某县2024年度应报送年报单位名单"])
    ws.merge_cells("A1:C1")
    ws.append(["序号", "单位名称", "联系人"])
    for i, name in enumerate(["某某县甲镇人民政府", "某某县乙镇人民政府 "]):
        ws.append([i + 1, name, "张三"])
    wb.save(tmp_path / "名单.xlsx")
    assert read_unit_list(tmp_path / "名单.xlsx") == ["某某县甲镇人民政府", "某某县乙镇人民政府"]


def test_a_users_file_in_the_output_folder_is_backed_up_not_overwritten(tmp_path):
    indir, out = tmp_path / "in", tmp_path / "out"
    unit(indir, "某某县甲镇人民政府", 1)
    out.mkdir()
    (out / "某某县甲镇人民政府.xlsx").write_bytes(b"the clerk's own workbook")
    res = run_batch(indir, out, jobs=1, progress=False)
    backups = list(out.glob("某某县甲镇人民政府.备份-*.xlsx"))
    assert len(backups) == 1 and backups[0].read_bytes() == b"the clerk's own workbook"
    assert backups[0].name in " ".join(res.units[0].notes)
    assert read_report_file(out / "某某县甲镇人民政府.xlsx").unit == "某某县甲镇人民政府"
    run_batch(indir, out, jobs=1, progress=False, force=True)  # our own output: replaced, no new backup
    assert len(list(out.glob("*.备份-*"))) == 1


def test_a_users_summary_in_a_fresh_output_folder_is_backed_up(tmp_path):
    indir, out = tmp_path / "in", tmp_path / "out"
    unit(indir, "某某县甲镇人民政府", 1)
    out.mkdir()
    (out / SUMMARY_FILE).write_bytes(b"last year's summary, made by hand")
    run_batch(indir, out, jobs=1, progress=False)
    (backup,) = out.glob("汇总.备份-*.xlsx")
    assert backup.read_bytes() == b"last year's summary, made by hand"
    run_batch(indir, out, jobs=1, progress=False, force=True)  # ours from now on: no new backup
    assert len(list(out.glob("*.备份-*"))) == 1


@pytest.mark.parametrize("year", ["99999", "24", "0"])
def test_implausible_year_is_refused_before_any_unit(tmp_path, year):
    indir = tmp_path / "in"
    unit(indir, "某某县甲镇人民政府", 1)
    res = CliRunner().invoke(app, ["batch", str(indir), "-o", str(tmp_path / "out"), "--year", year])
    assert res.exit_code == 2 and "报告年度" in res.output and "内部错误" not in res.output, res.output
    assert not (tmp_path / "out").exists()


def test_unit_list_toml_as_notepad_saves_it(tmp_path):
    bom = tmp_path / "bom.toml"
    bom.write_bytes('\ufeffunits = ["某某县甲镇人民政府", "某某县乙镇人民政府"]\n'.encode("utf-8"))
    assert read_unit_list(bom) == ["某某县甲镇人民政府", "某某县乙镇人民政府"]
    one = tmp_path / "one.toml"
    one.write_text('units = "某某县甲镇人民政府"\n', encoding="utf-8")
    assert read_unit_list(one) == ["某某县甲镇人民政府"]  # not one unit per character
    gbk = tmp_path / "gbk.toml"
    gbk.write_bytes('units = ["某某县甲镇人民政府"]\n'.encode("gbk"))
    with pytest.raises(InputError, match="UTF-8"):
        read_unit_list(gbk)


def test_a_second_batch_into_the_same_output_folder_is_refused(tmp_path):
    from xl_report.batch.state import exclusive as _exclusive
    from xl_report.core.errors import InputError

    indir = tmp_path / "in"
    indir.mkdir()
    unit(indir, "某某县甲镇人民政府", 1)
    out = tmp_path / "out"
    with _exclusive(out):  # a batch already running there
        with pytest.raises(InputError, match="另一个批量处理正在写入"):
            run_batch(indir, out, year=YEAR, progress=False)
    assert run_batch(indir, out, year=YEAR, progress=False).units[0].status == STATUS_OK  # released


@pytest.mark.slow
def test_outputs_of_removed_inputs_are_moved_aside_not_sent(tmp_path):
    from xl_report.batch.state import RETIRED_DIR

    indir, out = tmp_path / "in", tmp_path / "out"
    indir.mkdir()
    keep = unit(indir, "某某县甲镇人民政府", 1)
    gone = unit(indir, "某某县乙镇人民政府", 2)
    edited = unit(indir, "某某县丙镇人民政府", 3)
    run_batch(indir, out, year=YEAR, freeze=True, progress=False)
    (out / "某某县丙镇人民政府-定稿.xlsx").write_bytes(b"changed by hand since")  # the user's now: stays
    gone.unlink()
    edited.unlink()
    res = run_batch(indir, out, year=YEAR, freeze=True, progress=False)
    assert res.retired == ["某某县乙镇人民政府-定稿.xlsx"]
    assert (out / RETIRED_DIR / "某某县乙镇人民政府-定稿.xlsx").is_file()
    assert not (out / "某某县乙镇人民政府-定稿.xlsx").exists()
    assert (out / "某某县丙镇人民政府-定稿.xlsx").read_bytes() == b"changed by hand since"
    assert (out / "某某县甲镇人民政府-定稿.xlsx").is_file() and keep.is_file()
    assert run_batch(indir, out, year=YEAR, freeze=True, progress=False).retired == []  # once


def test_a_renamed_input_keeps_its_unit_output(tmp_path):
    """Same unit, new file name: the output is this run's, not a stale one."""
    indir, out = tmp_path / "in", tmp_path / "out"
    indir.mkdir()
    path = unit(indir, "某某县甲镇人民政府", 1)
    run_batch(indir, out, year=YEAR, freeze=True, progress=False)
    path.rename(indir / "甲镇.xlsx")
    res = run_batch(indir, out, year=YEAR, freeze=True, progress=False)
    assert res.retired == [] and (out / "某某县甲镇人民政府-定稿.xlsx").is_file()


def test_the_results_table_shows_what_is_wrong_not_the_heading():
    from xl_report.cli.cmd_batch import _first_reason

    reason = (
        "台账“甲.xlsx”有 2 处错误，未写入任何文件：\n  - 文件“甲.xlsx”，工作表“依申请公开台账”，第2行，“办结日期”列："
        "办结日期早于收到日期（值：2023-09-03）\n  - 文件“甲.xlsx”，工作表“文件台账”，第3行：必填项为空"
    )
    assert (
        _first_reason(reason)
        == "工作表“依申请公开台账”，第2行，“办结日期”列：办结日期早于收到日期（值：2023-09-03）（另有 1 处）"
    )
    assert _first_reason("文件过大（70 MB）") == "文件过大（70 MB）" and _first_reason(None) == ""


@pytest.mark.slow
def test_a_variant_sheet_name_is_counted_as_the_tally_sheet_not_as_zero(tmp_path):
    """'依申请公开台帐' (the older spelling) holds the 依申请公开台账: the unit's 表三 counts it (issue 16)."""
    indir, other = tmp_path / "in", tmp_path / "in2"
    indir.mkdir()
    other.mkdir()
    path = unit(indir, "某某县甲镇人民政府", 1)
    wb = openpyxl.load_workbook(path)
    wb["依申请公开台账"].title = "依申请公开台帐"
    wb.save(other / path.name)
    (native,) = run_batch(indir, tmp_path / "out", year=YEAR, progress=False).units
    (variant,) = run_batch(other, tmp_path / "out2", year=YEAR, progress=False).units
    assert variant.status == native.status == STATUS_OK
    assert variant.headline == native.headline and native.headline["新收"] > 0


@needs_soffice
def test_libreoffice_recalculating_a_filled_output_gets_our_numbers(tmp_path):
    """The batch writes 总计 cells as SUM formulas with the values it computed cached beside them:
    LibreOffice, made to recalculate every formula on load, must arrive at the same 200 numbers."""
    import zipfile as zf

    indir = tmp_path / "in"
    indir.mkdir()
    unit(indir, "某某县甲镇人民政府", 7)
    (res,) = run_batch(indir, tmp_path / "out", year=YEAR, progress=False).units  # not frozen: formulas kept
    ours = tmp_path / "out" / res.file
    with zf.ZipFile(ours) as z:
        assert sum(z.read(n).count(b"<f>SUM(") for n in z.namelist() if n.startswith("xl/worksheets/")) == len(
            form.COMPUTED_FROM
        )  # every 总计 is a formula
    theirs = recalculated_by_libreoffice(ours, tmp_path / "lo")
    a, b = cached_values(ours), cached_values(theirs)  # what each engine stored, not re-evaluated here
    assert [n for n in form.CELL_NAMES if (a[n] or 0) != (b[n] or 0)] == []
    assert a["t3_total_total"] > 0


def cached_values(path: Path) -> dict[str, object]:
    from xl_report.xlsx.workbook import resolve_names

    wb = openpyxl.load_workbook(path, data_only=True)
    return {n: wb[sheet][coord].value for n, (sheet, coord) in resolve_names(wb).items() if n in form.CELL_BY_NAME}


@pytest.mark.slow
def test_the_batch_runs_where_there_is_no_fork(tmp_path):
    """Windows starts workers by spawning (fresh interpreters that import and parse the template
    themselves): the same outputs as the forked run."""
    indir = tmp_path / "in"
    indir.mkdir()
    for i in range(5):
        unit(indir, f"某某县第{i}镇人民政府", 20 + i)
    forked = run_batch(indir, tmp_path / "forked", year=YEAR, jobs=2, freeze=True, progress=False)
    script = (
        "import multiprocessing, sys\n"
        "from pathlib import Path\n"
        "if __name__ == '__main__':\n"
        "    multiprocessing.set_start_method('spawn')\n"
        "    multiprocessing.get_all_start_methods = lambda: ['spawn', 'forkserver']  # as on Windows\n"
        "    from xl_report.batch import run_batch\n"
        f"    r = run_batch(Path(sys.argv[1]), Path(sys.argv[2]), year={YEAR}, jobs=2, freeze=True,\n"
        "                  progress=False)\n"
        "    print(sorted(u.status for u in r.units))\n"
    )
    (tmp_path / "spawned.py").write_text(script, encoding="utf-8")
    res = subprocess.run(
        [sys.executable, str(tmp_path / "spawned.py"), str(indir), str(tmp_path / "spawned")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == str(sorted(u.status for u in forked.units))
    for u in forked.units:  # frozen at another moment: compare what the reports say, not the bytes
        assert (
            read_report_file(tmp_path / "spawned" / u.file).values
            == read_report_file(tmp_path / "forked" / u.file).values
        )


@pytest.mark.slow
def test_workbooks_in_subfolders_are_pointed_out(tmp_path):
    """Filed by township / department in subfolders, they would silently show as 未提交."""
    indir = tmp_path / "in"
    (indir / "乡镇").mkdir(parents=True)
    unit(indir, "某某县甲镇人民政府", 1)
    unit(indir / "乡镇", "某某县乙镇人民政府", 2)
    (indir / "空文件夹").mkdir()
    for _ in range(2):  # the second time OUTDIR (inside DIR) holds workbooks too: not listed
        res = CliRunner().invoke(app, ["batch", str(indir), "-o", str(indir / "输出")])
        assert res.exit_code == 0, res.output
        assert "子文件夹（乡镇）" in res.output.replace("\n", ""), res.output


@pytest.mark.parametrize(
    "text, words",
    [
        ("units = 5\n", "名称列表"),
        ("units = {name = 1}\n", "名称列表"),
        ("units = [" + ", ".join(f'"单位{i}"' for i in range(10_001)) + "]\n", "名称过多"),
    ],
)
def test_a_misshapen_unit_list_is_a_chinese_message(tmp_path, text, words):
    path = tmp_path / "单位名单.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=words):
        read_unit_list(path)


def test_killed_between_record_and_output_the_rerun_backs_nothing_up(tmp_path, monkeypatch):
    """The record is written before the output: an output without a record would be taken for the
    user's own file and backed up (a kill landing there made `.备份-` copies appear at random)."""
    from xl_report.batch import unit as batch_unit

    indir = tmp_path / "in"
    indir.mkdir()
    unit(indir, "某某县甲镇人民政府", 1)
    out = tmp_path / "out"
    real_save = batch_unit.save_record

    def killed(*args):  # the process dies as it records the unit
        raise KeyboardInterrupt

    monkeypatch.setattr(batch_unit, "save_record", killed)
    with pytest.raises(KeyboardInterrupt):
        run_batch(indir, out, year=YEAR, jobs=1, progress=False)
    monkeypatch.setattr(batch_unit, "save_record", real_save)
    (res,) = run_batch(indir, out, year=YEAR, jobs=1, progress=False).units
    assert res.status == STATUS_OK and not res.notes
    assert sorted(p.name for p in out.glob("*.xlsx")) == ["某某县甲镇人民政府.xlsx", SUMMARY_FILE]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="the lock is inherited only through fork")
def test_forked_worker_does_not_keep_the_output_folder_locked(tmp_path):
    """A batch killed outright must leave its output folder free at once, not when its orphaned workers
    notice: a worker lets go of the lock descriptor it inherited through the fork."""
    from xl_report.batch.state import drop_inherited_locks, exclusive

    for drop in (False, True):
        out = tmp_path / f"out-{drop}"
        with exclusive(out):
            pid = os.fork()
            if pid == 0:  # the "worker": outlives the batch's hold of the lock
                if drop:
                    drop_inherited_locks()
                time.sleep(3)
                os._exit(0)
        try:
            held = subprocess.run(
                [
                    sys.executable,
                    "-c",
                    (
                        "import fcntl, sys\n"
                        f"f = open({str(out / '.xl-report' / 'lock')!r}, 'a+b')\n"
                        "try:\n    fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)\n"
                        "except OSError:\n    sys.exit(1)\n"
                    ),
                ]
            ).returncode
        finally:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        assert held == (0 if drop else 1)


def test_the_summary_chart_table_streamed_in_equals_the_one_written_cell_by_cell(tmp_path):
    """The summary streams the units' rows of its 图表 table into the saved sheet (openpyxl cells were
    slow for hundreds of units): the sheet must read exactly as add_chart_sheet's own cells would."""
    from xl_report.xlsx.charts import SHEET_CHARTS, add_chart_sheet

    indir = tmp_path / "in"
    for i, name in enumerate(["某某县甲镇人民政府", "甲&乙<镇>", "某某县丙镇人民政府"]):
        unit(indir, name, i + 1)
    (indir / "坏.xlsx").write_bytes(b"not a workbook")  # no report: no row
    batch = run_batch(indir, tmp_path / "out", year=YEAR, progress=False, jobs=1)
    rows = [(u.unit, *batch.charts[u.source]) for u in batch.units if u.source in batch.charts]
    assert len(rows) == 3
    wb = openpyxl.Workbook()
    add_chart_sheet(wb, rows, YEAR)
    wb.save(tmp_path / "cells.xlsx")

    def table(path: Path) -> list[tuple]:
        return list(openpyxl.load_workbook(path)[SHEET_CHARTS].iter_rows(values_only=True))

    streamed = table(tmp_path / "out" / SUMMARY_FILE)
    assert streamed == table(tmp_path / "cells.xlsx")
    assert [r[0] for r in streamed[1:4]] == ["某某县甲镇人民政府", "甲&乙<镇>", "某某县丙镇人民政府"]
    assert streamed[5][0] == "全县合计" and streamed[5][1] == sum(r[1] for r in streamed[1:4])


def test_a_unit_list_name_and_a_received_name_missing_characters_are_pointed_at_each_other(tmp_path):
    """“某某县甲镇政府” received, “某某县甲镇人民政府” on the list: one unit that mistyped its name, not a missing
    unit and a stranger. 丙镇 / 丁镇 differ by a character, not by one leaving some out: never paired."""
    indir = tmp_path / "in"
    unit(indir, "某某县甲镇政府", 1)
    unit(indir, "某某县乙镇人民政府", 2)
    unit(indir, "某某县丙镇人民政府", 3)
    units = tmp_path / "units.toml"
    units.write_text('units = ["某某县甲镇人民政府", "某某县乙镇人民政府", "某某县丁镇人民政府"]\n', encoding="utf-8")
    result = run_batch(indir, tmp_path / "out", year=YEAR, jobs=1, units=units, progress=False)
    by_name = {u.unit: u for u in result.units}
    assert by_name["某某县甲镇人民政府"].status == STATUS_MISSING
    assert "收到的“某某县甲镇政府”（文件“001.xlsx”）可能就是该单位" in (by_name["某某县甲镇人民政府"].reason or "")
    assert any("名单中的“某某县甲镇人民政府”可能就是该单位" in n for n in by_name["某某县甲镇政府"].notes)
    assert by_name["某某县丁镇人民政府"].reason == "未收到该单位的文件"  # 丙镇 is not 丁镇
    assert any(n == "该单位不在单位名单中，请核对单位名称" for n in by_name["某某县丙镇人民政府"].notes)
    assert by_name["某某县乙镇人民政府"].status in (STATUS_OK, STATUS_ERRORS)
