"""Where the web app keeps things, all inside DATA (every write atomic: temp file + rename).

```
DATA/.xl-report/             登录码.json (hashes only), session.key
DATA/操作记录.jsonl           action log: time, role, unit, action, file fingerprint (no personal data)
DATA/<年度>/单位/<单位>/       a unit's current files: 上传.xlsx 已填报.xlsx 定稿.xlsx 年报.docx 年报.html 状态.json
DATA/<年度>/收件/<单位>.xlsx   the county's inbox (the submitted frozen workbooks); 收件/历史/ earlier ones
DATA/<年度>/输出/             the batch over the inbox (汇总.xlsx, 汇总.html, findings.json, …)
DATA/<年度>/发件箱/           what was sent upward (.eml when no SMTP) and its sent-log
```

Unit folder and file names come from the unit list through :func:`unit_file_name`, never from a request.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from xl_report.xlsx.fileio import unit_file_name, write_bytes_atomic

UNITS_DIR, INBOX_DIR, HISTORY_DIR, OUTPUT_DIR, OUTBOX_DIR = "单位", "收件", "历史", "输出", "发件箱"
LOG_FILE = "操作记录.jsonl"
STATE_FILE = "状态.json"
UPLOAD, FILLED, FROZEN, DOCX, HTML = "上传.xlsx", "已填报.xlsx", "定稿.xlsx", "年报.docx", "年报.html"
LEDGER_SUFFIXES = (".xls", ".ods", ".csv")  # an office's own ledger, uploaded as it is kept


def upload_name(suffix: str) -> str:
    """The stored upload: ``上传.xlsx``, or the ledger's kind (the readers go by the suffix)."""
    return "上传" + (suffix if suffix in LEDGER_SUFFIXES else ".xlsx")


UPLOADS = tuple(upload_name(s) for s in (".xlsx",) + LEDGER_SUFFIXES)


# the files a unit may download: API name -> (file, media type)
DOWNLOADS = {
    "filled": (FILLED, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "frozen": (FROZEN, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "report.docx": (DOCX, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "report.html": (HTML, "text/html; charset=utf-8"),
}

# stages, in order; the dashboard's status is the stage of the latest action
MISSING, UPLOADED, ERRORS = "未提交", "已上传", "有错误"
FROZEN_STAGE, SUBMITTED, REPORTED = "已定稿", "已提交", "已上报"
STATUSES = (MISSING, UPLOADED, ERRORS, FROZEN_STAGE, SUBMITTED, REPORTED)

_log_lock = threading.Lock()


def folder_clashes(units: list[str]) -> list[tuple[str, str]]:
    """Pairs of units of the list whose folder / inbox file names would be the same (e.g. "甲/乙" and
    "甲_乙"): they would share files, so the server refuses such a list."""
    seen: dict[str, str] = {}
    out = []
    for unit in units:
        key = unit_file_name(unit).casefold()
        if key in seen:
            out.append((seen[key], unit))
        else:
            seen[key] = unit
    return out


def now_text() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")


@dataclass(frozen=True)
class Store:
    data: Path
    year: int

    @property
    def year_dir(self) -> Path:
        return self.data / str(self.year)

    def unit_dir(self, unit: str, year: int | None = None) -> Path:
        return self.data / str(year or self.year) / UNITS_DIR / unit_file_name(unit)

    def inbox(self, year: int | None = None) -> Path:
        return self.data / str(year or self.year) / INBOX_DIR

    def inbox_file(self, unit: str, year: int | None = None) -> Path:
        return self.inbox(year) / f"{unit_file_name(unit)}.xlsx"

    @property
    def output(self) -> Path:
        return self.year_dir / OUTPUT_DIR

    @property
    def outbox(self) -> Path:
        return self.year_dir / OUTBOX_DIR

    # ---- a unit's state ------------------------------------------------------------------
    def state(self, unit: str, year: int | None = None) -> dict:
        try:
            return json.loads((self.unit_dir(unit, year) / STATE_FILE).read_text("utf-8"))
        except (FileNotFoundError, ValueError):
            return {}

    def save_state(self, unit: str, state: dict) -> None:
        write_bytes_atomic(
            self.unit_dir(unit) / STATE_FILE,
            json.dumps(state, ensure_ascii=False, indent=1, default=str).encode("utf-8"),
        )

    # ---- the inbox ----------------------------------------------------------------------
    def submit(self, unit: str, frozen: bytes) -> Path:
        """Store a frozen workbook as the unit's submission; an earlier one moves to 历史/ first."""
        target = self.inbox_file(unit)
        if target.is_file():
            history = target.parent / HISTORY_DIR
            history.mkdir(parents=True, exist_ok=True)
            stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
            os.replace(target, history / f"{target.stem}-{stamp}.xlsx")
        write_bytes_atomic(target, frozen)
        return target

    # ---- the action log -----------------------------------------------------------------
    def log(self, role: str, unit: str | None, action: str, fingerprint: str | None = None, **extra) -> None:
        """One JSON line per action; no codes, no file contents, no personal data."""
        entry = {
            "time": now_text(),
            "role": role,
            "unit": unit,
            "action": action,
            "year": self.year,
            "fingerprint": fingerprint,
            **extra,
        }
        line = (json.dumps(entry, ensure_ascii=False) + "\n").encode("utf-8")
        self.data.mkdir(parents=True, exist_ok=True)
        with _log_lock:  # one write of a whole line on an O_APPEND file: lines never interleave
            fd = os.open(self.data / LOG_FILE, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o640)
            try:
                os.write(fd, line)
            finally:
                os.close(fd)
