"""xl-report send: mail the frozen workbooks upward (or write them as .eml into the outbox)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from xl_report.cli.app import app, err, escape, guarded, out
from xl_report.cli.readme_table import readme_row

if TYPE_CHECKING:
    from xl_report.mail import SendReport


@readme_row(
    "`xl-report send 定稿.xlsx... [--config xl-report.toml] [--to 邮箱]... [--dry-run] [--resend] [--confirm] "
    "[--allow-draft] [--bundle] [--outbox 文件夹]`",
    "上报：每个定稿工作簿一封邮件（`--bundle` 合为一封）发给 `[upward]` 中的收件人，附件保留中文文件名；"
    "未定稿或定稿后被改动的文件不发送（`--allow-draft` 作为草稿发送）；同一定稿不重复发送（`--resend` 强制），"
    "重新定稿的会作为“更正”再发；邮件已发出而服务器没有回复的记为“可能已送达（待确认）”，不自动重发"
    "（`--confirm` 确认已收到，`--resend` 再发，见下文）；发送记录见 `xl-report-sent.jsonl`。未配置 `[smtp]` 或 "
    "`--dry-run` 时写成 .eml 放进 `outbox/`。配置示例：[`xl-report.example.toml`](xl-report.example.toml)。"
    "退出码 1：有文件未发送或待确认，重新运行只发剩下的",
)
@app.command(
    "send",
    help="上报：把定稿工作簿用邮件发给上级（每个工作簿一封，或 --bundle 合为一封）。"
    "收件人、邮件服务器在 xl-report.toml 的 \\[upward]、\\[smtp] 中配置；未配置 \\[smtp] 或加 "
    "--dry-run 时，只把邮件写成 .eml 文件放进 outbox 文件夹。已发送过的同一定稿不会重复发送；"
    "发出后服务器未确认的记为“待确认”，不自动重发（--confirm 确认已收到，--resend 再发）。"
    "退出码 0 全部完成，1 有文件未发送或待确认（重新运行只发送剩下的），2 配置或输入有误。",
)
@guarded
def send_cmd(
    files: Annotated[list[Path], typer.Argument(help="要上报的定稿工作簿（可多个）", dir_okay=False)],
    confirm: Annotated[
        bool,
        typer.Option(
            "--confirm", help="已向收件人确认收到：把这些文件“可能已送达（待确认）”的发送记录改为已发送，以后不再发送"
        ),
    ] = False,
    config: Annotated[
        Path | None, typer.Option("--config", help="配置文件 xl-report.toml（默认当前文件夹）", dir_okay=False)
    ] = None,
    to: Annotated[list[str] | None, typer.Option("--to", help="收件人（可多次给出；代替配置中的 to 和 cc）")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="不发送，只把邮件写成 .eml 文件放进 outbox")] = False,
    resend: Annotated[bool, typer.Option("--resend", help="已发送过的同一定稿也再发一次")] = False,
    allow_draft: Annotated[
        bool, typer.Option("--allow-draft", help="允许发送未定稿的工作簿（标题标明“草稿”）")
    ] = False,
    bundle: Annotated[bool, typer.Option("--bundle", help="所有工作簿合为一封邮件")] = False,
    outbox: Annotated[
        Path | None, typer.Option("--outbox", help="待发邮件文件夹（默认配置文件旁的 outbox）", file_okay=False)
    ] = None,
) -> None:
    from xl_report.core.config import load_config  # lazy: xl-report --help imports no library code
    from xl_report.mail import confirm_files, send_files  # lazy: xl-report --help imports no library code

    if confirm:
        report = confirm_files(files, load_config(config))
        print_report(report, dry_run=False)
        raise typer.Exit(report.exit_code)
    report = send_files(
        files,
        load_config(config),
        to=to,
        dry_run=dry_run,
        resend=resend,
        allow_draft=allow_draft,
        bundle=bundle,
        outbox=outbox,
        progress=lambda line: err.print(escape(line)),
    )
    print_report(report, dry_run=dry_run)
    if report.exit_code:
        raise typer.Exit(report.exit_code)


def print_report(report: SendReport, *, dry_run: bool) -> None:
    for o in report.sent + report.queued + report.skipped:
        out.print(escape(o.message))
    for note in report.notes:
        out.print(f"[yellow]注意：[/]{escape(note)}")
    for o in report.uncertain:
        err.print(f"[bold yellow]{escape(o.message)}[/]")
    for o in report.failed:
        err.print(f"[bold red]{escape(o.message)}[/]")
    if report.mode == "outbox" and report.outbox_files:
        why = (
            "（--dry-run：未发送）"
            if dry_run
            else "（未配置 [smtp] 邮件服务器：未发送，可用邮件客户端打开 .eml 文件后发送）"
        )
        out.print(escape(f"待发邮件 {len(report.outbox_files)} 封已写入：{report.outbox}{why}"))
    elif report.mode == "smtp":
        maybe = f"可能已送达（待确认）{len(report.uncertain)} 个，" if report.uncertain else ""
        out.print(
            f"已发送 {len(report.sent)} 个，{maybe}未重复发送 {len(report.skipped)} 个，"
            f"未发送 {len(report.failed)} 个。"
            f"发送记录：{escape(str(report.sent_log))}"
        )
    if report.uncertain:
        from xl_report.mail.send import RESOLVE_HINT  # lazy: xl-report --help imports no library code

        out.print(escape(f"{len(report.uncertain)} 份可能已送达（待确认）：{RESOLVE_HINT}。"))
    if report.failed and report.mode == "smtp":
        out.print("处理好上述问题后重新运行同一命令，只会发送尚未发送的文件。")
