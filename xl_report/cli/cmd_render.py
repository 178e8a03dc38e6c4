"""xl-report render: the publishable annual report (.docx / .html / .md) from a filled workbook."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from xl_report.cli.app import app, escape, guarded, out
from xl_report.cli.readme_table import readme_row
from xl_report.core.filenames import DOCUMENT_SUFFIXES


@readme_row(
    "`xl-report render 年报.xlsx -o 年报.docx`",
    "生成对外公开的年度报告（.docx 公文格式 / .html 单页网页 / .md 预览）；正文中的 `{新收}` 等占位符换成表中数字",
)
@app.command(
    "render",
    help="生成对外公开的年度报告：标题、前言、一至六部分，表二、表三、表四按官方格式合并表头。"
    f"输出格式由文件后缀决定（{' / '.join(DOCUMENT_SUFFIXES)}；默认与工作簿同名的 .docx）。"
    "正文中的 {新收} 等占位符换成表中数字。",
)
@guarded
def render_cmd(
    workbook: Annotated[Path, typer.Argument(help="已填报的年报工作簿", dir_okay=False)],
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="输出文件：年报.docx、年报.html 或 年报.md", dir_okay=False)
    ] = None,
) -> None:
    from xl_report.document import check_suffix, render  # lazy: xl-report --help imports no library code
    from xl_report.xlsx.fileio import backup_existing  # lazy: xl-report --help imports no library code
    from xl_report.xlsx.workbook import read_report_file  # lazy: xl-report --help imports no library code

    output = output or workbook.with_suffix(".docx")
    check_suffix(output)  # before reading: a wrong name fails fast
    report = read_report_file(workbook)
    backup = backup_existing(output)  # the last .docx may have been polished by hand
    result = render(report, output)
    out.print(f"已生成年报：{escape(str(result.path))}")
    if backup:
        out.print(f"原有同名文件已备份为 {escape(backup.name)}")
    for note in result.warnings:
        out.print(f"[yellow]提示：[/]{escape(note)}")
