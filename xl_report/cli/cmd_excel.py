"""xl-report serve / xl-report addin: the Excel buttons (server mode and the add-in build)."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from xl_report.cli.app import app, guarded, out
from xl_report.cli.readme_table import readme_row
from xl_report.core.errors import InputError
from xl_report.core.filenames import ADDIN_FILE


@readme_row(
    "`xl-report serve [--host 127.0.0.1] [--port 8000] [--token T] [--max-mb 32]`",
    "按钮服务器：经办人员电脑不装 Python 时，Excel 按钮把工作簿发到这里处理（令牌必填，也可用环境变量 "
    "`XL_REPORT_TOKEN`）",
)
@app.command("serve", help="启动按钮服务器：本机没有 Python 的经办人员，Excel 按钮把工作簿发到这里处理。"
                           "必须用 --token 或环境变量 XL_REPORT_TOKEN 设置令牌。")
@guarded
def serve_cmd(
    host: Annotated[str, typer.Option("--host", help="监听地址（对局域网开放用 0.0.0.0）")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="端口")] = 8000,
    token: Annotated[str | None, typer.Option("--token", help="共享令牌（建议改用环境变量 XL_REPORT_TOKEN）")] = None,
    max_mb: Annotated[int, typer.Option("--max-mb", help="单个请求的大小上限（MB）")] = 32,
) -> None:
    from xl_report.excel.server import TOKEN_ENV, create_app  # lazy: xl-report --help imports no server code

    token = token or os.environ.get(TOKEN_ENV)
    if not token or not token.strip():
        raise InputError.at(f"没有设置令牌：请用 --token 或环境变量 {TOKEN_ENV} 设置一个足够长的随机字符串，"
                            "并把它告诉各单位（写入 xl_report.conf 的 AUTH）")
    if max_mb < 1:
        raise InputError.at("--max-mb 至少为 1")
    _check_port_free(host, port)
    import uvicorn  # lazy: xl-report --help imports no server code

    application = create_app(token, max_bytes=max_mb * 1024 * 1024)
    out.print(f"按钮服务器已启动：http://{host}:{port}/xl-report/ （Ctrl+C 停止）")
    uvicorn.run(application, host=host, port=port, log_level="info")


def _check_port_free(host: str, port: int) -> None:
    """A clear Chinese refusal before uvicorn's English one (and before announcing a start)."""
    import socket  # lazy: xl-report --help imports no server code

    try:
        socket.create_server((host, port)).close()
    except OSError as e:
        raise InputError.at(f"端口 {port} 已被占用或地址 {host} 不可用（{e.strerror or e}）：可能已有一个按钮服务器在运行，"
                            "或用 --port 换一个端口") from None


@readme_row(
    "`xl-report addin -o xl_report.xlam [--xlsm 年报模板.xlsm]`",
    "生成 Excel 加载项（功能区“政务公开年报”：填报、校验、定稿、上报、帮助）和带按钮的 .xlsm 模板；安装见 "
    "[`docs/excel-buttons.md`](docs/excel-buttons.md)",
)
@app.command("addin", help="生成 Excel 加载项（功能区“政务公开年报”选项卡：填报、校验、定稿、上报、帮助），"
                           "可同时生成带按钮的 .xlsm 模板。")
@guarded
def addin_cmd(
    output: Annotated[Path, typer.Option("-o", "--output", help="加载项文件（.xlam）", dir_okay=False)] = Path(ADDIN_FILE),
    xlsm: Annotated[Path | None, typer.Option("--xlsm", help="同时生成带按钮的模板（.xlsm）",
                                                 dir_okay=False)] = None,
) -> None:
    from xl_report.excel.addin import write_addin  # lazy: xl-report --help imports no library code

    for path in write_addin(output, xlsm):
        out.print(f"已生成：{path}")
