"""xl-report template: write the blank template workbook."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from xl_report.cli.app import app, guarded, out
from xl_report.cli.readme_table import readme_row
from xl_report.core.errors import InputError
from xl_report.core.filenames import TEMPLATE_FILE


@readme_row(
    "`xl-report template -o 文件.xlsx`",
    "生成空白填报工作簿",
)
@app.command("template", help="生成空白的年报填报工作簿（含台账、表二、表三、表四、正文）。")
@guarded
def template_cmd(
    output: Annotated[Path, typer.Option("-o", "--output", help="输出文件", dir_okay=False)] = Path(TEMPLATE_FILE),
) -> None:
    from xl_report.xlsx.fileio import backup_existing  # lazy: xl-report --help imports no library code
    from xl_report.xlsx.template import write_template  # lazy: xl-report --help imports no library code

    if output.suffix.lower() != ".xlsx":
        raise InputError.at("输出文件名必须以 .xlsx 结尾", file=str(output))
    backup = backup_existing(output)  # running `template` again must not wipe a tally typed into it
    write_template(output)
    out.print(f"已生成模板：{output}")
    if backup:
        out.print(f"原有同名文件已备份为 {backup.name}")
