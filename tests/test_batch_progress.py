"""The batch command's progress: rich's bar when stderr is a terminal, one plain line per unit otherwise
(a log, CI). The plain path decides without rich (rich would cost the command's start before its
workers fork), so both ends are held here."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from .conftest import ROOT

pty = pytest.importorskip("pty")


def _batch(tmp_path, stderr, env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    from xl_report.cli.demo import synthetic_unit, write_unit

    indir = tmp_path / "in"
    indir.mkdir()
    for i in range(2):
        write_unit(indir / f"{i}.xlsx", synthetic_unit(f"某某县第{i}单位", "乡镇人民政府", 2024, seed=i), 2024)
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "TTY_COMPATIBLE")}
    env.update(env_extra or {})
    cmd = [sys.executable, "-m", "xl_report", "batch", str(indir), "-o", str(tmp_path / "out"), "--year", "2024"]
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=stderr, timeout=300, check=False, cwd=ROOT, env=env)


def _terminal_output(fd: int) -> str:
    chunks = []
    while True:
        try:
            data = os.read(fd, 65536)
        except OSError:  # the terminal's other end is closed: all read
            break
        if not data:
            break
        chunks.append(data)
    return b"".join(chunks).decode("utf-8", "replace")


def test_a_terminal_gets_richs_bar(tmp_path):
    main, child = pty.openpty()
    try:
        res = _batch(tmp_path, child)
    finally:
        os.close(child)
    shown = _terminal_output(main)
    os.close(main)
    assert res.returncode == 0, shown
    assert "处理各单位" in shown and "\x1b[" in shown, shown  # the bar, drawn with escape sequences
    assert "[1/2]" not in shown


@pytest.mark.parametrize("env", [{}, {"TTY_COMPATIBLE": "0"}])
def test_a_log_gets_plain_lines(tmp_path, env):
    res = _batch(tmp_path, subprocess.PIPE, env)
    assert res.returncode == 0, res.stderr
    lines = res.stderr.decode("utf-8").splitlines()
    assert sorted(lines) == ["[1/2] 某某县第0单位：成功", "[2/2] 某某县第1单位：成功"] or sorted(lines) == [
        "[1/2] 某某县第1单位：成功",
        "[2/2] 某某县第0单位：成功",
    ], lines


def test_forced_colour_is_richs_decision(tmp_path):
    """FORCE_COLOR makes rich treat a pipe as a terminal: the bar, as before the plain path skipped rich."""
    res = _batch(tmp_path, subprocess.PIPE, {"FORCE_COLOR": "1"})
    assert res.returncode == 0, res.stderr
    assert "处理各单位" in res.stderr.decode("utf-8") and b"[1/2]" not in res.stderr
