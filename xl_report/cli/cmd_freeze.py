"""xl-report freeze / verify / keygen: the final workbook, checking it, and the unit's signing key."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from xl_report.cli.app import app, err, escape, guarded, out
from xl_report.cli.readme_table import readme_row
from xl_report.core.errors import InputError, XlReportError
from xl_report.core.findings import count

if TYPE_CHECKING:
    from xl_report.stages.freeze import VerifyResult

MAX_LISTED = 60  # changes printed per file (a rewritten tally would list thousands); --json has all


@readme_row(
    '`xl-report freeze 年报.xlsx [-o 定稿.xlsx] [--sign 单位.key] [--force --reason "原因"] [--config xl-report.toml]`',
    "定稿：校验无误（含表格与台账一致）后另存为 `年报-定稿.xlsx`（原文件不变）；公式换成数值，"
    "全部工作表和工作簿结构加保护（密码取自 `--password`、环境变量 `XL_REPORT_FREEZE_PASSWORD` 或配置 "
    "`[freeze] password_env`），标记为最终版本，"
    "表格下方显示定稿时间和指纹；默认删除台账中的申请人、申请内容（`--keep-personal` 保留）",
)
@app.command(
    "freeze",
    help="定稿：校验无误后生成不能再改动的定稿文件（默认“<原名>-定稿.xlsx”，原文件不变）。"
    "公式换成数值，全部工作表和工作簿结构加保护，标记为最终版本，记录定稿指纹。",
)
@guarded
def freeze_cmd(
    workbook: Annotated[Path, typer.Argument(help="已填报、已校验的年报工作簿", dir_okay=False)],
    output: Annotated[Path | None, typer.Option("-o", "--output", help="定稿文件名", dir_okay=False)] = None,
    password: Annotated[
        str | None,
        typer.Option(
            "--password",
            help="工作表保护密码（更安全的做法：设置环境变量 XL_REPORT_FREEZE_PASSWORD，"
            "或在配置文件 [freeze] 中用 password_env 指定环境变量名）",
        ),
    ] = None,
    sign: Annotated[
        Path | None, typer.Option("--sign", help="用本单位私钥（xl-report keygen 生成的 .key）签名", dir_okay=False)
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="校验有错误时仍然定稿（必须同时用 --reason 写明原因）")
    ] = False,
    reason: Annotated[str | None, typer.Option("--reason", help="强制定稿的原因，记录在定稿文件中")] = None,
    keep_personal: Annotated[
        bool, typer.Option("--keep-personal", help="保留台账中的申请人、申请内容（默认定稿文件删除这些个人信息）")
    ] = False,
    config: Annotated[Path | None, typer.Option("--config", help="配置文件 xl-report.toml", dir_okay=False)] = None,
) -> None:
    from xl_report.core.config import load_config  # lazy: xl-report --help imports no library code
    from xl_report.core.fingerprint import short  # lazy: xl-report --help imports no library code
    from xl_report.stages.freeze import freeze_file  # lazy: xl-report --help imports no library code

    result = freeze_file(
        workbook,
        output=output,
        password=password,
        sign_key=sign,
        force=force,
        reason=reason,
        keep_personal=keep_personal,
        config=load_config(config),
    )
    errors, warnings = count(result.findings)
    out.print(f"已定稿：{escape(str(result.output))}")
    out.print(f"定稿指纹：{result.fingerprint}（表格下方显示前 12 位：{short(result.fingerprint)}）")
    if result.forced:
        out.print(f"[bold yellow]强制定稿：[/]校验有 {errors} 个错误，原因已记录在定稿文件中。")
    if warnings:
        out.print(f"校验提示 {warnings} 条（不影响定稿），可用 xl-report check 查看。")
    if result.personal_removed:
        out.print(f"已从定稿文件删除台账中的个人信息 {result.personal_removed} 格（申请人、申请内容）；原工作簿不变。")
    if result.signed:
        out.print("已用本单位私钥签名。")


@readme_row(
    "`xl-report verify 定稿.xlsx... [--keys 公钥文件夹] [--json]`",
    "核验定稿文件：按读者看到的样子逐项指出定稿后的改动（如“表三 D5 显示 99，定稿时为 3”“新增隐藏工作表“x””"
    "“名称 t3_new_person 已从 表三!D5 移到 表三!Z900”），核对定稿行；给出 `--keys` 时核验单位签名并说明是哪个单位签的。"
    "见下文“核验保证什么”。退出码 0 完好（工作表保护被取消只作提示），1 被改动或签名无效，2 不是定稿文件",
)
@app.command(
    "verify",
    help="核验定稿文件：重新计算定稿指纹，逐格找出定稿后被改动的内容；"
    "给出 --keys 时核验单位签名。退出码 0 完好，1 被改动或签名无效，2 不是定稿文件或无法读取。",
)
@guarded
def verify_cmd(
    files: Annotated[list[Path], typer.Argument(help="定稿文件（可多个）", dir_okay=False)],
    keys: Annotated[
        Path | None, typer.Option("--keys", help="存放各单位公钥（<单位名称>.pub）的文件夹", file_okay=False)
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出结果")] = False,
) -> None:
    from xl_report.stages.freeze import VerifyResult, verify_file  # lazy: xl-report --help imports no library code

    if keys is not None and not keys.is_dir():
        raise InputError.at("公钥文件夹不存在", file=str(keys))
    results = []
    for path in files:
        try:
            result = verify_file(path, keys)
        except XlReportError as e:
            result = VerifyResult(False, False, path=str(path), messages=[str(e)])
        results.append(result)
        if not as_json:
            _print_result(result)
    if as_json:
        typer.echo(json.dumps([r.to_json() for r in results], ensure_ascii=False, indent=2))
    code = max(r.exit_code for r in results) if results else 0
    if code:
        raise typer.Exit(code)


def _print_result(r: VerifyResult) -> None:
    from xl_report.core.fingerprint import short  # lazy: xl-report --help imports no library code

    name = escape(Path(r.path or "").name)
    if r.ok:
        who = "，".join(x for x in (r.unit, f"{r.year}年度" if r.year else None) if x)
        signed = "，签名有效" if r.signed else ""
        out.print(f"[green]✓ 完好[/] {name}（{escape(who)}，指纹 {short(r.fingerprint or '')}{signed}）")
        for m in r.messages:
            out.print(f"    {escape(m)}")
        return
    head = "不是定稿文件或无法读取" if not r.frozen else "已改动或签名无效"
    err.print(f"[bold red]✗ {head}[/] {name}")
    for c in r.changed[:MAX_LISTED]:
        err.print(f"    - {escape(str(c))}")
    if len(r.changed) > MAX_LISTED:
        err.print(f"    ……另有 {len(r.changed) - MAX_LISTED} 处改动（加 --json 列出全部）")
    for m in r.messages:
        err.print(f"    {escape(m)}")


@readme_row(
    "`xl-report keygen 单位名称 [-d 文件夹]`",
    "生成本单位签名密钥：`单位名称.key`（私钥，仅本人可读，不外传）和 `单位名称.pub`（交给上级）",
)
@app.command(
    "keygen",
    help="为本单位生成签名密钥：<单位名称>.key（私钥，仅本人可读，不要外传）"
    "和 <单位名称>.pub（公钥，交给上级用于核验）。",
)
@guarded
def keygen_cmd(
    unit: Annotated[str, typer.Argument(help="单位名称（与年报“单位名称”一致）")],
    directory: Annotated[Path, typer.Option("-d", "--dir", help="密钥保存文件夹", file_okay=False)] = Path("."),
) -> None:
    from xl_report.stages.signing import keygen  # lazy: xl-report --help imports no library code

    private, public = keygen(unit, directory)
    out.print(f"私钥：{escape(str(private))}（只保存在本单位，不要外传，也不要随报表发送）")
    out.print(f"公钥：{escape(str(public))}（交给上级，核验时用 xl-report verify --keys 指向存放公钥的文件夹）")
