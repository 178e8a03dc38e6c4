"""xl-report fill: the tables from the tally sheets."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from xl_report.cli.app import app, escape, guarded, out
from xl_report.cli.readme_table import readme_row
from xl_report.core.filenames import FILLED_SUFFIX


@readme_row(
    "`xl-report fill 工作簿.xlsx [-o 输出.xlsx] [--year 2024]`",
    "填报：按统计规则从五张台账算出表二、表三、表四（新收、上年结转、办理结果、结转下年度；制发、废止、"
    "现行有效；处理决定数量；收费 元→万元；复议诉讼），写入 `工作簿-已填报.xlsx`（原文件不变）。"
    "台账有错时逐行列出全部错误，不写文件（退出码 2）；台账格子里的 Excel 错误值（`#N/A` 等）和没有计算结果的"
    "公式也是错误。没有的台账工作表对应的单元格保持原样；台账工作表没有记录而表中已有手工填写的数字的，也保持原样。"
    "工作簿记下填报时间和台账摘要（校验据此发现“填报后台账有改动”）。"
    "只含台账的普通 .xlsx 会生成一份新的填报工作簿并把台账复制进去（没有台账的表格留空）。也能直接读"
    "单位自己格式的台账（.xls/.ods/.csv 等，见 `adopt`），逐条打印识别的判断；有不能确定的写法时列出并退出（退出码 2）",
)
@app.command(
    "fill",
    help="从台账自动填报表二、表三、表四。\n\n"
    f"INPUT 是记有台账的工作簿（通常是填好台账的年报模板）；结果写入 OUTPUT（默认“<原文件名>{FILLED_SUFFIX}.xlsx”），"
    "原文件不会被改动。台账有任何错误时列出全部错误，不写任何文件。\n\n"
    "INPUT 也可以是单位自己的台账（其他表头、文字写的办理结果，.xlsx/.xls/.ods/.csv）：逐条列出识别的结果；"
    "有不能确定的写法时列出并退出（退出码 2），请先用 xl-report adopt 转换。",
)
@guarded
def fill_cmd(
    input: Annotated[
        Path, typer.Argument(help="台账工作簿（.xlsx，或单位自己的台账 .xls/.ods/.csv）", show_default=False)
    ],
    output: Annotated[Path | None, typer.Option("-o", "--output", help="输出文件", dir_okay=False)] = None,
    year: Annotated[
        int | None, typer.Option("--year", help="报告年度（默认取“说明”工作表中的报告年度）", min=1990, max=2100)
    ] = None,
) -> None:
    from xl_report.stages.fill import describe_numbers, fill_workbook  # lazy: xl-report --help imports no library code

    result = fill_workbook(input, output, year)
    out.print(f"已填报 {result.report.year} 年度（{'、'.join(result.tables) or '无'}）：{escape(str(result.output))}")
    for line in describe_numbers(result.numbers):
        out.print(f"  {escape(line)}")
    if result.decisions:
        out.print(f"台账识别（{len(result.decisions)} 条，详见输出文件的“台账转换说明”工作表）：")
        for line in result.decisions:
            out.print(f"  {escape(line)}")
    for note in result.notes:
        out.print(f"[yellow]注意：[/]{escape(note)}")
