"""xl-report render: the publishable annual report (.docx / .html / .md) from a filled workbook."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from xl_report.cli.app import _escape, app, guarded, out
from xl_report.core.filenames import DOCUMENT_SUFFIXES


@app.command("render", help="生成对外公开的年度报告：标题、前言、一至六部分，表二、表三、表四按官方格式合并表头。"
                            f"输出格式由文件后缀决定（{' / '.join(DOCUMENT_SUFFIXES)}；默认与工作簿同名的 .docx）。"
                            "正文中的 {新收} 等占位符换成表中数字。")
@guarded
def render_cmd(
    workbook: Annotated[Path, typer.Argument(help="已填报的年报工作簿", dir_okay=False)],
    output: Annotated[Optional[Path], typer.Option(
        "-o", "--output", help="输出文件：年报.docx、年报.html 或 年报.md", dir_okay=False)] = None,
) -> None:
    from xl_report.render import check_suffix, render  # lazy: CLI start-up
    from xl_report.xlsx.fileio import backup_existing
    from xl_report.xlsx.workbook import read_report_file

    output = output or workbook.with_suffix(".docx")
    check_suffix(output)  # before reading: a wrong name fails fast
    report = read_report_file(workbook)
    backup = backup_existing(output)  # the last .docx may have been polished by hand
    result = render(report, output)
    out.print(f"已生成年报：{_escape(str(result.path))}")
    if backup:
        out.print(f"原有同名文件已备份为 {_escape(backup.name)}")
    for note in result.warnings:
        out.print(f"[yellow]提示：[/]{_escape(note)}")
