"""xl-report adopt: an office's own ledger (台账) → the template workbook, every decision listed."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from xl_report.cli.app import app, escape, guarded, out
from xl_report.cli.readme_table import readme_row
from xl_report.core.filenames import ADOPT_SHEET


@readme_row(
    "`xl-report adopt 台账.xls -o 工作簿.xlsx [--year 2024] [--unit 名称] [--mapping 上次.xlsx] "
    "[--save-mapping 映射.toml]`",
    "已有台账转换：读单位自己格式的台账（其他表头和工作表名、文字写的办理结果和申请人类型、.xlsx/.xls/.ods/.csv），"
    "写成填报工作簿；原文保留在“原文：”列，“台账转换说明”工作表列出每一个判断（哪列读作什么、每种写法转换成哪一项及"
    "依据、跳过的行）；不能确定的写法标成橙色并有下拉列表，从不猜测、不计数。`--mapping` 用上次转换并选好的工作簿"
    "或 `--save-mapping` 保存的 .toml，下一年不必再选。见“已有台账怎么办”",
)
@app.command(
    "adopt",
    help="把单位自己的台账（其他表头、文字写的办理结果，.xlsx/.xls/.ods/.csv）转换为填报工作簿。\n\n"
    f"五张台账工作表写入规范的值，原文保留在右侧的“原文：”列；“{ADOPT_SHEET}”工作表列出每一个判断："
    "哪一列读作什么、每种写法转换成哪一项（依据哪条规则）、哪些需要经办人员选择（橙色格子，有下拉列表）、"
    "哪些行跳过及原因。选好后运行 xl-report fill。",
)
@guarded
def adopt_cmd(
    ledger: Annotated[Path, typer.Argument(help="单位自己的台账（.xlsx/.xlsm/.xls/.ods/.csv）", show_default=False)],
    output: Annotated[Path, typer.Option("-o", "--output", help="输出的填报工作簿（.xlsx）", dir_okay=False)],
    year: Annotated[int | None, typer.Option("--year", help="报告年度（写入“说明”工作表）", min=1990, max=2100)] = None,
    unit: Annotated[str | None, typer.Option("--unit", help="单位名称（写入“说明”工作表）")] = None,
    mapping: Annotated[
        Path | None,
        typer.Option(
            "--mapping",
            help="上次的映射：--save-mapping 保存的 .toml，或上次转换并选好的工作簿 .xlsx",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    save_mapping: Annotated[
        Path | None, typer.Option("--save-mapping", help="把本次的映射另存为 .toml", dir_okay=False)
    ] = None,
) -> None:
    from xl_report.stages.adopt import adopt_ledger  # lazy: xl-report --help imports no library code

    result = adopt_ledger(ledger, output, year=year, unit=unit, mapping=mapping, save_mapping_to=save_mapping)
    rows = "，".join(f"{name} {n} 行" for name, n in result.rows.items()) or "没有数据行"
    out.print(f"已转换：{escape(str(result.output))}（{escape(rows)}）")
    for d in result.adoption.decisions:
        out.print(f"  {escape(str(d))}")
    if result.undecided or result.unreadable:
        out.print(
            f"[yellow]还需处理：[/]{result.undecided} 个格子待选择（橙色，下拉列表中选择），"
            f"{result.unreadable} 个格子需核对（红色）。详见“{ADOPT_SHEET}”工作表；处理好后运行 xl-report fill。"
        )
    else:
        out.print("全部已转换，可以运行 xl-report fill。")
    if result.mapping_file is not None:
        out.print(f"映射已保存：{escape(str(result.mapping_file))}（下次用 --mapping 指定）")
