"""xl-report import / audit: read published reports back; audit them against every applicable check."""
from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from xl_report.cli.app import app, err, guarded, out
from xl_report.core.errors import EXIT_FINDINGS, EXIT_INPUT, EXIT_OK, InputError
from xl_report.core.findings import SEVERITY_LABELS

if TYPE_CHECKING:
    from xl_report.core.findings import Finding

_STYLE = {"error": "bold red", "warning": "yellow"}


def _finding_line(f: Finding) -> str:
    return f"  [{_STYLE[f.severity]}]{SEVERITY_LABELS[f.severity]}[/] {f.code} {escape(f.message)}"


_SHOWN_BLANKS = 5  # a report full of blank cells: show a few, count the rest


def _print_findings(findings: list[Finding]) -> None:
    blanks = 0
    for f in sorted(findings, key=lambda f: f.severity != "error"):
        if f.code == "F05":
            blanks += 1
            if blanks > _SHOWN_BLANKS:
                continue
        out.print(_finding_line(f))
    if blanks > _SHOWN_BLANKS:
        out.print(f"  ……另有 {blanks - _SHOWN_BLANKS} 个空白单元格（F05），加 --json 可查看全部")


@app.command("import", help="读取已发布的年报（纯文本、.html、.docx、PDF），写入年报模板工作簿："
                            "单位、年度、表二表三表四全部单元格和正文。空白、“/”“—”按空白导入（不当作 0），"
                            "读不出的表格和行逐条列出。退出码：0 已写出，2 文件无法读取。")
@guarded
def import_cmd(
    report: Annotated[Path, typer.Argument(help="已发布的年报文件（.txt/.html/.docx/.pdf）", dir_okay=False)],
    output: Annotated[Path | None, typer.Option("-o", "--output", help="输出工作簿（.xlsx），默认与年报同名",
                                                dir_okay=False)] = None,
) -> None:
    from xl_report.core import form  # lazy: CLI start-up
    from xl_report.published.importer import import_report
    from xl_report.xlsx.fileio import ensure_readable, keep_backup, save_workbook
    from xl_report.xlsx.template import build_template
    from xl_report.xlsx.workbook import write_report

    path = ensure_readable(report)
    target = output or path.with_suffix(".xlsx")
    if target.suffix.lower() != ".xlsx":
        raise InputError.at("输出文件名必须以 .xlsx 结尾", file=str(target))
    if target.resolve() == path.resolve():
        raise InputError.at("输出文件不能与年报文件相同", file=str(target))
    result = import_report(path)
    data = result.report
    wb = build_template()
    write_report(data, wb, narrative=True, totals="values")
    backup = None
    if target.exists():
        backup = keep_backup(target)
    save_workbook(wb, target)
    read = sum(1 for n in form.CELL_NAMES if n not in data.missing)
    out.print(f"已导入 {escape(data.unit or '（单位不明）')} {data.year or '?'}年年报：读出 {read}/{len(form.CELL_NAMES)} "
              f"个单元格 → {escape(str(target))}")
    if backup:
        out.print(f"原有同名文件已备份为 {escape(backup.name)}")
    if result.problems:
        out.print(f"导入时发现 {len(result.problems)} 个问题（请对照原文核实）：")
        for f in result.problems:
            out.print(_finding_line(f))
    out.print("注：工作簿中的总计格按公式重新计算；用 xl-report audit 核对原文中的总计。")


@app.command("audit", help="审核已发布的年报：导入后做全部适用的校验（勾稽关系、空白格、正文与表格、与上年衔接、"
                           "2019年旧格式、发布日期是否超期）。每份报告一行汇总。"
                           "退出码：0 无错误（可有提示），1 有错误，2 有报告无法读取。")
@guarded
def audit_cmd(
    reports: Annotated[list[Path], typer.Argument(help="一份或多份已发布的年报文件", dir_okay=False)],
    previous: Annotated[Path | None, typer.Option("--previous", "-p", help="同一单位上一年度的年报（已发布的年报或年报工作簿），"
                                                   "用于核对上年结转", dir_okay=False)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出（每份报告一个对象）")] = False,
    config: Annotated[Path | None, typer.Option("--config", "-c", help="配置文件 xl-report.toml（[deadlines]）",
                                                dir_okay=False)] = None,
) -> None:
    from xl_report.published.audit import audit
    from xl_report.core.config import load_config

    results = audit(reports, previous=previous, config=load_config(config))
    if as_json:
        typer.echo(json.dumps([r.to_json() for r in results], ensure_ascii=False, indent=2))
    else:
        for r in results:
            if r.error:
                err.print(f"[bold red]{escape(r.summary())}[/]")
                continue
            _print_findings(r.findings)
            out.print(escape(r.summary()))
        if len(results) > 1:
            bad = sum(1 for r in results if r.error or r.counts[0])
            out.print(f"共审核 {len(results)} 份年报，{bad} 份有错误或无法读取。")
    if any(r.error for r in results):
        raise typer.Exit(EXIT_INPUT)
    raise typer.Exit(EXIT_FINDINGS if any(r.counts[0] for r in results) else EXIT_OK)
