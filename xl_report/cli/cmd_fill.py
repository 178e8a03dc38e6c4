"""xl-report fill: the tables from the tally sheets."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape

from ..fill import FILLED_SUFFIX, FillResult, fill_workbook
from .app import app, guarded, out


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
    result = fill_workbook(input, output, year)
    out.print(f"已填报 {result.report.year} 年度（{'、'.join(result.tables) or '无'}）：{escape(str(result.output))}")
    for line in summary_lines(result):
        out.print(f"  {escape(line)}")
    for note in result.notes:
        out.print(f"[yellow]注意：[/]{escape(note)}")


def summary_lines(result: FillResult) -> list[str]:
    s = result.summary
    lines = []
    if "新收" in s:
        lines.append(f"本年新收申请 {s['新收']} 件，上年结转 {s['上年结转']} 件，本年办结 {s['办结']} 件"
                     f"（予以公开 {s['予以公开']} 件，部分公开 {s['部分公开']} 件），结转下年度 {s['结转下年度']} 件")
    if "行政许可" in s:
        lines.append(f"行政许可 {s['行政许可']} 件，行政处罚 {s['行政处罚']} 件，行政强制 {s['行政强制']} 件，"
                     f"行政事业性收费 {s['收费金额']} 万元")
    if "行政复议" in s:
        lines.append(f"行政复议 {s['行政复议']} 件，行政诉讼 {s['直接起诉'] + s['复议后起诉']} 件"
                     f"（未经复议直接起诉 {s['直接起诉']} 件，复议后起诉 {s['复议后起诉']} 件）")
    return lines
