"""The county's side: the status of every unit of the list, the dashboard's figures, the batch over
the inbox (the existing ``batch`` code, in a background thread, with its progress) and sending
upward (the existing ``send``, with its sent-log)."""

from __future__ import annotations

import json
import threading
import time
from typing import TYPE_CHECKING

from xl_report.batch.rollup import FINDINGS_FILE
from xl_report.batch.run import run_batch
from xl_report.core.errors import XlReportError
from xl_report.core.figures import figures
from xl_report.core.report import ReportData
from xl_report.document.dashboard import DashboardRow, dashboard_data, write_batch_dashboard
from xl_report.mail import send_files
from xl_report.web import store as st
from xl_report.xlsx.fileio import write_bytes_atomic
from xl_report.xlsx.workbook import read_report_file

if TYPE_CHECKING:
    from xl_report.web.api import WebConfig

# a dashboard of 300 units reads 300 small state files, and last year's figures of the same units:
# those come from the frozen workbooks of last year's inbox, read once per file version
_last_year_cache: dict[tuple[str, int, int], dict] = {}
_cache_lock = threading.Lock()


def unit_rows(store: st.Store, units: list[str]) -> list[dict]:
    """``GET /api/county/units``: one row per unit of the list."""
    out = []
    for unit in units:
        s = store.state(unit)
        out.append(
            {
                "unit": unit,
                "status": s.get("status", st.MISSING),
                "errors": s.get("errors", 0),
                "warnings": s.get("warnings", 0),
                "updated_at": s.get("updated_at"),
                "fingerprint": s.get("fingerprint"),
            }
        )
    return out


def _last_year(store: st.Store, unit: str) -> dict | None:
    last = store.state(unit, store.year - 1)
    if last.get("submitted") and isinstance(last.get("figures"), dict):  # submitted through this server
        return last["figures"]
    path = store.inbox_file(unit, store.year - 1)
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    with _cache_lock:
        if key in _last_year_cache:
            return _last_year_cache[key]
    try:
        found = figures(read_report_file(path).values)
    except XlReportError:
        return None
    with _cache_lock:
        _last_year_cache[key] = found
    return found


def dashboard(store: st.Store, units: list[str], batch: dict) -> dict:
    """``GET /api/county/dashboard``: rows with figures, counts, the 全县合计 tables (of the last batch)."""
    rows = []
    for r in unit_rows(store, units):
        s = store.state(r["unit"])
        rows.append(
            DashboardRow(
                r["unit"],
                r["status"],
                r["errors"],
                r["warnings"],
                r["updated_at"],
                r["fingerprint"],
                s.get("figures") if r["status"] != st.MISSING else None,
                _last_year(store, r["unit"]),
            )
        )
    rollup = _rollup(store)
    data = dashboard_data(rows, rollup, store.year, statuses=st.STATUSES)
    data["batch"] = batch
    return data


def _rollup(store: st.Store):
    """The 全县合计 of the last batch over the inbox (None before the first)."""
    try:
        found = json.loads((store.output / FINDINGS_FILE).read_text("utf-8"))
        return ReportData(unit=found["rollup"]["unit"], year=found.get("year"), values=found["rollup"]["values"])
    except (FileNotFoundError, ValueError, KeyError, TypeError):
        return None


class Batches:
    """One batch at a time over DATA/<年度>/收件 into DATA/<年度>/输出, with its progress."""

    def __init__(self, store: st.Store, cfg: WebConfig):
        self.store, self.cfg = store, cfg
        self._lock = threading.Lock()  # one run at a time
        self._state_lock = threading.Lock()
        self._status: dict = {
            "running": False,
            "done": 0,
            "total": 0,
            "finished_at": None,
            "counts": None,
            "error": None,
            "seconds": None,
        }

    def status(self) -> dict:
        with self._state_lock:
            return dict(self._status)

    def _set(self, **kw) -> None:
        with self._state_lock:
            self._status.update(kw)

    def start(self) -> bool:
        """Run in the background; False when a run is going on already."""
        if not self._lock.acquire(blocking=False):
            return False
        self._set(running=True, done=0, total=self._inputs(), error=None)
        threading.Thread(target=self._run_locked, daemon=True, name="xl-report-batch").start()
        return True

    def run_now(self) -> None:
        """Run (or wait for the running one) in this thread."""
        with self._lock:
            self._set(running=True, done=0, total=self._inputs(), error=None)
            self._run()

    def _run_locked(self) -> None:
        try:
            self._run()
        finally:
            self._lock.release()

    def _inputs(self) -> int:
        inbox = self.store.inbox()
        return len(list(inbox.glob("*.xlsx"))) if inbox.is_dir() else 0

    def _run(self) -> None:
        t0 = time.perf_counter()
        inbox = self.store.inbox()
        try:
            inbox.mkdir(parents=True, exist_ok=True)
            prev = self.store.data / str(self.store.year - 1) / st.OUTPUT_DIR
            units_file = self._units_file()
            batch = run_batch(
                inbox,
                self.store.output,
                year=self.store.year,
                jobs=self.cfg.jobs,
                previous=prev if prev.is_dir() and any(prev.glob("*.xlsx")) else None,
                units=units_file,
                progress=lambda _u: self._bump(),
                config=self.cfg.config,
                password=self.cfg.password,
            )
            write_batch_dashboard(batch)  # 汇总.html beside 汇总.xlsx, as `xl-report batch` writes it
            self._set(
                running=False,
                counts=batch.counts(),
                finished_at=st.now_text(),
                seconds=round(time.perf_counter() - t0, 1),
            )
        except XlReportError as e:
            self._set(running=False, error=str(e), finished_at=st.now_text())
            raise
        except Exception as e:  # noqa: BLE001 - shown on the page; the traceback goes to the server log
            self._set(
                running=False, error=f"内部错误（{type(e).__name__}），请查看服务器日志", finished_at=st.now_text()
            )
            raise

    def _bump(self) -> None:
        with self._state_lock:
            self._status["done"] += 1

    def _units_file(self):
        """The unit list as batch reads it (a TOML file in DATA, written from the server's list)."""
        path = self.store.data / ".xl-report" / "单位名单.toml"
        body = "units = [\n" + "".join(f"  {json.dumps(u, ensure_ascii=False)},\n" for u in self.cfg.units) + "]\n"
        if not path.is_file() or path.read_text("utf-8") != body:
            write_bytes_atomic(path, body.encode("utf-8"))
        return path


def send_upward(store: st.Store, cfg: WebConfig) -> dict:
    """Mail every submitted frozen workbook upward (``send``: once per version, sent-log, outbox when
    no [smtp] is configured). ``units``: those whose workbook went (or had gone) up."""
    inbox = store.inbox()
    files = sorted(inbox.glob("*.xlsx")) if inbox.is_dir() else []
    if not files:
        raise XlReportError("还没有任何单位提交定稿工作簿，没有可上报的文件。")
    config = dict(cfg.config)
    upward = dict(config.get("upward") or {})
    upward.setdefault("outbox", str(store.outbox))
    upward.setdefault("sent_log", str(store.outbox / "已发送.json"))
    config["upward"] = upward
    report = send_files(files, config)
    by_file = {store.inbox_file(u).name: u for u in cfg.units}
    done = []
    for o in report.sent + report.queued + report.skipped:
        unit = by_file.get(o.path.name)
        if unit is not None:
            done.append(unit)
    lines = [o.message for o in report.sent + report.queued + report.skipped + report.failed] + list(report.notes)
    return {"ok": report.ok, "mode": report.mode, "units": done, "messages": lines}
