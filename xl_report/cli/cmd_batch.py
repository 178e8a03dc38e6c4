"""xl-report batch / demo: a whole county in one command."""

from __future__ import annotations

import os
import re
import shlex
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from xl_report.cli.app import app, err, escape, guarded, imports_without_gc, out
from xl_report.cli.readme_table import readme_row
from xl_report.core.errors import printable

STATUS_STYLE = {"成功": "green", "有错误": "yellow", "失败": "red", "未提交": "dim"}


@contextmanager
def progress_reporter(total: int, label: str):
    """A rich bar on stderr in a terminal; one plain line per unit otherwise (logs, CI)."""
    if _maybe_terminal() and err.is_terminal:
        # lazy: xl-report --help imports no library code
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        with Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err.console,
            transient=True,
        ) as bar:
            task = bar.add_task(label, total=total)
            yield lambda unit: bar.advance(task)
        return
    done = [0]
    stream = sys.stderr  # what err writes to (rich's console itself is not needed for plain lines)

    def line(unit) -> None:  # a plain write: a rich print was ~0.5 ms a line, in the main process's busiest time
        done[0] += 1
        extra = "（未变化，跳过）" if unit.skipped else ""
        stream.write(printable(f"[{done[0]}/{total}] {unit.unit}：{unit.status}{extra}") + "\n")
        stream.flush()

    yield line


def _maybe_terminal() -> bool:
    """False when stderr is surely no terminal by rich's own test (not a tty, and none of the variables that
    make rich treat it as one): a log or CI run then needs no rich before the workers fork (~30 ms of the
    command's serial start). Otherwise rich's console decides."""
    isatty = getattr(sys.stderr, "isatty", None)
    try:
        tty = bool(isatty and isatty())
    except ValueError:  # a closed stream
        tty = False
    return tty or "TTY_COMPATIBLE" in os.environ or "FORCE_COLOR" in os.environ


def _load_for_the_end() -> None:
    """What the command needs once the workers are done (汇总.html, the printed table, rich's consoles),
    loaded while they run: there it costs about half its time, after them all of it."""
    # lazy: xl-report --help imports no library code
    import xl_report.cli.plain_table  # noqa: F401
    import xl_report.document.dashboard  # noqa: F401

    out.console, err.console  # noqa: B018 - built (rich imported) now


def _first_reason(reason: str | None) -> str:
    """The line of a failure that says what is wrong: a tally's "有 N 处错误：" heading is followed by
    the problems themselves, the first of which fits the table."""
    lines = [line.strip(" -") for line in (reason or "").splitlines() if line.strip(" -")]
    if len(lines) > 1 and lines[0].endswith("："):
        first = re.sub(r"^文件“[^”]*”，", "", lines[1])  # the row already names the unit
        return first + (f"（另有 {len(lines) - 2} 处）" if len(lines) > 2 else "")
    return lines[0] if lines else ""


def print_result(batch) -> None:
    from xl_report.batch.state import RETIRED_DIR  # lazy: xl-report --help imports no library code
    from xl_report.cli.plain_table import plain_table  # lazy: rich loads after the batch's workers

    rows, styles = [], []
    for u in batch.units:
        rows.append(
            [
                u.unit,
                u.status,
                str(u.errors) if u.source else "",
                str(u.warnings) if u.source else "",
                u.file or _first_reason(u.reason) or "",
            ]
        )
        styles.append([None, STATUS_STYLE[u.status], None, None, None])
    headers = ("单位名称", "状态", "错误", "提示", "文件 / 原因")
    table = plain_table("各单位处理结果", headers, rows, out.width, right=(2, 3), styles=styles)
    if out.is_terminal:
        out.print(table)
    else:  # what rich would write, without its per-span rendering: no styles off a terminal
        out.file.write(table.plain + "\n")
    counts = "，".join(f"{k} {v} 个" for k, v in batch.counts().items())
    out.print(
        f"共 {len(batch.units)} 个单位：{counts}；本次处理 {batch.processed} 个，未变化跳过 {batch.skipped} 个，"
        f"用时 {batch.seconds:.1f} 秒。"
    )
    if batch.rollup_findings:
        out.print(f"[yellow]全县合计校验发现 {len(batch.rollup_findings)} 个问题，见汇总表“校验结果”工作表。[/]")
    if batch.retired:
        shown = "、".join(batch.retired[:10]) + ("等" if len(batch.retired) > 10 else "")
        out.print(
            f"[yellow]{len(batch.retired)} 个输出文件的台账已不在输入文件夹中，已移到输出文件夹下的"
            f"“{RETIRED_DIR}”文件夹（不会再随汇总上报）：{escape(shown)}[/]"
        )
    for name, why in batch.ignored:
        out.print(f"[yellow]跳过“{escape(name)}”：{escape(why)}[/]")
    out.print(f"汇总表：{escape(str(batch.summary_path))}")
    if batch.html_path:
        out.print(f"汇总（网页，含图表）：{escape(str(batch.html_path))}")
    out.print(f"校验结果（机器可读）：{escape(str(batch.findings_path))}")


@readme_row(
    "`xl-report batch 文件夹 -o 输出文件夹 [--year 2024] [--jobs N] [--freeze] [--previous 上年输出] [--units "
    "单位名单.toml] [--force] [--config xl-report.toml]`",
    "县里批量处理：每个单位填报、校验、（无错误的）定稿，写 `输出/<单位>.xlsx` 或 `<单位>-定稿.xlsx`（带着该单位"
    "的台账，定稿文件删除申请人、申请内容，与单独 `fill` + `freeze` 的结果和指纹相同；已填报的输入表格与台账不一致"
    "的单位“有错误”、不定稿；单位原有的台账 .xls/.ods/.csv 按 `adopt` 转换，有看不准的写法的单位“失败”并列出写法，"
    "不计数），再生成 `汇总.xlsx`（各单位状态和主要数字、全县合计表、全部校验结果、输入文件夹中"
    "跳过的项目、原生图表）、`汇总.html`（同样内容的网页，含图表，离线可打开）和 `findings.json`；坏文件只影响该单位；"
    "再次运行跳过未变化的单位（升级 xl-report 后全部重算）；进度条显示在屏幕上",
)
@app.command("batch", help="批量处理文件夹中各单位的台账工作簿：填报、校验、（定稿），并生成汇总表和全县合计。")
@guarded
def batch_cmd(
    folder: Annotated[
        Path,
        typer.Argument(
            help="存放各单位台账工作簿（.xlsx/.xlsm，或原有的台账 .xls/.ods/.csv）的文件夹", file_okay=False
        ),
    ],
    output: Annotated[Path, typer.Option("-o", "--output", help="输出文件夹", file_okay=False)],
    year: Annotated[int | None, typer.Option("--year", help="报告年度（默认取各工作簿“说明”中的报告年度）")] = None,
    jobs: Annotated[int | None, typer.Option("--jobs", "-j", min=1, help="并行进程数（默认为CPU核数）")] = None,
    freeze: Annotated[bool, typer.Option("--freeze", help="没有错误的单位直接定稿（输出“单位-定稿.xlsx”）")] = False,
    previous: Annotated[
        Path | None, typer.Option("--previous", help="上一年度的输出文件夹，用于跨年度核对", file_okay=False)
    ] = None,
    units: Annotated[
        Path | None,
        typer.Option("--units", help="应报送单位名单（.xlsx 或 .toml），用于找出未报送的单位", dir_okay=False),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="全部重新处理（默认跳过内容未变化的单位）")] = False,
    config: Annotated[Path | None, typer.Option("--config", help="配置文件 xl-report.toml")] = None,
) -> None:
    with imports_without_gc():
        # lazy: xl-report --help imports no library code
        from xl_report.batch.inputs import find_inputs, folders_with_workbooks
        from xl_report.batch.run import run_batch  # lazy: xl-report --help imports no library code
        from xl_report.core.config import load_config  # lazy: xl-report --help imports no library code

    cfg = load_config(config)
    total = len(find_inputs(folder, output)) if folder.is_dir() else 0
    nested = folders_with_workbooks(folder, output) if folder.is_dir() else []
    if nested:
        err.print(
            f"[yellow]注意：只处理“{escape(str(folder))}”中的工作簿，其中的子文件夹（{escape('、'.join(nested))}）"
            "里的工作簿不会被处理；请把各单位的工作簿直接放在该文件夹中。[/]"
        )
    with progress_reporter(total, "处理各单位") as notify:
        batch = run_batch(
            folder,
            output,
            year=year,
            jobs=jobs,
            freeze=freeze,
            previous=previous,
            units=units,
            force=force,
            progress=notify,
            config=cfg,
            lean_openpyxl=True,  # this process never hands openpyxl a numpy value: loaded without numpy
            meanwhile=_load_for_the_end,
        )
    # lazy: imported once the workers are done (it is used only after them); --help imports no library code
    from xl_report.document.dashboard import write_batch_dashboard

    write_batch_dashboard(batch)  # 汇总.html beside 汇总.xlsx
    print_result(batch)
    raise typer.Exit(batch.exit_code)


@readme_row(
    "`xl-report demo [-o 文件夹]`",
    "演示：生成虚构县 20 个单位两个年度的台账（含几处故意的错误），批量处理、定稿、汇总，并把待发邮件写入发件箱；"
    "最后打印在演示县上启动网页的命令和各单位的登录码",
)
@app.command(
    "demo", help="演示：生成一个虚构县（12个乡镇、8个部门）的台账，批量填报、校验、定稿，生成汇总表和待发邮件。"
)
@guarded
def demo_cmd(
    output: Annotated[Path, typer.Option("-o", "--output", help="演示文件夹", file_okay=False)] = Path(
        "xl-report-演示"
    ),
) -> None:
    # lazy: xl-report --help imports no library code
    from xl_report.cli.demo import COUNTY, DEPARTMENTS, NOT_SUBMITTED, TOWNSHIPS, YEAR, run_demo

    out.print(
        f"正在生成演示数据：{COUNTY}（{len(TOWNSHIPS)} 个乡镇、{len(DEPARTMENTS)} 个部门），"
        f"{YEAR - 1}—{YEAR} 两年的台账……"
    )
    submitted = sum(1 for short in TOWNSHIPS + DEPARTMENTS if short != NOT_SUBMITTED)  # files the bar counts
    with progress_reporter(submitted, f"{YEAR}年度批量处理") as notify:
        result = run_demo(output, progress=notify)
    print_result(result.batch)
    root = result.root
    out.print("")
    out.print("[bold]演示文件在这里：[/]")
    out.print(f"  各单位台账（输入）：{escape(str(root / '输入'))}")
    out.print(f"  上一年度输出：      {escape(str(result.previous_dir))}")
    out.print(f"  本年度输出（定稿）：{escape(str(result.output_dir))}")
    out.print(f"  汇总表：            {escape(str(result.batch.summary_path))}")
    if result.html:
        out.print(f"  汇总（网页）：      {escape(str(result.html))}")
    if result.outbox:
        out.print(f"  待发邮件（{result.mails} 封，发件箱）：{escape(str(result.outbox))}")
    out.print("")
    if result.web is not None:
        _print_web_demo(result.web)
    out.print(
        "演示中故意安排的问题：正文与表格矛盾（东风镇）、发布日期晚于期限（教育局）、"
        "上年结转与上年报告不一致（红旗乡）、台账日期填反（市场监督管理局）、未报送（卫生健康局）。"
        "打开汇总表的“汇总”和“校验结果”工作表查看。"
    )


def _print_web_demo(web) -> None:
    """How to start the web page on the demo county, with the codes to click through it."""
    cmd = [
        "xl-report",
        "serve",
        "--data",
        str(web.data),
        "--units",
        str(web.units),
        "--year",
        str(web.year),
        "--token",
        web.token,
    ]
    out.print("")
    out.print("[bold]网页演示：[/]启动服务器（Ctrl+C 停止）：")
    out.print(f"  {escape(shlex.join(cmd))}")
    out.print(
        "  经办人员打开 http://127.0.0.1:8000/ ，用下面的登录码登录，上传"
        f"“{escape(str(web.tallies))}”中本单位的工作簿；"
    )
    out.print("  县里打开 http://127.0.0.1:8000/county ，用上面命令中的令牌（--token 之后）登录。")
    for unit, code in web.codes[:5]:
        out.print(f"  {escape(unit)}：{code}")
    if web.codes:
        out.print(f"  全部 {len(web.codes)} 个单位的登录码：{escape(str(web.codes_csv))}")
