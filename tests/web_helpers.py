"""A demo county for the web tests and ``xl-report serve`` running it in a real process on 127.0.0.1."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import httpx

from xl_report.cli.demo import as_of, full_name, level, synthetic_unit, write_unit
from xl_report.stages.fill import fill_workbook
from xl_report.stages.freeze import freeze_file
from xl_report.web.store import Store

YEAR = 2024
SHORTS = ("城关镇", "东风镇", "教育局", "财政局")
UNITS = tuple(full_name(s) for s in SHORTS)
TOKEN = "county-token-for-tests-0123456789abcdef"


@dataclass
class County:
    root: Path
    data: Path
    units_file: Path
    codes: dict[str, str]  # unit -> access code
    books: dict[str, Path]  # unit -> a good workbook of this year
    token: str = TOKEN


def make_county(root: Path) -> County:
    from xl_report.web.codes import issue

    root.mkdir(parents=True, exist_ok=True)
    units_file = root / "单位名单.toml"
    units_file.write_text("units = [" + ", ".join(f'"{u}"' for u in UNITS) + "]\n", encoding="utf-8")
    books = {}
    for i, (short, unit) in enumerate(zip(SHORTS, UNITS, strict=True)):
        data = synthetic_unit(unit, level(short), YEAR, seed=i)
        books[unit] = write_unit(root / "台账" / f"{short}.xlsx", data, YEAR)
    data = root / "data"
    codes = dict(issue(data, list(UNITS)))
    return County(root, data, units_file, codes, books)


def submit_last_year(county: County, unit: str) -> Path:
    """``unit``'s frozen workbook of the year before, in last year's inbox (as last year's server left it):
    its tally as it stood on 31 December, so this year's carry-over matches it."""
    i = UNITS.index(unit)
    work = county.root / "上年" / SHORTS[i]
    data = as_of(synthetic_unit(unit, level(SHORTS[i]), YEAR, seed=i), date(YEAR - 1, 12, 31))
    old = write_unit(work / "台账.xlsx", data, YEAR - 1)
    filled = fill_workbook(old, work / "已填报.xlsx").output
    target = Store(county.data, YEAR - 1).inbox_file(unit)
    target.parent.mkdir(parents=True, exist_ok=True)
    freeze_file(filled, target)
    return target


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Serve:
    """``xl-report serve --data … --units …`` in a subprocess (its own worker processes, real HTTP)."""

    county: County
    extra: list[str] = field(default_factory=list)
    port: int = field(default_factory=free_port)
    scheme: str = "http"

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def __enter__(self) -> Serve:
        c = self.county
        cmd = [
            sys.executable,
            "-c",
            "import sys; from xl_report.cli import main; sys.argv[0] = 'xl-report'; main()",
            "serve",
            "--port",
            str(self.port),
            "--data",
            str(c.data),
            "--units",
            str(c.units_file),
            "--year",
            str(YEAR),
            "--workers",
            "2",
            *self.extra,
        ]
        env = dict(os.environ, XL_REPORT_TOKEN=c.token)
        self.log = open(c.root / f"serve-{self.port}.log", "wb")
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"serve exited: {(c.root / f'serve-{self.port}.log').read_text('utf-8')}")
            try:
                httpx.get(f"{self.url}/", timeout=2, verify=False)
                return self
            except httpx.TransportError:
                time.sleep(0.2)
        raise AssertionError("serve did not start")

    def __exit__(self, *exc) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()

    def client(self, **kw) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=60, verify=False, **kw)

    def bearer(self, code: str) -> httpx.Client:
        return self.client(headers={"Authorization": f"Bearer {code}"})

    def login(self, code: str) -> tuple[httpx.Client, str]:
        """A cookie session (as the page has it) and its CSRF token."""
        c = self.client()
        r = c.post("/api/login", json={"code": code})
        assert r.status_code == 200, r.text
        return c, r.json()["csrf"]


def contradicting_book(src: Path, dst: Path) -> Path:
    """A copy of ``src`` whose 正文 says no request came in, while its tally has some (finding T02, an error)."""
    from openpyxl import load_workbook

    from xl_report.xlsx.workbook import read_narrative, write_narrative

    wb = load_workbook(src)
    overview = read_narrative(wb).get("overview", [])
    write_narrative(wb, {"overview": ["本年度未收到政府信息公开申请。"] + overview[1:]})
    wb.save(dst)
    return dst
