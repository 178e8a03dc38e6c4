"""xl-report serve / xl-report addin: the Excel buttons (server mode and the add-in build)."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from xl_report.cli.app import app, escape, guarded, out
from xl_report.cli.readme_table import readme_row
from xl_report.core.errors import InputError
from xl_report.core.filenames import ADDIN_FILE

if TYPE_CHECKING:
    from xl_report.web.api import WebConfig


@readme_row(
    "`xl-report serve [--host 127.0.0.1] [--port 8000] [--token T] [--max-mb 32] [--data 文件夹 --units 单位名单.toml] "
    "[--year 2024] [--workers 2] [--config xl-report.toml] [--certfile 证书.pem --keyfile 私钥.pem] [--new-token]`",
    "按钮服务器：经办人员电脑不装 Python 时，Excel 按钮把工作簿发到这里处理。令牌必填（推荐环境变量 "
    "`XL_REPORT_TOKEN`），至少 16 个随机字符，太短或太简单时不启动（退出码 2）；`--new-token` 生成一个；"
    "同一来源 1 分钟内令牌错误 10 次后暂停受理（429）。"
    "加 `--data` 和 `--units` 同时提供网页：经办人员用登录码登录，上传、校验、定稿、提交县里，"
    "县里用令牌登录看全县情况和图表、批量处理、下载汇总、上报，见 [`docs/web.md`](docs/web.md)",
)
@app.command(
    "serve",
    help="启动按钮服务器：本机没有 Python 的经办人员，Excel 按钮把工作簿发到这里处理。"
    "必须用 --token 或环境变量 XL_REPORT_TOKEN 设置令牌（至少 16 个随机字符；"
    "--new-token 生成一个）。"
    "加 --data 和 --units 同时提供网页（经办人员上传、定稿、提交；县里汇总）。",
)
@guarded
def serve_cmd(
    host: Annotated[str, typer.Option("--host", help="监听地址（对局域网开放用 0.0.0.0）")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="端口")] = 8000,
    token: Annotated[str | None, typer.Option("--token", help="共享令牌（建议改用环境变量 XL_REPORT_TOKEN）")] = None,
    max_mb: Annotated[int, typer.Option("--max-mb", help="单个请求的大小上限（MB）")] = 32,
    data: Annotated[
        Path | None,
        typer.Option("--data", help="同时提供网页：各单位的文件和县里的收件箱放在这个文件夹", file_okay=False),
    ] = None,
    units: Annotated[
        Path | None, typer.Option("--units", help="单位名单（.toml 或 .xlsx；网页必填）", dir_okay=False)
    ] = None,
    year: Annotated[int | None, typer.Option("--year", help="网页收取的报告年度（默认为上一年）")] = None,
    workers: Annotated[int, typer.Option("--workers", min=1, max=32, help="网页填报、校验、定稿用的进程数")] = 2,
    config: Annotated[
        Path | None, typer.Option("--config", help="配置文件 xl-report.toml（定稿密码、上报邮箱）")
    ] = None,
    certfile: Annotated[Path | None, typer.Option("--certfile", help="HTTPS 证书文件（PEM）", dir_okay=False)] = None,
    keyfile: Annotated[Path | None, typer.Option("--keyfile", help="HTTPS 私钥文件（PEM）", dir_okay=False)] = None,
    make_token: Annotated[bool, typer.Option("--new-token", help="生成一个新的随机令牌并显示，不启动服务器")] = False,
) -> None:
    from xl_report.excel.server import (  # lazy: xl-report --help imports no server code
        MIN_TOKEN_CHARS,
        TOKEN_ENV,
        create_app,
        new_token,
        token_problem,
    )

    if make_token:
        out.print(new_token(), markup=False, highlight=False)
        return
    token = token or os.environ.get(TOKEN_ENV)
    if not token or not token.strip():
        raise InputError.at(
            f"没有设置令牌：请用 xl-report serve --new-token 生成一个随机令牌，设置为环境变量 {TOKEN_ENV}"
            "（或用 --token），并把它告诉各单位（写入 xl_report.conf 的 AUTH）"
        )
    problem = token_problem(token.strip())
    if problem:
        raise InputError.at(
            f"{problem}，服务器未启动。令牌至少 {MIN_TOKEN_CHARS} 个字符、随机生成：请用 "
            f"xl-report serve --new-token 生成一个，设置为环境变量 {TOKEN_ENV} 后再启动"
        )
    if max_mb < 1:
        raise InputError.at("--max-mb 至少为 1")
    if (certfile is None) != (keyfile is None):
        raise InputError.at("--certfile 和 --keyfile 要一起给出")
    web = _web_config(data, units, year, token.strip(), max_mb, workers, config, certfile is not None)
    _check_port_free(host, port)
    import uvicorn  # lazy: xl-report --help imports no server code

    application = create_app(token, max_bytes=max_mb * 1024 * 1024)
    scheme = "https" if certfile else "http"
    if web is not None:
        from xl_report.web.api import mount  # lazy: FastAPI, only when serving

        mount(application, web)
        out.print(
            f"网页已启动：{scheme}://{host}:{port}/ （各单位用登录码登录）；"
            f"县里：{scheme}://{host}:{port}/county （用令牌登录）；"
            f"{web.year} 年度，{len(web.units)} 个单位，文件在 {data}"
        )
    out.print(f"按钮服务器已启动：{scheme}://{host}:{port}/xl-report/ （Ctrl+C 停止）")
    uvicorn.run(
        application,
        host=host,
        port=port,
        log_level="info",
        ssl_certfile=str(certfile) if certfile else None,
        ssl_keyfile=str(keyfile) if keyfile else None,
    )


def _web_config(
    data: Path | None,
    units: Path | None,
    year: int | None,
    token: str,
    max_mb: int,
    workers: int,
    config: Path | None,
    secure: bool,
) -> WebConfig | None:
    """The web page's settings, or None when --data is not given (buttons only)."""
    if data is None:
        if units is not None or year is not None:
            raise InputError.at("--units、--year 用于网页，请同时用 --data 指定存放文件的文件夹")
        return None
    if units is None:
        raise InputError.at("提供网页时必须用 --units 指定单位名单（.toml 或 .xlsx）")
    from xl_report.batch.inputs import read_unit_list  # lazy: xl-report --help imports no library code
    from xl_report.core.config import load_config  # lazy: xl-report --help imports no library code
    from xl_report.core.normalise import MAX_YEAR, MIN_YEAR  # lazy: xl-report --help imports no library code
    from xl_report.stages.freeze import freeze_password  # lazy: xl-report --help imports no library code
    from xl_report.web import codes  # lazy: xl-report --help imports no library code
    from xl_report.web.api import WebConfig  # lazy: FastAPI, only when serving
    from xl_report.web.store import folder_clashes  # lazy: xl-report --help imports no library code

    names = read_unit_list(units)
    clashes = folder_clashes(names)
    if clashes:
        a, b = clashes[0]
        raise InputError.at(
            f"单位名单中“{a}”和“{b}”用作文件名时相同（去掉了文件名中不能用的字符），"
            "两个单位的文件会混在一起：请修改其中一个单位的名称",
            file=str(units),
        )
    year = year if year is not None else date.today().year - 1
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise InputError.at(f"报告年度 {year} 不合理（应在 {MIN_YEAR}–{MAX_YEAR} 之间），请检查 --year")
    cfg = load_config(config)
    if not codes.load(data):
        out.print(
            f"[yellow]注意：还没有为各单位生成登录码，请先运行 "
            f"xl-report codes --units {escape(str(units))} --data {escape(str(data))}[/]"
        )
    return WebConfig(
        data=data,
        units=names,
        token=token,
        year=year,
        max_bytes=max_mb * 1024 * 1024,
        secure=secure,
        jobs=workers,
        config=cfg,
        password=freeze_password(None, cfg),
    )


@readme_row(
    "`xl-report codes --units 单位名单.toml --data 文件夹 [-o 登录码.csv] [--rotate 单位名称]`",
    "为单位名单中的每个单位生成网页登录码（随机，服务器只保存加盐哈希）：打印一次，或写入 CSV（列：单位、登录码）"
    "发给各单位；再次运行只为新增的单位生成；`--rotate` 更换某个单位的登录码（旧登录码和它的登录立即失效）",
)
@app.command(
    "codes",
    help="为单位名单中的每个单位生成网页登录码（只保存加盐哈希）："
    "打印一次，或用 -o 写入 CSV 发给各单位。"
    "再次运行只为新增的单位生成；--rotate 更换某个单位的登录码。",
)
@guarded
def codes_cmd(
    units: Annotated[Path, typer.Option("--units", help="单位名单（.toml 或 .xlsx）", dir_okay=False)],
    data: Annotated[Path, typer.Option("--data", help="网页的数据文件夹（与 serve --data 相同）", file_okay=False)],
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="把登录码写入 CSV 文件（列：单位、登录码）", dir_okay=False)
    ] = None,
    rotate: Annotated[list[str] | None, typer.Option("--rotate", help="更换这个单位的登录码（可多次使用）")] = None,
) -> None:
    from xl_report.batch.inputs import read_unit_list  # lazy: xl-report --help imports no library code
    from xl_report.web import codes  # lazy: xl-report --help imports no library code
    from xl_report.xlsx.fileio import write_bytes_atomic  # lazy: xl-report --help imports no library code

    names = read_unit_list(units)
    if output is not None and output.suffix.lower() != ".csv":
        raise InputError.at("登录码文件名请以 .csv 结尾", file=str(output))
    issued = codes.issue(data, names, rotate)
    if not issued:
        out.print(f"{len(names)} 个单位都已有登录码，没有生成新的（更换某个单位的登录码请用 --rotate 单位名称）。")
        return
    if output is not None:
        write_bytes_atomic(output, codes.csv_text(issued).encode("utf-8"))
        out.print(
            f"已为 {len(issued)} 个单位生成登录码，写入 {escape(str(output))}。请把登录码分别交给各单位，"
            "发放后删除该文件；服务器只保存登录码的哈希，登录码丢失只能更换。"
        )
        return
    out.print(f"已为 {len(issued)} 个单位生成登录码（只显示这一次，请妥善分发）：")
    for unit, code in issued:
        out.print(f"  {escape(unit)}\t{code}")


def _check_port_free(host: str, port: int) -> None:
    """A clear Chinese refusal before uvicorn's English one (and before announcing a start)."""
    import socket  # lazy: xl-report --help imports no server code

    try:
        socket.create_server((host, port)).close()
    except OSError as e:
        raise InputError.at(
            f"端口 {port} 已被占用或地址 {host} 不可用（{e.strerror or e}）：可能已有一个按钮服务器在运行，"
            "或用 --port 换一个端口"
        ) from None


@readme_row(
    "`xl-report addin -o xl_report.xlam [--xlsm 年报模板.xlsm]`",
    "生成 Excel 加载项（功能区“政务公开年报”：填报、校验、定稿、上报、帮助）和带按钮的 .xlsm 模板；安装见 "
    "[`docs/excel-buttons.md`](docs/excel-buttons.md)",
)
@app.command(
    "addin",
    help="生成 Excel 加载项（功能区“政务公开年报”选项卡：填报、校验、定稿、上报、帮助），"
    "可同时生成带按钮的 .xlsm 模板。",
)
@guarded
def addin_cmd(
    output: Annotated[Path, typer.Option("-o", "--output", help="加载项文件（.xlam）", dir_okay=False)] = Path(
        ADDIN_FILE
    ),
    xlsm: Annotated[Path | None, typer.Option("--xlsm", help="同时生成带按钮的模板（.xlsm）", dir_okay=False)] = None,
) -> None:
    from xl_report.excel.addin import write_addin  # lazy: xl-report --help imports no library code

    for path in write_addin(output, xlsm):
        out.print(f"已生成：{path}")
