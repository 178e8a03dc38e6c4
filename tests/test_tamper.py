"""The tamper suite: every edit a hostile user tried on a frozen workbook (with openpyxl and in the XML),
each found by ``verify`` and named in a reader's words, on unsigned and signed files; recomputing the
public fingerprint after the edit does not get past a signature.

Decided: a frozen file opened and saved by openpyxl, or by LibreOffice, with no change verifies
(exit 0; LibreOffice drops the workbook-structure protection, which is a note): the reader view is
read from the XML whatever wrote it, and equivalent spellings are one view.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from openpyxl.comments import Comment
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Font
from typer.testing import CliRunner

from xl_report.cli import app
from xl_report.stages.freeze import freeze_file, verify_file
from xl_report.stages.signing import keygen
from xl_report.xlsx.workbook import resolve_names

from .conftest import _soffice_convert, needs_soffice
from .tamper import forge, rezip, sub
from .test_freeze import UNIT, write_book

runner = CliRunner()
STAMP_START = "定稿："


@pytest.fixture(scope="module")
def keys(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("tamper-keys")
    keygen(UNIT, d)
    return d


@pytest.fixture(scope="module")
def books(tmp_path_factory, keys) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("tamper")
    src = write_book(d / "年报.xlsx")
    return {
        "unsigned": freeze_file(src, d / "未签名-定稿.xlsx").output,
        "signed": freeze_file(src, d / "签名-定稿.xlsx", sign_key=keys / f"{UNIT}.key").output,
    }


def _cell(wb, name: str):
    sheet, coord = resolve_names(wb)[name]
    return wb[sheet][coord.split(":")[0]]


def _stamp_cell(ws):
    return next(
        c for row in ws.iter_rows() for c in row if isinstance(c.value, str) and c.value.startswith(STAMP_START)
    )


# ---- openpyxl edits: fn(wb)


def move_name_far(wb):
    wb["表三"]["Z900"] = wb["表三"]["D5"].value  # the name keeps its old value far away ...
    wb.defined_names["t3_new_person"].attr_text = "'表三'!$Z$900"
    wb["表三"]["D5"] = 99  # ... while the visible cell says 99


def names_to_hidden_sheet(wb):
    copy = wb.copy_worksheet(wb["表三"])
    copy.title = "表三副本"
    copy.sheet_state = "hidden"
    for dn in list(wb.defined_names.values()):
        if dn.attr_text.startswith("'表三'!") or dn.attr_text.startswith("表三!"):
            dn.attr_text = dn.attr_text.replace("表三", "表三副本", 1)
    wb["表三"]["D5"] = 99


def swap(ws, a: str, b: str):
    ws[a].value, ws[b].value = ws[b].value, ws[a].value


def narrative_below(wb):
    sheet, ref = resolve_names(wb)["text_other"]
    last = int("".join(ch for ch in ref.split(":")[1] if ch.isdigit()))
    wb[sheet][f"B{last + 1}"] = "补充说明：本年度另收到申请 50 件。"


def narrative_inside(wb):
    sheet, ref = resolve_names(wb)["text_problems"]
    wb[sheet][ref.split(":")[0]] = "已全部整改完毕。"


def tally_row_added(wb):
    wb["依申请公开台账"].append(["2024-099", date(2024, 5, 6), "自然人"])


def tally_row_removed(wb):
    wb["依申请公开台账"].delete_rows(2)


def white_conditional(wb):
    wb["表三"].conditional_formatting.add(
        "D5", CellIsRule(operator="greaterThan", formula=["0"], font=Font(color="FFFFFF"))
    )


def zeros_hidden(wb):
    wb["表三"].sheet_view.showZeros = False


def stamp_to_draft(wb):
    c = _stamp_cell(wb["表二"])
    c.value = c.value.replace(STAMP_START, "草稿：", 1)


def stamp_time(wb):
    c = _stamp_cell(wb["表二"])
    c.value = c.value[:3] + "2020-01-01 08:00" + c.value[19:]


def unmerge(wb):
    wb["表三"].unmerge_cells("A1:J1")


def merge_new(wb):
    wb["表四"].merge_cells("A5:B5")


OPENPYXL_EDITS = {
    "value changed": (
        lambda wb: wb["表三"].__setitem__("D5", 99),
        "表三 D5（一、本年新收政府信息公开申请数量 · 申请人情况·自然人）显示 99，定稿时为 11",
    ),
    "value stored as text": (lambda wb: wb["表三"].__setitem__("D5", "11"), "显示 “11”（文本），定稿时为 11"),
    "unit changed": (lambda wb: setattr(_cell(wb, "meta_unit"), "value", "另一个镇人民政府"), "单位名称"),
    "year changed": (lambda wb: setattr(_cell(wb, "meta_year"), "value", 2023), "报告年度"),
    "发布日期 changed": (lambda wb: setattr(_cell(wb, "meta_published"), "value", "2025-01-20"), "发布日期"),
    "narrative inside": (narrative_inside, "五、存在的主要问题及改进情况 第1段"),
    "narrative below": (narrative_below, "补充说明"),
    "row labels swapped": (lambda wb: swap(wb["表三"], "A5", "A6"), "表三 A5 显示 “二、上年结转"),
    "column labels swapped": (lambda wb: swap(wb["表三"], "E4", "F4"), "表三 E4 显示 “科研机构”"),
    "sheet renamed": (lambda wb: setattr(wb["表四"], "title", "表四（修订）"), "工作表“表四”被改名为“表四（修订）”"),
    "sheet added": (lambda wb: wb.create_sheet("补充表").__setitem__("A1", 5), "新增工作表“补充表”"),
    "hidden sheet added": (lambda wb: setattr(wb.create_sheet("x"), "sheet_state", "hidden"), "新增隐藏工作表“x”"),
    "sheet hidden": (lambda wb: setattr(wb["表二"], "sheet_state", "hidden"), "工作表“表二”由可见改为隐藏"),
    "sheet reordered": (lambda wb: wb.move_sheet("表四", -1), "工作表顺序改变"),
    "name moved far": (move_name_far, "名称 t3_new_person 已从 表三!D5 移到 表三!Z900"),
    "names moved to a hidden sheet": (names_to_hidden_sheet, "新增隐藏工作表“表三副本”"),
    "name deleted": (lambda wb: wb.defined_names.pop("t3_new_person"), "名称 t3_new_person 已被删除"),
    "number format": (lambda wb: setattr(wb["表三"]["D5"], "number_format", '"99"'), '数字格式改为“"99"”'),
    "font colour": (lambda wb: setattr(wb["表三"]["D5"], "font", Font(color="FFFFFF")), "字体颜色改为“FFFFFF”"),
    "hidden row": (lambda wb: setattr(wb["表三"].row_dimensions[5], "hidden", True), "表三 第 5 行被隐藏"),
    "hidden column": (lambda wb: setattr(wb["表三"].column_dimensions["D"], "hidden", True), "表三 第 D 列被隐藏"),
    "merged range removed": (unmerge, "表三 合并单元格 A1:J1 已取消合并"),
    "merged range added": (merge_new, "表四 新增合并单元格 A5:B5"),
    "comment added": (lambda wb: setattr(wb["表三"]["D5"], "comment", Comment("实际为 99 件", "某人")), "新增批注"),
    "stamp changed to draft": (stamp_to_draft, "显示 “草稿："),
    "stamp time changed": (stamp_time, "定稿行显示“2020-01-01 08:00"),
    "fingerprint cell changed": (lambda wb: setattr(_cell(wb, "meta_fingerprint"), "value", "0" * 64), "定稿记录为"),
    "tally row added": (tally_row_added, "显示 “2024-099”，定稿时为空"),
    "tally row changed": (
        lambda wb: wb["依申请公开台账"].__setitem__("K2", "不予公开"),
        "依申请公开台账 K2 显示 “不予公开”",
    ),
    "tally row removed": (tally_row_removed, "已清空，定稿时为 “"),
    "conditional white font": (white_conditional, "条件格式"),
    "zeros hidden": (zeros_hidden, "不显示零值"),
    "printed footer": (lambda wb: setattr(wb["表三"].oddFooter.center, "text", "本表数字已更正为 99"), "页眉页脚"),
}


# ---- raw XML edits: fn(part name, bytes) -> bytes


def _in(part: str, fn):
    def edit(name: str, data: bytes) -> bytes:
        return fn(data) if name == part else data

    return edit


SHEET3 = "xl/worksheets/sheet8.xml"  # 表三 (说明, five tallies, 表二, 表三, ...)
WORKBOOK = "xl/workbook.xml"


def formula_with_cache(name: str, data: bytes) -> bytes:
    if name == SHEET3:
        return sub(r'<c r="D5"([^>]*?)(?: t="n")?><v>11</v></c>', r'<c r="D5"\1><f>1+0</f><v>99</v></c>', data)
    if name == WORKBOOK:
        return sub(r"</workbook>", '<calcPr calcId="191029" calcMode="manual" fullCalcOnLoad="0"/></workbook>', data)
    return data


def duplicate_name(name: str, data: bytes) -> bytes:
    if name != WORKBOOK:
        return data
    twin = """<definedName name="t3_new_person">'表三'!$Z$900</definedName>"""
    return sub(r'(<definedName name="t3_new_person">)', twin + "\\1", data)


RAW_EDITS = {
    "raw value changed": (
        _in(SHEET3, lambda d: sub(r'(<c r="D5"[^>]*>)<v>11</v>', r"\1<v>99</v>", d)),
        "显示 99，定稿时为 11",
    ),
    "raw formula with cached value": (formula_with_cache, "表三 D5 含公式 =1+0"),
    "raw name moved": (
        _in(WORKBOOK, lambda d: sub(r'(<definedName name="t3_new_person">)[^<]*', r"\1'表三'!$Z$900", d)),
        "名称 t3_new_person 已从 表三!D5 移到 表三!Z900",
    ),
    "raw name duplicated": (duplicate_name, "名称 t3_new_person 出现 2 次"),
    "raw hidden row": (_in(SHEET3, lambda d: sub(r'<row r="5"', '<row r="5" hidden="1"', d)), "表三 第 5 行被隐藏"),
    "raw sheet hidden": (
        _in(
            WORKBOOK,
            lambda d: sub(
                r'name="表二" sheetId="(\d+)" state="visible"', r'name="表二" sheetId="\1" state="veryHidden"', d
            ),
        ),
        "工作表“表二”由可见改为深度隐藏",
    ),
    "raw tiny column": (
        _in(
            SHEET3,
            lambda d: sub(
                r'<col width="8.5" customWidth="1" min="4" max="4"/>',
                '<col width="0.1" customWidth="1" min="4" max="4"/>',
                d,
            ),
        ),
        "表三 第 D 列被隐藏",
    ),
}


def _edited(src: Path, tmp_path: Path, case: str) -> Path:
    out = tmp_path / f"{src.stem}-改.xlsx"
    if case in OPENPYXL_EDITS:
        wb = openpyxl.load_workbook(src)
        OPENPYXL_EDITS[case][0](wb)
        wb.save(out)
        return out
    return rezip(src, out, RAW_EDITS[case][0])


ALL = {**OPENPYXL_EDITS, **RAW_EDITS}


@pytest.mark.parametrize("case", list(ALL))
def test_edit_is_found_and_named(books, keys, tmp_path, case):
    expected = ALL[case][1]
    unsigned = _edited(books["unsigned"], tmp_path, case)
    r = verify_file(unsigned)
    assert not r.ok and r.frozen and r.exit_code == 1
    messages = [str(c) for c in r.changed] + r.messages
    assert any(expected in m for m in messages), messages
    run = runner.invoke(app, ["verify", str(unsigned)])
    assert run.exit_code == 1 and expected in run.output.replace("\n", "")

    signed = _edited(books["signed"], tmp_path, case)
    r = verify_file(signed, keys)
    assert (
        not r.ok
        and r.exit_code == 1
        and any(expected in str(c) for c in r.changed)
        or any(expected in m for m in r.messages)
    )
    # recomputing the public fingerprint, the stored view and the 定稿 lines is possible for anyone
    # (then an unsigned file passes: see test_verify), but not the signature; an edit of the 定稿 line
    # leaves the fingerprint (and so the signature) as it was and is named on its own
    forged = forge(signed)
    r = verify_file(forged, keys)
    assert not r.ok
    if r.current_fingerprint != verify_file(books["signed"]).fingerprint:
        assert r.signed is False and any("签名无效" in m or "找不到" in m for m in r.messages), r.messages
    else:
        assert any(expected in str(c) for c in r.changed)
    assert runner.invoke(app, ["verify", str(forged), "--keys", str(keys)]).exit_code == 1


def test_unchanged_frozen_file_passes(books, keys):
    assert verify_file(books["unsigned"]).ok
    r = verify_file(books["signed"], keys)
    assert r.ok and r.signed and any(f"签名有效（单位“{UNIT}”）" in m for m in r.messages)
    assert runner.invoke(app, ["verify", str(books["signed"]), "--keys", str(keys)]).exit_code == 0


def test_openpyxl_resave_without_change_passes(books, keys, tmp_path):
    out = tmp_path / "重存.xlsx"
    wb = openpyxl.load_workbook(books["signed"])
    wb.save(out)
    r = verify_file(out, keys)
    assert r.ok and r.signed, [str(c) for c in r.changed] + r.messages


def test_protection_removed_is_a_warning_saying_the_content_is_intact(books, tmp_path):
    out = rezip(
        books["unsigned"], tmp_path / "无保护.xlsx", _in(SHEET3, lambda d: sub(r"<sheetProtection[^>]*/>", "", d))
    )
    r = verify_file(out)
    assert r.ok and any("“表三”的保护已被取消" in m and "内容与定稿时一致" in m for m in r.messages), r.messages
    run = runner.invoke(app, ["verify", str(out)])
    assert run.exit_code == 0 and "内容与定稿时一致" in run.output


def test_signed_by_another_units_key_names_that_unit(books, keys, tmp_path):
    other = "某某县另一镇人民政府"
    keygen(other, keys.parent / "other")
    shutil.copy(keys.parent / "other" / f"{other}.pub", keys / f"{other}.pub")
    try:
        with pytest.raises(Exception, match="属于单位"):  # freeze --sign refuses a key of another unit
            freeze_file(
                books["unsigned"].with_name("年报.xlsx"),
                tmp_path / "x.xlsx",
                sign_key=keys.parent / "other" / f"{other}.key",
            )
        run = runner.invoke(
            app,
            [
                "freeze",
                str(books["unsigned"].with_name("年报.xlsx")),
                "-o",
                str(tmp_path / "y.xlsx"),
                "--sign",
                str(keys.parent / "other" / f"{other}.key"),
            ],
        )
        assert run.exit_code == 2 and "属于单位" in run.output and not (tmp_path / "y.xlsx").exists()
    finally:
        (keys / f"{other}.pub").unlink()


def test_every_column_hidden_by_one_col_element_is_one_range(books, tmp_path):
    out = rezip(
        books["unsigned"],
        tmp_path / "列.xlsx",
        _in(SHEET3, lambda d: sub(r"</cols>", '<col min="11" max="16384" width="9" hidden="1"/></cols>', d)),
    )
    r = verify_file(out)
    assert not r.ok and [str(c) for c in r.changed] == ["表三 第 K–XFD 列被隐藏"]


@needs_soffice
def test_a_libreoffice_resave_without_change_passes_with_a_protection_note(books, keys, tmp_path):
    """Another writer's spelling of the same content (shared strings, r8 properties, quoted print titles,
    escaped number formats, explicit black) is the same reader view."""
    src = tmp_path / "定稿.xlsx"
    shutil.copy(books["signed"], src)
    out = _soffice_convert(src, tmp_path / "lo", "xlsx:Calc MS Excel 2007 XML", tmp_path / "lo-profile")
    r = verify_file(out, keys)
    assert r.ok and r.signed, [str(c) for c in r.changed] + r.messages
    assert any("内容与定稿时一致" in m for m in r.messages)
