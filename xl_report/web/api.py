"""The web app's routes: the pages, the clerk's JSON API and the county's (see docs/web.md).

A unit is always the session's (or the Bearer code's): no route takes a unit from the URL or the
form, except the county's, which may name any unit of the list. Every POST made with the cookie
carries the CSRF token. Errors are ``{"message": "<Chinese>"}`` with a 4xx status.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import json
import logging
import os
import shutil
import tempfile
import threading
import uuid
import zipfile
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from xl_report.batch.model import match_key
from xl_report.core.errors import XlReportError
from xl_report.core.throttle import FailureThrottle
from xl_report.stages.freeze import one_time_password
from xl_report.web import auth, pages, work
from xl_report.web import store as st
from xl_report.web.auth import COUNTY, Who
from xl_report.web.county import Batches, dashboard, send_upward, unit_rows
from xl_report.xlsx.fileio import FIXED_ZIP_TIME, save_workbook
from xl_report.xlsx.template import build_template

MAX_UPLOAD_MB = 32
log = logging.getLogger("xl_report.web")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class WebError(Exception):
    def __init__(self, status: int, message: str, headers: dict | None = None, **extra: Any):
        super().__init__(message)
        self.status, self.message, self.headers, self.extra = status, message, headers, extra


@dataclass
class WebConfig:
    data: Path
    units: list[str]  # the unit list: who may log in, what the dashboard lists
    token: str  # the county's
    year: int
    max_bytes: int = MAX_UPLOAD_MB * 1024 * 1024
    secure: bool = False  # served over TLS: the cookie gets Secure
    jobs: int = 2
    config: dict = field(default_factory=dict)  # xl-report.toml ([freeze], [upward], [smtp])
    password: str | None = field(default=None, repr=False)  # the freeze password (never sent to a client)


def mount(app: FastAPI, cfg: WebConfig) -> None:
    """Add the web page and its API to ``app`` (the button server's)."""
    web = Web(cfg)

    @app.exception_handler(WebError)
    async def _refused(request: Request, exc: WebError):
        return JSONResponse({"message": exc.message, **exc.extra}, status_code=exc.status, headers=exc.headers)

    @app.middleware("http")
    async def _headers(request: Request, call_next):
        response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", pages.CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if request.url.path.startswith("/api/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    outer = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(application):  # the worker processes live as long as the server
        web.start()
        try:
            async with outer(application) as state:
                yield state
        finally:
            web.stop()

    app.router.lifespan_context = lifespan
    app.include_router(pages.router)
    app.include_router(web.router())


class Web:
    def __init__(self, cfg: WebConfig):
        self.cfg = cfg
        cfg.data.mkdir(parents=True, exist_ok=True)
        self.store = st.Store(cfg.data, cfg.year)
        self.sessions = auth.Sessions(auth.load_key(cfg.data), cfg.token, cfg.data)
        self.throttle = FailureThrottle(free=5, window=300.0, base=2.0)  # then 2, 4, 8 … s, at most 5 min
        self.by_key = {match_key(u): u for u in cfg.units}
        self.locks: dict[str, asyncio.Lock] = {}
        self.pool: ProcessPoolExecutor | None = None
        self.batches = Batches(self.store, cfg)
        self._template: bytes | None = None
        self._template_lock = threading.Lock()

    def start(self) -> None:
        self.pool = work.make_pool(self.cfg.jobs)

    def stop(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)

    async def _run(self, fn, *args):
        """A job in a worker process. A bug or a dead worker is a short Chinese message with an incident
        number (the traceback goes to the server's log), and the next request finds a working pool."""
        if self.pool is None:
            self.start()
        try:
            return await asyncio.get_running_loop().run_in_executor(self.pool, fn, *args)
        except Exception as e:
            incident = uuid.uuid4().hex[:8]
            log.error("web job %s failed (incident %s)", fn.__name__, incident, exc_info=e)
            if isinstance(e, BrokenProcessPool):  # a worker died (e.g. killed for its memory): start afresh
                self.stop()
                self.start()
            raise WebError(
                500, f"服务器处理出错，文件未保存。请重试；仍不行请把编号 {incident} 告诉县信息中心。"
            ) from None

    def _lock(self, unit: str) -> asyncio.Lock:
        return self.locks.setdefault(unit, asyncio.Lock())

    # ---- who is asking ----------------------------------------------------------------
    async def who(self, request: Request, *, post: bool = False) -> Who:
        header = request.headers.get("authorization")
        if header is not None:
            scheme, _, given = header.partition(" ")
            client = _client(request)
            self._throttled(client)
            # scrypt (once per code, then cached): off the event loop
            found = (
                await run_in_threadpool(self.sessions.check_code, given)
                if scheme.lower() == "bearer" and given.strip()
                else None
            )
            if found is None:
                self.throttle.failed(client)
                raise WebError(401, "登录码不正确。", {"WWW-Authenticate": "Bearer"})
            self.throttle.succeeded(client)
            return found
        cookie = request.cookies.get(auth.COOKIE)
        found = self.sessions.from_cookie(cookie) if cookie else None
        if found is None:
            raise WebError(401, "请先登录（登录已过期，或登录码已更换）。")
        if post and not self.sessions.csrf_ok(found, request.headers.get(auth.CSRF_HEADER)):
            raise WebError(403, "页面已过期，请刷新页面后重试。")
        return found

    async def unit_of(self, request: Request, *, post: bool = False) -> Who:
        who = await self.who(request, post=post)
        if who.role != auth.UNIT or who.unit is None:
            raise WebError(403, "这是各单位经办人员的功能，请用本单位的登录码登录。")
        if match_key(who.unit) not in self.by_key:
            raise WebError(403, "本单位不在单位名单中，请与县里联系。")
        return who

    async def county(self, request: Request, *, post: bool = False) -> Who:
        who = await self.who(request, post=post)
        if who.role != COUNTY:
            raise WebError(403, "这是县里的功能，需要用县里的令牌登录。")
        return who

    def _throttled(self, client: str) -> None:
        wait = self.throttle.wait(client)
        if wait > 0:
            seconds = int(wait) + 1
            raise WebError(429, f"登录码错误次数过多，请 {seconds} 秒后再试。", {"Retry-After": str(seconds)})

    # ---- routes ------------------------------------------------------------------------
    def router(self) -> APIRouter:
        r = APIRouter(prefix="/api")
        r.add_api_route("/login", self.login, methods=["POST"])
        r.add_api_route("/logout", self.logout, methods=["POST"])
        r.add_api_route("/session", self.session, methods=["GET"])
        r.add_api_route("/template", self.template, methods=["GET"])
        r.add_api_route("/state", self.state, methods=["GET"])
        r.add_api_route("/upload", self.upload, methods=["POST"])
        r.add_api_route("/files/{kind}", self.download, methods=["GET"])
        r.add_api_route("/freeze", self.freeze, methods=["POST"])
        r.add_api_route("/submit", self.submit, methods=["POST"])
        r.add_api_route("/county/units", self.county_units, methods=["GET"])
        r.add_api_route("/county/dashboard", self.county_dashboard, methods=["GET"])
        r.add_api_route("/county/unit", self.county_unit, methods=["GET"])
        r.add_api_route("/county/inbox.xlsx", self.county_inbox_file, methods=["GET"])
        r.add_api_route("/county/files/{kind}", self.county_unit_file, methods=["GET"])
        r.add_api_route("/county/batch", self.county_batch, methods=["POST"])
        r.add_api_route("/county/batch", self.county_batch_status, methods=["GET"])
        r.add_api_route("/county/summary.xlsx", self.county_summary, methods=["GET"])
        r.add_api_route("/county/summary.html", self.county_summary_html, methods=["GET"])
        r.add_api_route("/county/frozen.zip", self.county_zip, methods=["GET"])
        r.add_api_route("/county/send", self.county_send, methods=["POST"])
        return r

    async def login(self, request: Request) -> JSONResponse:
        client = _client(request)
        self._throttled(client)
        # a page of another site cannot send JSON here (a form can send only text/plain or form data), nor
        # hide where it comes from: no logging a clerk's browser into another unit behind their back
        if request.headers.get("content-type", "").split(";")[
            0
        ].strip().lower() != "application/json" or not _same_origin(request):
            raise WebError(403, "登录请求不正确：请从登录页面登录。")
        body = await _json(request, 4096)
        code = body.get("code") if isinstance(body, dict) else None
        if not isinstance(code, str) or not code.strip() or len(code) > 200:
            raise WebError(400, "请输入登录码。")
        found = await run_in_threadpool(self.sessions.check_code, code)  # scrypt: off the event loop
        if found is None or (found.role == auth.UNIT and match_key(found.unit or "") not in self.by_key):
            self.throttle.failed(client)
            self.store.log("unknown", None, "登录失败")
            raise WebError(401, "登录码不正确，请核对后重新输入（登录码由县里发放）。")
        self.throttle.succeeded(client)
        cookie, who = self.sessions.cookie_for(found)
        self.store.log(who.role, who.unit, "登录")
        response = JSONResponse(self._session_json(who))
        response.set_cookie(
            auth.COOKIE,
            cookie,
            max_age=auth.SESSION_SECONDS,
            httponly=True,
            samesite="strict",
            secure=self.cfg.secure,
            path="/",
        )
        return response

    async def logout(self, request: Request) -> JSONResponse:
        try:
            await self.who(request, post=True)
        except WebError as e:
            if e.status != 401:  # an expired session may always leave; a forged request may not
                raise
        response = JSONResponse({"ok": True})
        response.delete_cookie(auth.COOKIE, path="/", httponly=True, samesite="strict", secure=self.cfg.secure)
        return response

    def _session_json(self, who: Who) -> dict:
        return {
            "unit": who.unit,
            "role": who.role,
            "year": self.cfg.year,
            "csrf": self.sessions.csrf_for(who) if not who.bearer else None,
        }

    async def session(self, request: Request) -> dict:
        return self._session_json(await self.who(request))

    async def template(self, request: Request, start: str | None = None) -> Response:
        who = await self.unit_of(request)
        assert who.unit is not None
        if start == "last":
            last = self.store.inbox_file(who.unit, self.cfg.year - 1)
            if not last.is_file():
                raise WebError(404, f"没有本单位 {self.cfg.year - 1} 年度提交的定稿工作簿，请下载空白模板。")
            result = await self._run(work.template_job, str(last), who.unit, self.cfg.year)
            if "error" in result:
                raise WebError(400, result["error"])
            return _file_response(result["data"], f"{who.unit}-{self.cfg.year}年报.xlsx", XLSX)
        return _file_response(await run_in_threadpool(self._blank), f"{self.cfg.year}年报模板.xlsx", XLSX)

    def _blank(self) -> bytes:
        with self._template_lock:
            if self._template is None:
                with tempfile.TemporaryDirectory() as tmp:
                    path = Path(tmp) / "模板.xlsx"
                    save_workbook(build_template(), path, deterministic=True)
                    self._template = path.read_bytes()
            return self._template

    async def state(self, request: Request) -> dict:
        who = await self.unit_of(request)
        assert who.unit is not None
        return self._unit_view(who.unit)

    def _unit_view(self, unit: str) -> dict:
        state = self.store.state(unit)
        folder = self.store.unit_dir(unit)
        files = {kind: (folder / name).is_file() for kind, (name, _) in st.DOWNLOADS.items()}
        return {
            "unit": unit,
            "year": self.cfg.year,
            "status": state.get("status", st.MISSING),
            "summary": state.get("summary", []),
            "findings": state.get("findings", []),
            "errors": state.get("errors", 0),
            "warnings": state.get("warnings", 0),
            "updated_at": state.get("updated_at"),
            "fingerprint": state.get("fingerprint"),
            "submitted_at": state.get("submitted_at"),
            "report_error": state.get("report_error"),
            "files": files,
            "last_year": self.store.inbox_file(unit, self.cfg.year - 1).is_file(),
        }

    async def upload(self, request: Request) -> dict:
        who = await self.unit_of(request, post=True)
        unit = who.unit
        assert unit is not None
        data, filename = await self._upload_bytes(request)
        suffix = Path(filename).suffix.lower()
        upload_file = st.upload_name(suffix)  # a workbook, or an office's own ledger kept as .xls/.ods/.csv
        self.store.year_dir.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".upload-", dir=self.store.year_dir))
        try:
            (tmp / upload_file).write_bytes(data)
            last = self.store.inbox_file(unit, self.cfg.year - 1)
            result = await self._run(
                work.upload_job,
                str(tmp),
                unit,
                self.cfg.year,
                str(last) if last.is_file() else None,
                self.cfg.config,
                suffix,
                _display_name(filename),
            )
            if "error" in result:
                self.store.log(who.role, unit, "上传被拒绝", sha256=_sha(data))
                raise WebError(400, result["error"])
            async with self._lock(unit):
                folder = self.store.unit_dir(unit)
                folder.mkdir(parents=True, exist_ok=True)
                for name in (st.FILLED, st.FROZEN, st.DOCX, st.HTML):  # a new draft: the old results go
                    (folder / name).unlink(missing_ok=True)
                for old in st.UPLOADS:  # one current upload, of whatever kind
                    (folder / old).unlink(missing_ok=True)
                os.replace(tmp / upload_file, folder / upload_file)
                if result["filled"]:
                    os.replace(tmp / st.FILLED, folder / st.FILLED)
                state = self.store.state(unit)
                state.update(
                    status=st.ERRORS if result["errors"] else st.UPLOADED,
                    summary=result["summary"],
                    findings=result["findings"],
                    errors=result["errors"],
                    warnings=result["warnings"],
                    figures=result["figures"],
                    updated_at=st.now_text(),
                    fingerprint=None,
                    report_error=None,
                    upload_sha256=_sha(data),
                )
                self.store.save_state(unit, state)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        self.store.log(who.role, unit, "上传", sha256=_sha(data), errors=result["errors"], warnings=result["warnings"])
        return {k: result[k] for k in ("unit", "year", "summary", "findings", "errors", "warnings")}

    async def _upload_bytes(self, request: Request) -> tuple[bytes, str]:
        """The uploaded file's bytes and the name the browser gave it (only its suffix and, shown in the
        台账转换说明, its last part are used)."""
        limit = self.cfg.max_bytes
        too_big = WebError(
            413, f"文件过大（超过 {limit // 1024 // 1024} MB）：请删除台账中多余的空行和无关工作表后重新上传。"
        )
        length = request.headers.get("content-length")
        if length and length.isdigit() and int(length) > limit + 64 * 1024:
            raise too_big
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > limit + 64 * 1024:  # the multipart framing around the file
                raise too_big

        async def receive() -> dict:
            return {"type": "http.request", "body": bytes(body), "more_body": False}

        try:
            form = await Request(request.scope, receive).form(max_files=1, max_fields=10)
        except Exception:  # noqa: BLE001 - starlette/multipart raise several types for a malformed body
            raise WebError(
                400, "上传的内容不正确：请用页面上的“上传”按钮选择工作簿（.xlsx）或台账（.xls/.ods/.csv）。"
            ) from None
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise WebError(400, "没有收到文件：请选择要上传的工作簿（.xlsx）或台账（.xls/.ods/.csv）。")
        data = await upload.read()
        filename = upload.filename or ""
        await form.close()
        if not data:
            raise WebError(400, "上传的文件是空的。")
        if len(data) > limit:
            raise too_big
        return data, filename

    async def download(self, request: Request, kind: str) -> Response:
        who = await self.unit_of(request)
        assert who.unit is not None
        if kind not in st.DOWNLOADS:
            raise WebError(404, "没有这种文件。")
        name, media = st.DOWNLOADS[kind]
        path = self.store.unit_dir(who.unit) / name
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise WebError(404, _missing(kind)) from None
        self.store.log(who.role, who.unit, f"下载{name}", sha256=_sha(data))
        return _file_response(data, f"{who.unit}-{name}", media)

    async def freeze(self, request: Request) -> dict:
        who = await self.unit_of(request, post=True)
        unit = who.unit
        assert unit is not None
        async with self._lock(unit):
            folder = self.store.unit_dir(unit)
            if not (folder / st.FILLED).is_file():
                raise WebError(
                    409, "请先上传工作簿并通过校验，再定稿。", findings=self.store.state(unit).get("findings", [])
                )
            self.store.year_dir.mkdir(parents=True, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(prefix=".freeze-", dir=self.store.year_dir))
            try:
                shutil.copyfile(folder / st.FILLED, tmp / st.FILLED)
                # the clerk downloads this file: never the county's password (its hash would travel with it)
                result = await self._run(
                    work.freeze_job, str(tmp), one_time_password(self.cfg.password), self.cfg.config
                )
                if "refused" in result:
                    errors = sum(1 for f in result["refused"] if f["severity"] == "error")
                    raise WebError(
                        409,
                        f"校验发现 {errors} 个错误，不能定稿：请在工作簿中改正后重新上传。",
                        findings=result["refused"],
                    )
                if "error" in result:
                    raise WebError(400, result["error"])
                for name in (st.FROZEN, st.DOCX, st.HTML):
                    if (tmp / name).is_file():
                        os.replace(tmp / name, folder / name)
                    else:
                        (folder / name).unlink(missing_ok=True)
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
            state = self.store.state(unit)
            state.update(
                status=st.FROZEN_STAGE,
                fingerprint=result["fingerprint"],
                frozen_at=result["frozen_at"],
                report_error=result["report_error"],
                updated_at=st.now_text(),
            )
            self.store.save_state(unit, state)
        self.store.log(who.role, unit, "定稿", result["fingerprint"])
        return {
            "fingerprint": result["fingerprint"],
            "short": result["short"],
            "report_error": result["report_error"],
            "report_notes": result["report_notes"],
        }

    async def submit(self, request: Request) -> dict:
        who = await self.unit_of(request, post=True)
        unit = who.unit
        assert unit is not None
        async with self._lock(unit):
            state = self.store.state(unit)
            path = self.store.unit_dir(unit) / st.FROZEN
            if not path.is_file() or not state.get("fingerprint"):
                raise WebError(409, "请先定稿，再提交县里。")
            stored = await run_in_threadpool(self.store.submit, unit, path.read_bytes())
            state.update(
                status=st.SUBMITTED,
                submitted_at=st.now_text(),
                submitted=state["fingerprint"],
                updated_at=st.now_text(),
            )
            self.store.save_state(unit, state)
        self.store.log(who.role, unit, "提交县里", state["fingerprint"])
        return {"stored": stored.relative_to(self.cfg.data).as_posix(), "fingerprint": state["fingerprint"]}

    # ---- county ----------------------------------------------------------------------
    async def county_units(self, request: Request) -> list[dict]:
        await self.county(request)
        return await run_in_threadpool(unit_rows, self.store, self.cfg.units)

    async def county_dashboard(self, request: Request) -> dict:
        await self.county(request)
        return await run_in_threadpool(dashboard, self.store, self.cfg.units, self.batches.status())

    async def county_unit(self, request: Request, unit: str) -> dict:
        await self.county(request)
        return self._unit_view(self._listed(unit))

    def _listed(self, unit: str) -> str:
        name = self.by_key.get(match_key(unit))
        if name is None:
            raise WebError(404, "单位名单中没有这个单位。")
        return name

    async def county_unit_file(self, request: Request, kind: str, unit: str) -> Response:
        """A unit's current files as the unit itself downloads them (e.g. its report before submission)."""
        who = await self.county(request)
        name = self._listed(unit)
        if kind not in st.DOWNLOADS:
            raise WebError(404, "没有这种文件。")
        filename, media = st.DOWNLOADS[kind]
        try:
            data = (self.store.unit_dir(name) / filename).read_bytes()
        except FileNotFoundError:
            raise WebError(404, f"“{name}”{_missing(kind)}") from None
        self.store.log(who.role, name, f"县里下载{filename}", sha256=_sha(data))
        return _file_response(data, f"{name}-{filename}", media)

    async def county_inbox_file(self, request: Request, unit: str) -> Response:
        who = await self.county(request)
        name = self._listed(unit)
        path = self.store.inbox_file(name)
        if not path.is_file():
            raise WebError(404, f"“{name}”还没有提交定稿工作簿。")
        self.store.log(who.role, name, "下载提交的定稿")
        return _file_response(path.read_bytes(), path.name, XLSX)

    async def county_batch(self, request: Request) -> dict:
        who = await self.county(request, post=True)
        started = self.batches.start()
        if started:
            self.store.log(who.role, None, "批量处理")
        return self.batches.status()

    async def county_batch_status(self, request: Request) -> dict:
        await self.county(request)
        return self.batches.status()

    async def county_summary(self, request: Request) -> Response:
        return await self._summary_file(request, "汇总.xlsx", XLSX)

    async def county_summary_html(self, request: Request) -> Response:
        return await self._summary_file(request, "汇总.html", "text/html; charset=utf-8")

    async def _summary_file(self, request: Request, name: str, media: str) -> Response:
        await self.county(request)
        try:
            await run_in_threadpool(self.batches.run_now)  # incremental: unchanged units are reused
        except XlReportError as e:
            raise WebError(409, str(e)) from None
        path = self.store.output / name
        if not path.is_file():
            raise WebError(404, "还没有任何单位提交定稿工作簿，没有汇总。")
        return _file_response(path.read_bytes(), f"{self.cfg.year}年{name}", media)

    async def county_zip(self, request: Request) -> Response:
        who = await self.county(request)
        files = sorted(self.store.inbox().glob("*.xlsx")) if self.store.inbox().is_dir() else []
        if not files:
            raise WebError(404, "还没有任何单位提交定稿工作簿。")
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:  # xlsx files are compressed already
            for f in files:
                info = zipfile.ZipInfo(f.name, FIXED_ZIP_TIME)
                info.flag_bits |= 0x800  # UTF-8 names: Chinese file names survive every unzip tool
                z.writestr(info, f.read_bytes())
        self.store.log(who.role, None, "下载全部定稿", count=len(files))
        return _file_response(buf.getvalue(), f"{self.cfg.year}年各单位定稿.zip", "application/zip")

    async def county_send(self, request: Request) -> dict:
        who = await self.county(request, post=True)
        try:
            result = await run_in_threadpool(send_upward, self.store, self.cfg)
        except XlReportError as e:
            raise WebError(400, str(e)) from None
        for unit in result["units"]:  # under the unit's lock: an upload meanwhile keeps its own state
            async with self._lock(unit):
                state = self.store.state(unit)
                if state.get("submitted") and state.get("status") == st.SUBMITTED:
                    state.update(status=st.REPORTED, reported_at=st.now_text())
                    self.store.save_state(unit, state)
        self.store.log(who.role, None, "上报", count=len(result["units"]))
        return result


def _same_origin(request: Request) -> bool:
    """No Origin header (a script, an old browser) or one naming this server."""
    origin = request.headers.get("origin")
    if not origin:
        return True
    return urlsplit(origin).netloc.lower() == request.headers.get("host", "").lower()


def _client(request: Request) -> str:
    return request.client.host if request.client else "?"


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _missing(kind: str) -> str:
    return {
        "filled": "还没有填报好的工作簿：请先上传工作簿（台账有错误时不生成）。",
        "frozen": "还没有定稿：请先上传并校验无误后点击“定稿”。",
        "report.docx": "还没有年报文档：请先定稿（定稿后自动生成）。",
        "report.html": "还没有年报网页：请先定稿（定稿后自动生成）。",
    }[kind]


async def _json(request: Request, limit: int) -> Any:
    body = await request.body()
    if len(body) > limit:
        raise WebError(413, "请求内容过大。")
    try:
        return json.loads(body or b"{}")
    except (ValueError, RecursionError):
        raise WebError(400, "请求内容不是有效的 JSON。") from None


def _file_response(data: bytes, filename: str, media: str) -> Response:
    return Response(
        data,
        media_type=media,
        headers={
            "Content-Disposition": f'attachment; filename="download{Path(filename).suffix}"; '
            f"filename*=UTF-8''{quote(filename)}"
        },
    )


__all__ = ["WebConfig", "mount"]


def _display_name(filename: str) -> str | None:
    """The browser's file name as the 台账转换说明 shows it: its last part, no control characters, short."""
    name = "".join(ch for ch in filename.replace("\\", "/").rsplit("/", 1)[-1] if ch.isprintable()).strip()
    return name[:80] or None
