"""xl-report check: cross-check a report workbook; print findings, or write them into the workbook."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from xl_report.cli.app import app, err, escape, guarded, out
from xl_report.cli.readme_table import readme_row
from xl_report.core.errors import EXIT_FINDINGS, EXIT_OK, InputError
from xl_report.core.findings import SEVERITY_LABELS, count

if TYPE_CHECKING:
    from xl_report.core.findings import Finding

_STYLE = {"error": "bold red", "warning": "yellow"}


def _print_human(findings: list[Finding], path: Path) -> None:
    from rich.table import Table  # lazy: rich loads when a command prints (see cli.app._Console)

    from xl_report.xlsx.findings_sheet import location_text, verdict_line  # lazy: no library code at start-up

    errors, warnings = count(findings)
    out.print(f"校验 {escape(path.name)}：错误 {errors} 个，提示 {warnings} 个")
    for severity in ("error", "warning"):
        group = [f for f in findings if f.severity == severity]
        if not group:
            continue
        table = Table(
            title=f"{SEVERITY_LABELS[severity]}（{len(group)}）",
            title_style=_STYLE[severity],
            title_justify="left",
            show_lines=False,
            expand=False,
        )
        table.add_column("代码", no_wrap=True)
        table.add_column("说明", overflow="fold")
        table.add_column("位置", no_wrap=True)
        for f in group:
            table.add_row(f.code, escape(f.message), escape(location_text(f)))
        out.print(table)
    if not findings:
        out.print(verdict_line(findings))


def _write(wb, path: Path, findings: list[Finding]) -> Path:
    """Write 校验结果 into the user's workbook (``path``, open as ``wb``): backup first, then an atomic save."""
    from xl_report.stages.freeze import read_freeze_info  # lazy: xl-report --help imports no library code
    from xl_report.xlsx.fileio import keep_backup, save_workbook  # lazy: xl-report --help imports no library code
    from xl_report.xlsx.findings_sheet import write_findings_sheet  # lazy: xl-report --help imports no library code

    if read_freeze_info(wb) is not None:  # a frozen deliverable must not gain a sheet and highlights
        raise InputError.at("这是定稿文件，不能写入“校验结果”（会改动定稿文件）；校验结果已在上面列出", file=str(path))
    write_findings_sheet(wb, findings)
    backup = keep_backup(path)
    save_workbook(wb, path)
    return backup


@readme_row(
    "`xl-report check 年报.xlsx [--previous 上年.xlsx] [--json] [--write] [--config xl-report.toml]`",
    "校验：表格与台账一致（用填报的统计规则从台账重算，逐格指出“表中 3，台账 13”；未填报、填报后台账有改动、"
    "手工改动都报错，R07–R09）、表内勾稽关系、与上年结转衔接、正文数字与表格、台账答复期限（按法定工作日，"
    "含调休）；`--write` "
    "把“校验结果”工作表写入工作簿并标出问题单元格（先保留备份）。代码表见 [`docs/findings.md`](docs/findings.md"
    ")。退出码 0 无错误（可有提示），1 有错误，2 文件不能使用",
)
@app.command(
    "check",
    help="校验年报工作簿：表内勾稽关系、与上年衔接、正文与表格一致、台账答复期限。"
    "退出码：0 无错误（可有提示），1 有错误，2 文件无法使用。",
)
@guarded
def check_cmd(
    workbook: Annotated[Path, typer.Argument(help="年报工作簿（.xlsx）", dir_okay=False)],
    previous: Annotated[
        Path | None, typer.Option("--previous", "-p", help="上一年度的年报工作簿，用于核对上年结转", dir_okay=False)
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出校验结果")] = False,
    write: Annotated[
        bool, typer.Option("--write", help="把“校验结果”工作表写入工作簿并标出有问题的单元格（先保留备份）")
    ] = False,
    config: Annotated[
        Path | None, typer.Option("--config", "-c", help="配置文件 xl-report.toml", dir_okay=False)
    ] = None,
) -> None:
    from xl_report.core.config import load_config  # lazy: xl-report --help imports no library code
    from xl_report.stages.check import check_book  # lazy: xl-report --help imports no library code
    from xl_report.xlsx.fileio import ensure_readable  # lazy: xl-report --help imports no library code
    from xl_report.xlsx.workbook import open_workbook  # lazy: xl-report --help imports no library code

    path = ensure_readable(workbook)
    wb = open_workbook(path)  # loaded once: checked, then (--write) written into
    try:
        findings = check_book(wb, path, previous=previous, config=load_config(config))
        if as_json:
            typer.echo(json.dumps([f.to_json() for f in findings], ensure_ascii=False, indent=2))
        else:
            _print_human(findings, path)
        if write:
            backup = _write(wb, path, findings)
            note = f"已写入“校验结果”工作表：{escape(str(path))}（原文件备份：{escape(backup.name)}）"
            (err if as_json else out).print(note)  # keep stdout pure JSON
    finally:
        wb.close()
    errors, _ = count(findings)
    raise typer.Exit(EXIT_FINDINGS if errors else EXIT_OK)
