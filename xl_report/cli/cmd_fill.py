"""xl-report fill: the tables from the tally sheets."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape

from xl_report.cli.app import app, guarded, out
from xl_report.core.filenames import FILLED_SUFFIX


@app.command(
    "fill",
    help="从台账自动填报表二、表三、表四。\n\n"
    f"INPUT 是记有台账的工作簿（通常是填好台账的年报模板）；结果写入 OUTPUT（默认“<原文件名>{FILLED_SUFFIX}.xlsx”），"
    "原文件不会被改动。台账有任何错误时列出全部错误，不写任何文件。",
)
@guarded
def fill_cmd(
    input: Annotated[Path, typer.Argument(help="台账工作簿（.xlsx）", show_default=False)],
    output: Annotated[Optional[Path], typer.Option("-o", "--output", help="输出文件", dir_okay=False)] = None,
    year: Annotated[Optional[int], typer.Option("--year", help="报告年度（默认取“说明”工作表中的报告年度）",
                                                min=1990, max=2100)] = None,
) -> None:
    from xl_report.stages.fill import fill_workbook, summary_lines  # lazy: CLI start-up

    result = fill_workbook(input, output, year)
    out.print(f"已填报 {result.report.year} 年度（{'、'.join(result.tables) or '无'}）：{escape(str(result.output))}")
    for line in summary_lines(result.summary):
        out.print(f"  {escape(line)}")
    for note in result.notes:
        out.print(f"[yellow]注意：[/]{escape(note)}")
