"""``xl-report serve``: the four buttons over HTTP for Excel without Python (VBA ``RunServerPython``).

``POST /xl-report/{fill|check|freeze|send}`` takes the JSON body xlwings' VBA client (``Remote.bas``)
sends, runs :func:`xl_report.excel.run` on the remote engine and answers ``{"actions": [...]}``,
which the client replays. Every refusal is a short Chinese plain-text body: the VBA client shows a
non-200 body in a message box as it is.

Stateless (everything is in the request), so a county may run several copies behind any load balancer.
"""
from __future__ import annotations

import hmac
import json
import logging
import os
import re
import uuid

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse

TOKEN_ENV = "XL_REPORT_TOKEN"
MAX_BYTES = 32 * 1024 * 1024  # a 5000-row tally with Chinese text (sent as \uXXXX) is ~10 MB
# Rows x widest row, all sheets together: the book is rebuilt cell by cell in openpyxl (~200 bytes and
# some microseconds each). A 5000-row tally is ~55,000; one 2000-wide row over 20,000 empty rows (60 KB
# of JSON) took > 60 s and 3 GB.
MAX_CELLS = 500_000
_BAD_SHEET_NAME = re.compile(r"[\[\]:*?/\\]")  # characters Excel refuses in a sheet name
PREFIX = "/xl-report"
_HOST = re.compile(r"^(book|[^'!\\/:*?\"<>|\x00-\x1f]{1,120}\.(xlam|xlsm))$", re.I)

log = logging.getLogger("xl_report.excel.server")


class Refusal(Exception):
    def __init__(self, status: int, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers


def _plain_response(status: int, message: str, headers: dict | None = None) -> PlainTextResponse:
    return PlainTextResponse(message, status_code=status, headers=headers,
                             media_type="text/plain; charset=utf-8")


def _authorize(request: Request, token: str) -> None:
    header = request.headers.get("authorization", "")
    scheme, _, given = header.partition(" ")
    ok = scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())
    if not ok:
        raise Refusal(401, "未授权：xl_report.conf 中的 AUTH 应为“Bearer 县里提供的令牌”，请向县信息中心确认。",
                      {"WWW-Authenticate": "Bearer"})


async def _body(request: Request, max_bytes: int) -> dict:
    too_big = Refusal(413, f"工作簿数据过大（超过 {max_bytes // 1024 // 1024} MB）。请删除台账中多余的空行、"
                           "无关工作表后重试，或在本机用命令行 xl-report 处理。")
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > max_bytes:
        raise too_big
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > max_bytes:
            raise too_big
    try:
        payload = json.loads(bytes(data).decode("utf-8"))
    except (ValueError, RecursionError):  # bad UTF-8 or JSON, a 100,000-digit number, [[[[... nested deep
        raise Refusal(400, "请求内容不是有效的 JSON：请使用县里提供的 xl_report 加载项或带按钮的模板。") from None
    _check_shape(payload)
    return payload


def _check_shape(payload: object) -> None:
    bad = Refusal(400, "请求内容不是 xlwings 发送的工作簿数据：请使用县里提供的 xl_report 加载项或带按钮的模板。")
    if not isinstance(payload, dict) or not isinstance(payload.get("book"), dict):
        raise bad
    sheets, names = payload.get("sheets"), payload.get("names", [])
    if not isinstance(sheets, list) or not sheets or not isinstance(names, list):
        raise bad
    cells = 0
    for s in sheets:
        if not isinstance(s, dict) or not isinstance(s.get("name"), str) or not isinstance(s.get("values"), list) \
                or not all(isinstance(r, list) for r in s["values"]) \
                or not 0 < len(s["name"]) <= 31 or _BAD_SHEET_NAME.search(s["name"]):
            raise bad
        cells += len(s["values"]) * max(map(len, s["values"]), default=0)
    if cells > MAX_CELLS:
        raise Refusal(413, f"工作簿数据范围过大（超过 {MAX_CELLS:,} 个单元格）。请删除台账中多余的空行、远处误填的内容"
                           "和无关工作表后重试，或在本机用命令行 xl-report 处理。")
    for n in names:
        if not isinstance(n, dict) or not isinstance(n.get("name"), str) or not isinstance(n.get("address"), str) \
                or not isinstance(n.get("sheet_index"), int) or not 0 <= n["sheet_index"] < len(sheets):
            raise bad
    if not isinstance(payload.get("version"), str) or not isinstance(payload.get("client"), str):
        raise bad


def _check_version(payload: dict) -> None:
    import xlwings as xw  # lazy: xlwings (~0.8 s) only for a request

    client = payload["version"]
    if client != xw.__version__:
        raise Refusal(400, f"Excel 中加载项的 xlwings 版本（{client}）与服务器（{xw.__version__}）不一致。"
                           "请向县信息中心索取与服务器配套的 xl_report.xlam（或带按钮的模板）重新安装。")


def create_app(token: str | None = None, max_bytes: int = MAX_BYTES) -> FastAPI:
    """The FastAPI app. ``token`` (or env XL_REPORT_TOKEN) is required: no token, no server."""
    token = (token or os.environ.get(TOKEN_ENV) or "").strip()
    if not token:
        raise ValueError(f"a shared token is required (--token or env {TOKEN_ENV})")
    # xlwings' remote engine is xlwings PRO code: free for government institutions under PolyForm
    # Noncommercial 1.0.0 ("noncommercial" key); any other use needs a commercial key (see docs/).
    os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")
    from xl_report.excel.buttons import BUTTONS  # lazy: the buttons pull in every stage; serve starts first

    app = FastAPI(title="xl_report", docs_url=None, redoc_url=None, openapi_url=None)

    @app.exception_handler(Refusal)
    async def _refused(request: Request, exc: Refusal):
        return _plain_response(exc.status, exc.message, exc.headers)

    @app.get(f"{PREFIX}/health")
    def health() -> dict:
        import xlwings as xw  # lazy: xlwings (~0.8 s) only for a request

        return {"ok": True, "xlwings": xw.__version__}

    @app.post(f"{PREFIX}/{{button}}")
    async def press(button: str, request: Request, host: str | None = None):
        if button not in BUTTONS:
            raise Refusal(404, f"没有“{button[:40]}”这个按钮。")
        _authorize(request, token)
        if host is not None and not _HOST.match(host):
            raise Refusal(400, "参数 host 不正确。")
        payload = await _body(request, max_bytes)
        _check_version(payload)
        from starlette.concurrency import run_in_threadpool  # lazy: starlette arrives with fastapi, used per request

        return JSONResponse(await run_in_threadpool(_run, button, payload, host))

    return app


def _run(button: str, payload: dict, host: str | None) -> dict:
    import xlwings as xw  # lazy: xlwings (~0.8 s) only for a request

    from xl_report.excel.buttons import TITLE, run  # lazy: the buttons pull in every stage; serve starts first

    try:
        book = xw.Book(json=payload)
    except Exception as e:  # noqa: BLE001 - xlwings raises several types for bad payloads
        raise Refusal(400, f"无法读取工作簿数据（{type(e).__name__}: {str(e)[:200]}）。") from None
    try:
        run(book, button, host)
        return book.json()
    except Exception:  # a bug: nothing half-written reaches the book, only a message with an incident id
        incident = uuid.uuid4().hex[:8]
        log.exception("button %s failed (incident %s)", button, incident)
        return {"actions": [{"func": "alert", "args": [
            f"服务器处理出错，工作簿未作任何改动。请把编号 {incident} 告诉县信息中心。", TITLE, "ok", "critical", ""],
            "values": None, "sheet_position": None, "start_row": None, "start_column": None,
            "row_count": None, "column_count": None}]}
    finally:
        book.close()
