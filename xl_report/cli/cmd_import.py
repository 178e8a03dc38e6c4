"""xl-report import / audit: read published reports back; audit them against every applicable check."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from xl_report.cli.app import app, err, escape, guarded, out
from xl_report.cli.readme_table import readme_row
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


@readme_row(
    "`xl-report import 已发布年报.html -o 年报.xlsx`",
    "读取已发布的年报（纯文本、Markdown、.html、.docx、PDF；按文件内容而不是扩展名判断类型，PDF 需安装 poppler 的 "
    "pdftotext），写入填报工作簿：单位、年度、联系电话、发布日期、表二表三表四全部单元格和正文；空白、“/”“—”按空白导入"
    "（不当作 0），读不出的表格和行逐条列出，从不猜测。能读 PDF 的分栏文字（跨页重复的表头、折行的行名、页码）、"
    "在表格中途截断的网页摘录（只导入截断前的单元格）、各格数字连在一起的网页抓取文本（只在按本行总计和表内勾稽关系"
    "只有一种拆法时拆开，并提示核对）。退出码 2：文件里找不到年报表格或文件过大",
)
@app.command(
    "import",
    help="读取已发布的年报（纯文本、Markdown、.html、.docx、PDF），写入年报模板工作簿："
    "单位、年度、表二表三表四全部单元格和正文。空白、“/”“—”按空白导入（不当作 0），"
    "读不出的表格和行逐条列出。退出码：0 已写出，2 文件无法读取。",
)
@guarded
def import_cmd(
    report: Annotated[Path, typer.Argument(help="已发布的年报文件（.txt/.html/.docx/.pdf）", dir_okay=False)],
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="输出工作簿（.xlsx），默认与年报同名", dir_okay=False)
    ] = None,
) -> None:
    from xl_report.core import form  # lazy: xl-report --help imports no library code
    from xl_report.published.importer import import_report  # lazy: xl-report --help imports no importer code
    from xl_report.xlsx.fileio import ensure_readable, keep_backup, save_workbook  # lazy: as above
    from xl_report.xlsx.template import build_template  # lazy: xl-report --help imports no importer code
    from xl_report.xlsx.workbook import write_report  # lazy: xl-report --help imports no importer code

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
    out.print(
        f"已导入 {escape(data.unit or '（单位不明）')} {data.year or '?'}年年报：读出 {read}/{len(form.CELL_NAMES)} "
        f"个单元格 → {escape(str(target))}"
    )
    if backup:
        out.print(f"原有同名文件已备份为 {escape(backup.name)}")
    if result.problems:
        out.print(f"导入时发现 {len(result.problems)} 个问题（请对照原文核实）：")
        for f in result.problems:
            out.print(_finding_line(f))
    out.print("注：工作簿中的总计格按公式重新计算；用 xl-report audit 核对原文中的总计。")


@readme_row(
    "`xl-report audit 年报... [--previous 上年年报] [--json] [--config xl-report.toml]`",
    "审核已发布的年报：导入后做全部适用的校验（勾稽关系、空白格、正文与表格、与上年结转、2019年旧格式、"
    "六部分标题、发布日期是否超期：部门和乡镇 1月31日、县级以上人民政府本级 3月31日，可在配置 `[deadlines]` "
    '中用 `other = "01-31"`、`government = "03-31"` 修改），每份报告一行汇总；`--json` 每份报告一个对象，'
    "`blank_cells` 逐格列出空白或未读出的单元格及原因；读不出的单元格不参与校验（不当作 0）。"
    "退出码 0 无错误，1 有错误，2 有报告无法读取",
)
@app.command(
    "audit",
    help="审核已发布的年报：导入后做全部适用的校验（勾稽关系、空白格、正文与表格、与上年衔接、"
    "2019年旧格式、发布日期是否超期）。每份报告一行汇总。"
    "退出码：0 无错误（可有提示），1 有错误，2 有报告无法读取。",
)
@guarded
def audit_cmd(
    reports: Annotated[list[Path], typer.Argument(help="一份或多份已发布的年报文件", dir_okay=False)],
    previous: Annotated[
        Path | None,
        typer.Option(
            "--previous",
            "-p",
            help="同一单位上一年度的年报（已发布的年报或年报工作簿），用于核对上年结转",
            dir_okay=False,
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="以 JSON 输出（每份报告一个对象，含逐格列出的空白单元格及原因）")
    ] = False,
    config: Annotated[
        Path | None, typer.Option("--config", "-c", help="配置文件 xl-report.toml（[deadlines]）", dir_okay=False)
    ] = None,
) -> None:
    from xl_report.core.config import load_config  # lazy: xl-report --help imports no importer code
    from xl_report.published.audit import audit  # lazy: xl-report --help imports no importer code

    results = audit(reports, previous=previous, config=load_config(config))
    if as_json:
        typer.echo(json.dumps([r.to_json() for r in results], ensure_ascii=False, indent=2))
    else:
        for r in results:
            if r.error:
                err.print(f"[bold red]{escape(r.verdict_line())}[/]")
                continue
            _print_findings(r.findings)
            out.print(escape(r.verdict_line()))
            blank = r.blank_cells()
            if blank:
                out.print(f"  {len(blank)} 个单元格空白或未读出（原因见上；--json 逐格列出）")
        if len(results) > 1:
            bad = sum(1 for r in results if r.error or r.counts[0])
            out.print(f"共审核 {len(results)} 份年报，{bad} 份有错误或无法读取。")
    if any(r.error for r in results):
        raise typer.Exit(EXIT_INPUT)
    raise typer.Exit(EXIT_FINDINGS if any(r.counts[0] for r in results) else EXIT_OK)
