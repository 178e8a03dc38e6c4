"""xl-report demo: the README's first command, run as a user would (the installed console script)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from xl_report.batch.model import STATUS_ERRORS, STATUS_FAILED, STATUS_MISSING, STATUS_OK
from xl_report.cli.demo import (
    BAD_TALLY_ROW,
    CARRY_OVER_LOST,
    NARRATIVE_CONTRADICTS,
    NOT_SUBMITTED,
    PUBLISHED_LATE,
    full_name,
)
from xl_report.stages.freeze import verify_file


@pytest.mark.slow
def test_demo_end_to_end(tmp_path):
    exe = shutil.which("xl-report", path=str(Path(sys.executable).parent)) or "xl-report"
    root = tmp_path / "演示"
    res = subprocess.run([exe, "demo", "-o", str(root)], capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr
    assert "汇总表" in res.stdout and "发件箱" in res.stdout and "Traceback" not in res.stderr
    progress = [line for line in res.stderr.splitlines() if line.startswith("[")]
    assert progress and progress[-1].startswith(f"[{len(progress)}/{len(progress)}]"), progress[-1:]  # bar ends full
    out = root / "输出" / "2024年"
    units = {u["unit"]: u for u in json.loads((out / "findings.json").read_text(encoding="utf-8"))["units"]}
    assert len(units) == 20
    codes = lambda short: {f["code"] for f in units[full_name(short)]["findings"]}  # noqa: E731
    assert units[full_name(NARRATIVE_CONTRADICTS)]["status"] == STATUS_ERRORS and "T02" in codes(NARRATIVE_CONTRADICTS)
    assert units[full_name(PUBLISHED_LATE)]["status"] == STATUS_ERRORS and "D01" in codes(PUBLISHED_LATE)
    assert units[full_name(CARRY_OVER_LOST)]["status"] == STATUS_ERRORS and "X01" in codes(CARRY_OVER_LOST)
    assert units[full_name(BAD_TALLY_ROW)]["status"] == STATUS_FAILED
    assert "办结日期早于收到日期" in units[full_name(BAD_TALLY_ROW)]["reason"]
    assert units[full_name(NOT_SUBMITTED)]["status"] == STATUS_MISSING
    ok = [u for u in units.values() if u["status"] == STATUS_OK]
    assert len(ok) == 15 and all(u["file"].endswith("-定稿.xlsx") for u in ok)
    assert all(verify_file(out / u["file"]).ok for u in ok[:3])
    # last year's batch ran clean: its carry-over is what X01 compared against
    prev = json.loads((root / "输出" / "2023年" / "findings.json").read_text(encoding="utf-8"))
    assert not [u for u in prev["units"] if u["errors"]]
    assert len(list((root / "发件箱").glob("*.eml"))) == 15
    assert (out / "汇总.xlsx").is_file() and (out / "汇总.html").is_file() and not (out / "全县合计.html").exists()
    html = (out / "汇总.html").read_text("utf-8")
    assert "XlDashboard" in html and full_name(NOT_SUBMITTED) in html
    assert "<script src" not in html and "<link" not in html  # everything inline: it opens offline
    # the web demo: the printed command serves the demo county; the printed codes log in
    assert "xl-report serve --data" in res.stdout and "登录码" in res.stdout
    from xl_report.web import codes as web_codes

    data = root / "网页数据"
    printed = re.findall(r"：([A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4})", res.stdout)
    assert len(printed) == 5 and web_codes.verify(web_codes.load(data), printed[0]) == full_name("城关镇")
    assert len(list((data / "2023" / "收件").glob("*.xlsx"))) == 19  # last year's reports, for the comparison
