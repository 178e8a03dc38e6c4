"""The batch command's result table: aligned by display width, folded, escaped, coloured only on a terminal."""

from __future__ import annotations

import io

from rich.console import Console

from xl_report.cli.plain_table import cell_width, fold, plain_table

HEADERS = ("单位名称", "状态", "错误", "提示", "文件 / 原因")


def render(table, *, terminal: bool) -> str:
    buf = io.StringIO()
    Console(file=buf, force_terminal=terminal, color_system="standard" if terminal else None, soft_wrap=True).print(
        table
    )
    return buf.getvalue()


def test_display_width_counts_a_cjk_character_as_two_cells():
    assert cell_width("abc") == 3
    assert cell_width("某某县") == 6
    assert cell_width("（.xlsx）") == 9  # full-width brackets are wide too
    assert cell_width("e\u0301") == 1  # a combining accent takes no cell


def test_fold_keeps_every_character_and_no_line_is_too_wide():
    text = "文件“坏.xlsx”：不是有效的 Excel 工作簿（.xlsx）文件；如为 .xls 或 WPS 格式，请另存为 .xlsx"
    lines = fold(text, 20)
    assert all(cell_width(line) <= 20 for line in lines) and len(lines) > 3
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    assert fold("第一行\n第二行", 40) == ["第一行", "第二行"]  # its own line breaks are kept


def test_columns_line_up_whatever_the_mix_of_chinese_and_latin():
    rows = [
        ["某某县第00001单位", "成功", "7", "12", "某某县第00001单位-定稿.xlsx"],
        ["Xinhua Town", "有错误", "345", "6", "Xinhua Town.xlsx"],
        ["坏", "失败", "", "", "文件“坏.xlsx”：不是有效的 Excel 工作簿"],
    ]
    text = render(plain_table("各单位处理结果", HEADERS, rows, 120, right=(2, 3)), terminal=False)
    lines = text.splitlines()
    assert lines[0] == "各单位处理结果" and set(lines[2]) == {"-", " "}
    header, body = lines[1], lines[3:]

    def at(line: str, cell: str, end: bool = False) -> int:  # the display column a cell starts (ends) at
        return cell_width(line[: line.index(cell) + (len(cell) if end else 0)])

    assert at(header, "状态") == at(body[0], "成功") == at(body[1], "有错误") == at(body[2], "失败")
    assert (
        at(header, "文件") == at(body[0], "某某县第00001单位-") == at(body[1], "Xinhua Town.") == at(body[2], "文件“")
    )
    assert at(header, "错误", True) == at(body[0], " 7 ", True) - 1 == at(body[1], "345", True)  # numbers: right
    assert at(header, "提示", True) == at(body[0], "12", True) == at(body[1], " 6 ", True) - 1
    assert all(line == line.rstrip() for line in lines)  # no trailing blanks


def test_a_long_reason_folds_under_its_column_and_says_everything():
    reason = "文件“炸弹.xlsx”：解压后过大（可能是压缩炸弹），已拒绝处理；请检查该文件是否为正常的台账工作簿"
    text = render(plain_table("t", HEADERS, [["甲镇", "失败", "", "", reason]], 60), terminal=False)
    lines = text.splitlines()
    assert all(cell_width(line) <= 60 for line in lines), text
    indent = cell_width(lines[3][: lines[3].index("文件")])
    assert len(lines) > 4 and all(line[:indent] == " " * indent and line[indent] != " " for line in lines[4:])
    pieces = [lines[3][lines[3].index("文件") :]] + [line[indent:] for line in lines[4:]]
    assert "".join(pieces).replace(" ", "") == reason.replace(" ", "")  # folded, nothing lost


def test_names_from_workbooks_are_shown_escaped():
    rows = [["恶意\x1b[31m单位\u202e", "成功", "0", "0", "a\x07.xlsx"]]
    text = render(plain_table("t", HEADERS, rows, 100), terminal=False)
    assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
    assert "\\x1b[31m" in text and "\\u202e" in text and "\\x07" in text


def test_status_colours_only_on_a_terminal():
    rows = [["甲镇", "成功", "0", "0", "甲镇-定稿.xlsx"], ["乙镇", "失败", "", "", "坏"]]
    styles = [[None, "green", None, None, None], [None, "red", None, None, None]]
    table = plain_table("t", HEADERS, rows, 100, styles=styles)
    coloured = render(table, terminal=True)
    assert "\x1b[32m成功\x1b[0m" in coloured and "\x1b[31m失败\x1b[0m" in coloured
    plain = render(table, terminal=False)
    assert "\x1b" not in plain and "成功" in plain and "失败" in plain
