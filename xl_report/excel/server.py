"""``xl-report serve``: the four buttons over HTTP for Excel without Python (VBA ``RunServerPython``).

``POST /xl-report/{fill|check|freeze|send}`` takes the JSON body xlwings' VBA client (``Remote.bas``)
sends, runs :func:`xl_report.excel.run` on the remote engine and answers ``{"actions": [...]}``,
which the client replays. Every refusal is a short Chinese plain-text body: the VBA client shows a
non-200 body in a message box as it is.

Stateless (everything is in the request), so a county may run several copies behind any load balancer;
only failed authentications are counted, per client address and per process (10 a minute, then 429).

Every body is checked against the payload schema before xlwings sees it, and only the checked fields
are passed on (a rebuilt payload): a missing key, a wrong type or a character Excel cannot hold is a
400 with a Chinese message, never the internal-error path.
"""

from __future__ import annotations

import hmac
import json
import logging
import math
import os
import re
import secrets
import uuid
from collections import Counter

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse

from xl_report.core.throttle import FailureThrottle

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

MIN_TOKEN_CHARS = 16
MIN_TOKEN_BITS = 64  # Shannon estimate over the token's own characters
MAX_FAILURES = 10  # failed authentications per client and window, then 429
FAILURE_WINDOW = 60.0  # seconds
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")  # XML 1.0 cannot hold them
_ADDRESS = re.compile(r"^\$?[A-Za-z]{1,3}\$?[0-9]{1,7}(:\$?[A-Za-z]{1,3}\$?[0-9]{1,7})?$")
MAX_TEXT = 32_767  # Excel's limit for one cell
MAX_INT = 2**53  # beyond it Excel's doubles lose digits


def new_token() -> str:
    """A token for ``xl-report serve --new-token``: 32 URL-safe characters (192 random bits)."""
    return secrets.token_urlsafe(24)


def token_problem(token: str) -> str | None:
    """Why ``token`` is too weak for a server on the network (Chinese), or None."""
    if len(token) < MIN_TOKEN_CHARS:
        return f"令牌太短（{len(token)} 个字符），至少需要 {MIN_TOKEN_CHARS} 个字符"
    counts = Counter(token)
    bits = -sum(n * math.log2(n / len(token)) for n in counts.values())
    if bits < MIN_TOKEN_BITS or len(counts) < 8:
        return "令牌过于简单（重复或可猜测的字符太多）"
    return None


class Refusal(Exception):
    def __init__(self, status: int, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers


def _plain_response(status: int, message: str, headers: dict | None = None) -> PlainTextResponse:
    return PlainTextResponse(message, status_code=status, headers=headers, media_type="text/plain; charset=utf-8")


def _authorize(request: Request, token: str, failures: FailureThrottle) -> None:
    client = request.client.host if request.client else "?"
    wait = math.ceil(failures.wait(client))  # whole seconds for Retry-After
    if wait:
        raise Refusal(
            429,
            f"令牌错误次数过多，请 {wait} 秒后再试；如令牌已更换，请向县信息中心索取新令牌。",
            {"Retry-After": str(wait)},
        )
    header = request.headers.get("authorization", "")
    scheme, _, given = header.partition(" ")
    ok = scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode("utf-8", "replace"), token.encode())
    if not ok:
        failures.failed(client)
        log.warning("failed authentication from %s", client)  # never the token given
        raise Refusal(
            401,
            "未授权：xl_report.conf 中的 AUTH 应为“Bearer 县里提供的令牌”，请向县信息中心确认。",
            {"WWW-Authenticate": "Bearer"},
        )


async def _body(request: Request, max_bytes: int) -> dict:
    too_big = Refusal(
        413,
        f"工作簿数据过大（超过 {max_bytes // 1024 // 1024} MB）。请删除台账中多余的空行、"
        "无关工作表后重试，或在本机用命令行 xl-report 处理。",
    )
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
    return _check_shape(payload)


def _check_shape(payload: object) -> dict:
    """The payload reduced to the fields xlwings reads, each checked; raises Refusal (400 / 413)."""
    bad = Refusal(400, "请求内容不是 xlwings 发送的工作簿数据：请使用县里提供的 xl_report 加载项或带按钮的模板。")
    if not isinstance(payload, dict) or not isinstance(payload.get("book"), dict):
        raise bad
    sheets, names, book = payload.get("sheets"), payload.get("names", []), payload["book"]
    if not isinstance(sheets, list) or not sheets or not isinstance(names, list):
        raise bad
    if (
        not isinstance(payload.get("version"), str)
        or not isinstance(payload.get("client"), str)
        or len(payload["version"]) > 40
        or len(payload["client"]) > 40
    ):
        raise bad
    cells = 0
    for s in sheets:
        if (
            not isinstance(s, dict)
            or not isinstance(s.get("name"), str)
            or not isinstance(s.get("values"), list)
            or not all(isinstance(r, list) for r in s["values"])
            or not 0 < len(s["name"]) <= 31
            or _BAD_SHEET_NAME.search(s["name"])
            or _ILLEGAL.search(s["name"])
        ):
            raise bad
        cells += len(s["values"]) * max(map(len, s["values"]), default=0)
    if cells > MAX_CELLS:
        raise Refusal(
            413,
            f"工作簿数据范围过大（超过 {MAX_CELLS:,} 个单元格）。请删除台账中多余的空行、远处误填的内容"
            "和无关工作表后重试，或在本机用命令行 xl-report 处理。",
        )
    if len({s["name"].casefold() for s in sheets}) != len(sheets):
        raise Refusal(400, "工作簿数据中有两张同名的工作表。")
    for s in sheets:
        for r, row in enumerate(s["values"], start=1):
            for c, v in enumerate(row, start=1):
                problem = _cell_problem(v)
                if problem:
                    raise Refusal(400, f"工作表“{s['name']}”第 {r} 行第 {c} 列{problem}，请改正后重试。")
    active, selection, title = book.get("active_sheet_index", 0), book.get("selection"), book.get("name")
    selection_ok = selection is None or isinstance(selection, str) and len(selection) < 256
    if not _index(active, len(sheets)) or not selection_ok or not _text_ok(title, 255):
        raise bad
    clean_names = []
    for n in names:
        if (
            not isinstance(n, dict)
            or not _text_ok(n.get("name"), 255)
            or not isinstance(n.get("address"), str)
            or not _ADDRESS.match(n["address"])
            or not _index(n.get("sheet_index"), len(sheets))
            or not isinstance(n.get("book_scope"), bool)
            or not (n.get("scope_sheet_name") is None or _text_ok(n.get("scope_sheet_name"), 31))
            or not (n.get("scope_sheet_index") is None or _index(n.get("scope_sheet_index"), len(sheets)))
        ):
            raise bad
        if not n["book_scope"] and not (
            _index(n.get("scope_sheet_index"), len(sheets))
            and n.get("scope_sheet_name") == sheets[n["scope_sheet_index"]]["name"]
        ):
            raise bad  # a sheet-scoped name names its sheet, by index and by name
        clean_names.append(
            {
                "name": n["name"],
                "sheet_index": n["sheet_index"],
                "address": n["address"],
                "book_scope": n["book_scope"],
                "scope_sheet_name": n.get("scope_sheet_name"),
                "scope_sheet_index": n.get("scope_sheet_index"),
            }
        )
    return {
        "client": payload["client"],
        "version": payload["version"],
        "book": {"name": title, "active_sheet_index": active, "selection": selection},
        "names": clean_names,
        "sheets": [{"name": s["name"], "values": s["values"], "pictures": [], "tables": []} for s in sheets],
    }


def _index(value: object, size: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < size


def _text_ok(value: object, limit: int) -> bool:
    return isinstance(value, str) and 0 < len(value) <= limit and not _ILLEGAL.search(value)


def _cell_problem(v: object) -> str | None:
    """Why a cell value cannot come from Excel (Chinese), or None."""
    if v is None or isinstance(v, bool):
        return None
    if isinstance(v, int):
        return None if abs(v) <= MAX_INT else "的数字超出 Excel 的范围"
    if isinstance(v, float):
        return None if math.isfinite(v) else "的数字无效"
    if isinstance(v, str):
        if len(v) > MAX_TEXT:
            return f"的文字超过 Excel 单元格上限（{MAX_TEXT} 个字符）"
        return "含有 Excel 不允许的控制字符" if _ILLEGAL.search(v) else None
    return "的内容不是数字、文字或日期"


def _check_version(payload: dict) -> None:
    import xlwings as xw  # lazy: xlwings (~0.8 s) only for a request

    client = payload["version"]
    if client != xw.__version__:
        raise Refusal(
            400,
            f"Excel 中加载项的 xlwings 版本（{client}）与服务器（{xw.__version__}）不一致。"
            "请向县信息中心索取与服务器配套的 xl_report.xlam（或带按钮的模板）重新安装。",
        )


def create_app(token: str | None = None, max_bytes: int = MAX_BYTES) -> FastAPI:
    """The FastAPI app. ``token`` (or env XL_REPORT_TOKEN) is required: no token, no server."""
    token = (token or os.environ.get(TOKEN_ENV) or "").strip()
    if not token:
        raise ValueError(f"a shared token is required (--token or env {TOKEN_ENV})")
    if token_problem(token):
        raise ValueError(f"the token is too weak: {MIN_TOKEN_CHARS}+ random characters (xl-report serve --new-token)")
    failures = FailureThrottle(free=MAX_FAILURES, window=FAILURE_WINDOW)
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
        _authorize(request, token, failures)
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
        return {
            "actions": [
                {
                    "func": "alert",
                    "args": [
                        f"服务器处理出错，工作簿未作任何改动。请把编号 {incident} 告诉县信息中心。",
                        TITLE,
                        "ok",
                        "critical",
                        "",
                    ],
                    "values": None,
                    "sheet_position": None,
                    "start_row": None,
                    "start_column": None,
                    "row_count": None,
                    "column_count": None,
                }
            ]
        }
    finally:
        book.close()
