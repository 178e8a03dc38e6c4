"""The batch's XML filler: values read back by openpyxl and calamine, template preserved, text stays text,
frozen output verified by xl_report.stages.freeze."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, date, datetime

import openpyxl
import pytest
from lxml import etree
from python_calamine import CalamineWorkbook

from xl_report.batch.fastfill import TemplateFiller, template_bytes
from xl_report.core import form
from xl_report.core.report import ReportData
from xl_report.stages.freeze import verify_file
from xl_report.stages.freeze_record import PLACEHOLDER_FP, stamp_line
from xl_report.xlsx.workbook import read_report_file, resolve_names

from .tally_factory import request, tally_from_rows


@pytest.fixture(scope="module")
def filler() -> TemplateFiller:
    return TemplateFiller()


def sample(seed: int = 1) -> ReportData:
    r = ReportData(unit="某某县某某镇人民政府", year=2024, contact="0476-5326621", level="乡镇人民政府")
    for i, name in enumerate(form.CELL_NAMES):
        r.values[name] = (i * seed) % 9
    r.values["t2_fees_amount"] = 1.2345
    r.narrative = {"overview": ['=HYPERLINK("http://evil","点我")', "  第二段 ", "+1+2"], "other": ["无"]}
    return r.with_totals()


def write(tmp_path, data: bytes, name: str = "out.xlsx"):
    p = tmp_path / name
    p.write_bytes(data)
    return p


def test_values_read_back_by_openpyxl_and_calamine(filler, tmp_path):
    filler.fill(sample(3))  # a previous unit must not leak into the next
    report = sample(1)
    path = write(tmp_path, filler.fill(report))
    back = read_report_file(path)
    assert back.values == report.values
    assert (back.unit, back.year, back.contact, back.level) == (report.unit, 2024, report.contact, report.level)
    assert back.narrative["overview"] == ['=HYPERLINK("http://evil","点我")', "第二段", "+1+2"]
    # calamine does not calculate: it must see every total through the cached value
    wb = openpyxl.load_workbook(path)
    names = resolve_names(wb)
    cw = CalamineWorkbook.from_path(str(path))
    grids = {s: cw.get_sheet_by_name(s).to_python(skip_empty_area=False) for s in form.TABLES}
    for name in form.CELL_NAMES:
        sheet, a1 = names[name]
        c = wb[sheet][a1]
        v = grids[sheet][c.row - 1][c.column - 1]
        assert float(v) == float(report.values[name]), name
        if form.CELL_BY_NAME[name].computed:
            assert c.data_type == "f" and c.value.startswith("=SUM("), name  # Excel still recalculates


def test_text_never_becomes_a_formula(filler, tmp_path):
    path = write(tmp_path, filler.fill(sample()))
    wb = openpyxl.load_workbook(path)
    sheet, coord = resolve_names(wb)["text_overview"]
    first = wb[sheet][coord.split(":")[0]]
    assert first.data_type == "s" and first.value.startswith("=HYPERLINK")
    with zipfile.ZipFile(path) as z:
        assert b"<f>HYPERLINK" not in z.read("xl/worksheets/sheet10.xml")


def style(c) -> tuple:
    return (
        c.font.name,
        c.font.sz,
        c.font.b,
        repr(c.border.left),
        repr(c.border.bottom),
        c.fill.fgColor.rgb,
        c.alignment.wrap_text,
        c.alignment.horizontal,
        c.number_format,
        c.protection.locked,
    )


def test_template_preserved(filler, tmp_path):
    """Styles, merges, validation, names and print setup are the template's, part by part."""
    path = write(tmp_path, filler.fill(sample()))
    tpl = openpyxl.load_workbook(io.BytesIO(template_bytes()))
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == tpl.sheetnames
    assert dict(resolve_names(wb)) == dict(resolve_names(tpl))
    for t in tpl.worksheets:
        ws = wb[t.title]
        assert {str(r) for r in ws.merged_cells.ranges} == {str(r) for r in t.merged_cells.ranges}
        assert len(ws.data_validations.dataValidation) == len(t.data_validations.dataValidation)
        assert (ws.print_area, ws.page_setup.orientation, ws.freeze_panes) == (
            t.print_area,
            t.page_setup.orientation,
            t.freeze_panes,
        )
        for row in t.iter_rows():
            for c in row:
                o = ws[c.coordinate]
                assert style(o) == style(c), (t.title, c.coordinate)
    with zipfile.ZipFile(path) as out, zipfile.ZipFile(io.BytesIO(template_bytes())) as src:
        assert out.namelist() == src.namelist()
        for name in ("xl/styles.xml", "xl/workbook.xml", "xl/theme/theme1.xml", "[Content_Types].xml"):
            assert out.read(name) == src.read(name)  # byte for byte
        assert {i.date_time for i in out.infolist()} == {(2021, 9, 26, 0, 0, 0)}
        assert out.testzip() is None


def test_same_report_same_bytes(filler):
    assert filler.fill(sample()) == TemplateFiller().fill(sample())


def test_hostile_text_is_made_xml_safe(filler, tmp_path):
    r = sample()
    r.unit = "某镇\x00\x1b[31m政府"
    r.narrative = {"overview": ["a\x01b"]}
    back = read_report_file(write(tmp_path, filler.fill(r)))
    assert back.unit == "某镇[31m政府" and back.narrative["overview"] == ["ab"]


@pytest.mark.slow
def test_tally_rows_copied_and_personal_columns_dropped(filler, tmp_path):
    tally = tally_from_rows(
        requests=[request(1, date(2024, 3, 1), 申请人="张三", done=date(2024, 3, 5), result="予以公开")]
    )
    full = openpyxl.load_workbook(write(tmp_path, filler.fill(sample(), tally=tally), "a.xlsx"))
    ws = full["依申请公开台账"]
    assert ws["A2"].value == "1" and ws["B2"].value.date() == date(2024, 3, 1) and ws["D2"].value == "张三"
    assert ws["B2"].number_format == "yyyy-mm-dd"
    dropped = openpyxl.load_workbook(write(tmp_path, filler.fill(sample(), tally=tally, drop_personal=True), "b.xlsx"))
    assert dropped["依申请公开台账"]["D2"].value is None and dropped["依申请公开台账"]["A2"].value == "1"


@pytest.mark.slow
def test_frozen_output_verifies(filler, tmp_path):
    view = filler.view(sample())
    data, info = filler.fill_frozen(view, password="s3cret", now=datetime(2025, 1, 20, 9, 30, tzinfo=UTC))
    path = write(tmp_path, data, "定稿.xlsx")
    result = verify_file(path)
    assert result.ok and result.frozen and result.fingerprint == info.fingerprint, result.messages
    assert result.unit == "某某县某某镇人民政府" and result.year == 2024
    wb = openpyxl.load_workbook(path)
    assert all(ws.protection.sheet and ws.protection.password for ws in wb.worksheets)
    assert wb.security.lockStructure and wb.properties.contentStatus == "Final"
    names = resolve_names(wb)
    sheet, a1 = names["t3_total_total"]
    assert wb[sheet][a1].data_type == "n"  # freezing replaces formulas by their values
    sheet, a1 = names["t3_new_person"]
    assert wb[sheet][a1].protection.locked  # input cells locked too
    sheet, a1 = names["meta_fingerprint"]
    assert wb[sheet][a1].value == info.fingerprint
    assert any("定稿：2025-01-20 09:30" in str(c.value) for row in wb["表三"].iter_rows() for c in row)
    # the filler is reusable after a frozen unit: the next plain output is not frozen
    plain = openpyxl.load_workbook(write(tmp_path, filler.fill(sample()), "plain.xlsx"))
    assert not plain["表三"].protection.sheet
    assert not verify_file(tmp_path / "plain.xlsx").frozen


def test_changed_frozen_file_is_detected(filler, tmp_path):
    view = filler.view(sample())
    path = write(tmp_path, filler.fill_frozen(view)[0], "定稿.xlsx")
    wb = openpyxl.load_workbook(path)
    sheet, a1 = resolve_names(wb)["t3_new_person"]
    wb[sheet][a1] = 99
    wb.save(path)
    result = verify_file(path)
    assert not result.ok and result.changed


@pytest.mark.parametrize("quoting", [False, True])
def test_frozen_output_is_what_a_second_fill_writes(filler, tmp_path, quoting):
    """fill_frozen puts the fingerprint into its draft's parts instead of filling twice: the bytes must
    be exactly those of a fill with the final record — also when the report itself quotes the draft's
    定稿 line (then only a second fill is right, and the quoted text must stay as it was)."""
    now = datetime(2025, 1, 20, 9, 30, tzinfo=UTC)
    report = sample()
    if quoting:
        report.narrative["other"] = ["引用：" + stamp_line(PLACEHOLDER_FP, now)]
    tally = tally_from_rows(
        requests=[request(1, date(2024, 3, 1), 申请人="张三", done=date(2024, 3, 5), result="予以公开")]
    )
    view = filler.view(report)
    data, info = filler.fill_frozen(view, tally, password="pw", now=now, personal_removed=2)
    assert data == filler.fill(view, info, tally=tally, drop_personal=True)
    result = verify_file(write(tmp_path, data, "定稿.xlsx"))
    assert result.ok and result.fingerprint == info.fingerprint, result.messages
    if quoting:
        wb = openpyxl.load_workbook(tmp_path / "定稿.xlsx")
        texts = [str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value]
        assert any(t.startswith("引用：") and stamp_line(PLACEHOLDER_FP, now) in t for t in texts)


def test_draft_read_as_template_plus_unit_cells_is_the_whole_read(filler):
    """fill_frozen reads its draft back as the template's constant sheets (read once per process) plus
    each unit's own cells: the view must be exactly the one a reader gets from the whole parts."""
    from xl_report.batch.fastfill import _plain, freeze_info
    from xl_report.cli.demo import synthetic_unit, unit_tally
    from xl_report.core.a1 import reading_order
    from xl_report.core.aggregate import aggregate
    from xl_report.xlsx.reader_view import NS, read_view

    now = datetime(2025, 1, 20, 9, 30, tzinfo=UTC)
    draft = freeze_info(PLACEHOLDER_FP, "", password="pw", now=now)
    for seed in range(6):
        data = synthetic_unit(f"某县第{seed}镇", "乡镇人民政府", 2024, seed=seed, size=1 + seed % 3)
        tally = unit_tally(data, 2024)
        report = ReportData(unit=data.unit, year=2024, values=aggregate(tally, 2024).report.values)
        report.narrative = {"overview": ["<b>&amp;</b> 第一段", " "], "other": ["=1+1"]} if seed % 2 else {}
        view = filler.view(report)
        cells: dict[str, list[bytes]] = {}
        order, changed = filler._parts(view, draft, tally, True, None, cells)
        whole = {n: _plain(changed[n]) if n in changed else filler.plain[n].plain for n in order}
        skeleton = filler._skeleton(draft.stamp_line, draft.password_hash)
        split = {n: skeleton[n] if n in cells else whole[n] for n in order}
        for _ in range(2):  # the second time, the cells come from the memo
            a, b = read_view(whole, "whole"), read_view(split, "split", cells=cells)
            assert any(p in filler.trees for p in cells) and any(p not in filler.trees for p in cells)  # both kinds
            assert a.canonical == b.canonical
            assert (a.volatile, sorted(a.stamps), a.unprotected) == (b.volatile, sorted(b.stamps), b.unprotected)
        for part in cells:  # the premise of a tie going to the first cell: row-major order
            sheet_data = etree.fromstring(whole[part]).find(f"{{{NS}}}sheetData")
            met = [reading_order(c.get("r")) for c in sheet_data.iter(f"{{{NS}}}c")]
            assert met == sorted(met) and len(set(met)) == len(met), part


def test_sheet_protection_put_in_the_last_piece_is_the_protected_whole(filler, monkeypatch):
    """A frozen sheet's protection is put once per run into the last piece of each filled part (its data ends
    there): the parts must be exactly those protected whole, unit after unit."""
    from xl_report.batch.fastfill import freeze_info, protect_sheet_xml

    now = datetime(2025, 1, 20, 9, 30, tzinfo=UTC)
    tally = tally_from_rows(
        requests=[request(1, date(2024, 3, 1), 申请人="张三", done=date(2024, 3, 5), result="予以公开")]
    )
    for password in ("pw", None):
        info = freeze_info("ab" * 32, "", password=password, now=now)
        tails = filler._protected_tails(info.stamp_line, info.password_hash)
        assert set(tails) == set(filler._segments(info.stamp_line))  # every filled part takes the short way
        for seed in (1, 2):
            view = filler.view(sample(seed))
            _, fast = filler._parts(view, info, tally, True, None)
            with monkeypatch.context() as m:
                m.setattr(TemplateFiller, "_protected_tails", lambda self, line, pw: {})
                _, whole = filler._parts(view, info, tally, True, None)
            assert fast == whole
            for part in tails:
                assert fast[part].count(b"<sheetProtection") == 1
                assert protect_sheet_xml(fast[part], info.password_hash) == fast[part]
