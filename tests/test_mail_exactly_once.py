"""Exactly once, also when the SMTP server's answer is lost: a real server on 127.0.0.1 that stores a
message and then drops the connection, stores it and answers after the client's timeout, drops the
connection before DATA, refuses (451 / 550) or is down. Deliveries are counted at the server: never
more than one per file across a run and its rerun, and every file ends as 已发送, 待确认 or 未发送."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from xl_report.cli import app
from xl_report.mail import confirm_files, send_files

from .mail_helpers import FROM, TO, attachments, log_records, parse, write_config
from .smtp_server import SmtpServer

FAST = {"retries": 2, "backoff": 0.01}
TIMEOUT = 1.0  # the client's [smtp] timeout in these tests (seconds)


@pytest.fixture
def server():
    s = SmtpServer("plain").start()
    yield s
    s.stop()


def config_for(tmp_path, server):
    return write_config(
        tmp_path,
        smtp={"host": "127.0.0.1", "port": server.port, "security": "none", "from": FROM, "timeout": TIMEOUT},
        upward={"to": [TO]},
    )


def per_file(server) -> dict[str, int]:
    counts: dict[str, int] = {}
    for raw in server.sink.messages:
        for name, *_ in attachments(parse(raw)):
            counts[name] = counts.get(name, 0) + 1
    return counts


def status(report, path) -> str:
    """已发送 / 待确认 / 未发送 (or 已跳过 when an earlier run sent it) of one file; exactly one of them."""
    found = [
        label
        for label, outcomes in (
            ("已发送", report.sent),
            ("待确认", report.uncertain),
            ("未发送", report.failed),
            ("已跳过", report.skipped),
        )
        if any(o.path == path for o in outcomes)
    ]
    assert len(found) == 1, found
    return found[0]


def run_twice(tmp_path, server, books, **kw):
    config = config_for(tmp_path, server)
    first = send_files(books, config, allow_draft=True, check=False, **FAST, **kw)
    second = send_files(books, config, allow_draft=True, check=False, **FAST, **kw)
    return first, second


SCENARIOS = {
    # name: (DATA script, RCPT script, status after run, status after rerun, deliveries)
    "store then drop": (["store-drop"], [], "待确认", "待确认", 1),
    "store then slow reply": ([f"store-slow:{TIMEOUT * 3}"], [], "待确认", "待确认", 1),
    "drop before DATA": ([], ["drop"], "已发送", "已跳过", 1),
    "451 then ok": (["451 4.3.0 try again later"], [], "已发送", "已跳过", 1),
    "550": (["550 5.7.1 rejected"], [], "未发送", "已发送", 1),
}


@pytest.mark.parametrize("case", list(SCENARIOS))
def test_one_file_is_delivered_at_most_once(tmp_path, server, books, case):
    data, rcpt, after_run, after_rerun, deliveries = SCENARIOS[case]
    server.sink.script, server.sink.rcpt_script = list(data), list(rcpt)
    first, second = run_twice(tmp_path, server, books[:1])
    assert status(first, books[0]) == after_run and status(second, books[0]) == after_rerun
    assert per_file(server) == {books[0].name: deliveries}
    if after_run == "待确认":
        assert not first.ok and "邮件编号" in first.uncertain[0].message and "--confirm" in first.uncertain[0].message
        assert server.sink.data_commands == 1  # never retried after the message went out


def test_server_down_then_up(tmp_path, server, books):
    config = config_for(tmp_path, server)
    server.stop()
    down = send_files(books, config, allow_draft=True, check=False, **FAST)
    assert all(status(down, p) == "未发送" for p in books)
    server.start()
    up = send_files(books, config, allow_draft=True, check=False, **FAST)
    assert all(status(up, p) == "已发送" for p in books)
    assert per_file(server) == {p.name: 1 for p in books}


def test_mixed_batch_then_rerun_then_confirm_and_resend_via_cli(tmp_path, server, books):
    server.sink.script = ["store-drop", "550 5.7.1 rejected", f"store-slow:{TIMEOUT * 3}"]
    config = config_for(tmp_path, server)
    first = send_files(books, config, allow_draft=True, check=False, **FAST)
    assert [status(first, p) for p in books] == ["待确认", "未发送", "待确认"]
    rerun = send_files(books, config, allow_draft=True, check=False, **FAST)
    assert [status(rerun, p) for p in books] == ["待确认", "已发送", "待确认"]
    assert per_file(server) == {p.name: 1 for p in books}
    cfg = str(tmp_path / "xl-report.toml")
    run = CliRunner().invoke(app, ["send", str(books[0]), "--allow-draft", "--config", cfg])
    assert run.exit_code == 1 and "可能已送达（待确认）1 个" in run.output and "--confirm" in run.output
    # the clerk asked: the 1st arrived, the 3rd did not
    run = CliRunner().invoke(app, ["send", "--confirm", str(books[0]), "--config", cfg])
    assert run.exit_code == 0 and "已确认送达" in run.output
    resent = send_files(books[2:], config, allow_draft=True, check=False, resend=True, **FAST)
    assert status(resent, books[2]) == "已发送"
    final = send_files(books, config, allow_draft=True, check=False, **FAST)
    assert final.ok and [status(final, p) for p in books] == ["已跳过"] * 3
    counts = per_file(server)
    assert counts[books[0].name] == 1 and counts[books[1].name] == 1 and counts[books[2].name] == 2  # resent on request
    records = log_records(tmp_path / "xl-report-sent.jsonl")
    assert sum(r["event"] == "uncertain" for r in records) == 2 and any(r.get("confirmed") for r in records)
    assert confirm_files([books[1]], config).notes  # nothing pending: nothing to confirm
