"""send_files against real aiosmtpd servers on 127.0.0.1: plain, STARTTLS + AUTH, implicit TLS + AUTH,
refusals and dropped connections mid-batch, exactly-once reruns (deliveries counted at the server)."""

from __future__ import annotations

import pytest

from xl_report.core.errors import InputError
from xl_report.mail import send_files

from .mail_helpers import (
    FROM,
    TO,
    UNITS,
    XLSX,
    attachments,
    log_records,
    parse,
    workbook_bytes,
    write_config,
)
from .smtp_server import PASSWORD, USER, SmtpServer, make_cert

FAST = {"retries": 2, "backoff": 0.01}


@pytest.fixture(scope="session")
def cert(tmp_path_factory):
    return make_cert(tmp_path_factory.mktemp("cert"))


@pytest.fixture
def servers():
    started = []

    def start(mode="plain", cert=None):
        s = SmtpServer(mode, cert).start()
        started.append(s)
        return s

    yield start
    for s in started:
        s.stop()


def plain_config(tmp_path, server, **upward):
    return write_config(
        tmp_path,
        smtp={"host": "127.0.0.1", "port": server.port, "security": "none", "from": FROM},
        upward={"to": [TO], **upward},
    )


def tls_config(tmp_path, server, security, cert, *, ca=True):
    smtp = {"host": "127.0.0.1", "port": server.port, "security": security, "username": USER, "from": FROM}
    if ca:
        smtp["ca_file"] = str(cert[0])
    return write_config(tmp_path, smtp=smtp, upward={"to": [TO], "cc": ["市政务公开办 <shi@example.gov.cn>"]})


def check_delivery(raw: bytes, path):
    msg = parse(raw)
    assert "2024年政府信息公开工作年度报告" in msg["Subject"]
    ((filename, name_fallback, payload, ctype),) = attachments(msg)
    assert filename == path.name  # RFC 2231
    assert name_fallback == path.name  # RFC 2047 name= for older clients
    assert payload == path.read_bytes()
    assert ctype == XLSX
    return msg


@pytest.mark.slow
def test_plain_send_roundtrip(tmp_path, servers, books):
    server = servers("plain")
    report = send_files(books[:1], plain_config(tmp_path, server), allow_draft=True, check=False)
    assert report.ok and len(report.sent) == 1 and report.mode == "smtp"
    (d,) = server.sink.deliveries
    assert d.mail_from == "zhengwu@example.gov.cn" and d.rcpt_tos == ["xian@example.gov.cn"]
    msg = check_delivery(d.content, books[0])
    assert msg["Message-ID"] == report.sent[0].message_id
    assert "某某县甲镇人民政府" in msg.get_body().get_content()


@pytest.mark.slow
@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_tls_with_auth(tmp_path, servers, books, cert, monkeypatch, security):
    monkeypatch.setenv("XL_REPORT_SMTP_PASSWORD", PASSWORD)
    server = servers(security, cert)
    report = send_files(books, tls_config(tmp_path, server, security, cert), allow_draft=True, check=False, **FAST)
    assert report.ok and len(report.sent) == 3, report
    assert len(server.sink.deliveries) == 3
    for d, path in zip(server.sink.deliveries, books):
        assert sorted(d.rcpt_tos) == ["shi@example.gov.cn", "xian@example.gov.cn"]
        check_delivery(d.content, path)
    log = (tmp_path / "xl-report-sent.jsonl").read_text(encoding="utf-8")
    assert PASSWORD not in log and len(log_records(tmp_path / "xl-report-sent.jsonl")) == 6  # pending + sent each
    assert PASSWORD not in str(report)


@pytest.mark.slow
@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_untrusted_certificate_is_refused(tmp_path, servers, books, cert, monkeypatch, security):
    monkeypatch.setenv("XL_REPORT_SMTP_PASSWORD", PASSWORD)
    server = servers(security, cert)
    report = send_files(
        books, tls_config(tmp_path, server, security, cert, ca=False), allow_draft=True, check=False, **FAST
    )
    assert not report.sent and len(report.failed) == 3
    assert "证书验证失败" in report.failed[0].message
    assert "中止" in report.failed[1].message  # fatal: the rest is not even tried
    assert server.sink.deliveries == []


@pytest.mark.slow
def test_wrong_password_is_fatal(tmp_path, servers, books, cert, monkeypatch):
    monkeypatch.setenv("XL_REPORT_SMTP_PASSWORD", "wrong-password")
    server = servers("ssl", cert)
    report = send_files(books, tls_config(tmp_path, server, "ssl", cert), allow_draft=True, check=False, **FAST)
    assert len(report.failed) == 3 and "登录失败" in report.failed[0].message
    assert "wrong-password" not in str(report)


@pytest.mark.slow
def test_missing_password_is_input_error(tmp_path, servers, books, cert, monkeypatch):
    monkeypatch.delenv("XL_REPORT_SMTP_PASSWORD", raising=False)
    server = servers("ssl", cert)
    with pytest.raises(InputError, match="XL_REPORT_SMTP_PASSWORD"):
        send_files(books, tls_config(tmp_path, server, "ssl", cert), allow_draft=True, check=False)


@pytest.mark.slow
def test_rerun_sends_nothing_twice(tmp_path, servers, books):
    server = servers("plain")
    config = plain_config(tmp_path, server)
    assert len(send_files(books, config, allow_draft=True, check=False).sent) == 3
    again = send_files(books, config, allow_draft=True, check=False)
    assert again.ok and not again.sent and len(again.skipped) == 3
    assert "未重复发送" in again.skipped[0].message and "--resend" in again.skipped[0].message
    assert len(server.sink.deliveries) == 3
    forced = send_files(books[:1], config, allow_draft=True, check=False, resend=True)
    assert len(forced.sent) == 1 and len(server.sink.deliveries) == 4


@pytest.mark.slow
def test_permanent_rejection_mid_batch_then_rerun(tmp_path, servers, books):
    server = servers("plain")
    server.sink.script = ["ok", "554 5.7.1 message rejected", "ok"]
    config = plain_config(tmp_path, server)
    first = send_files(books, config, allow_draft=True, check=False, **FAST)
    assert [o.path for o in first.sent] == [books[0], books[2]]
    assert [o.path for o in first.failed] == [books[1]] and "554" in first.failed[0].message
    assert server.sink.data_commands == 3  # a 5xx is not retried
    second = send_files(books, config, allow_draft=True, check=False, **FAST)
    assert [o.path for o in second.sent] == [books[1]] and len(second.skipped) == 2
    names = sorted(attachments(parse(m))[0][0] for m in server.sink.messages)
    assert names == sorted(p.name for p in books)  # each exactly once


def test_transient_rejection_is_retried(tmp_path, servers, books):
    server = servers("plain")
    server.sink.script = ["451 4.3.0 try again later", "421 4.7.0 busy"]
    report = send_files(books[:1], plain_config(tmp_path, server), allow_draft=True, check=False, **FAST)
    assert report.ok and len(server.sink.deliveries) == 1 and server.sink.data_commands == 3


@pytest.mark.slow
def test_dropped_connection_after_data_is_pending_not_resent(tmp_path, servers, books):
    server = servers("plain")
    server.sink.script = ["ok", "drop", "ok"]  # no reply to the 2nd message: maybe delivered
    config = plain_config(tmp_path, server)
    first = send_files(books, config, allow_draft=True, check=False, **FAST)
    assert [o.path for o in first.sent] == [books[0], books[2]] and not first.failed
    assert [o.path for o in first.uncertain] == [books[1]] and "待确认" in first.uncertain[0].message
    assert server.sink.data_commands == 3  # never retried
    records = log_records(tmp_path / "xl-report-sent.jsonl")
    pending_id = [r for r in records if r["event"] == "pending"][1]["message_id"]
    assert [r["message_id"] for r in records if r["event"] == "uncertain"] == [pending_id]
    second = send_files(books, config, allow_draft=True, check=False, **FAST)  # skipped until resolved
    assert not second.sent and [o.path for o in second.uncertain] == [books[1]] and server.sink.data_commands == 3
    third = send_files(books[1:2], config, allow_draft=True, check=False, resend=True, **FAST)
    assert third.sent[0].message_id == pending_id  # same Message-ID: the receiver can de-duplicate
    assert any("同一邮件编号" in n for n in third.notes)
    assert len(server.sink.deliveries) == 3
    assert send_files(books, config, allow_draft=True, check=False, **FAST).ok


@pytest.mark.slow
def test_server_down_then_back(tmp_path, servers, books):
    server = servers("plain")
    config = plain_config(tmp_path, server)
    send_files(books[:1], config, allow_draft=True, check=False)
    server.stop()
    lines = []
    down = send_files(books, config, allow_draft=True, check=False, progress=lines.append, **FAST)
    assert len(down.skipped) == 1 and len(down.failed) == 2 and not down.sent
    assert len(lines) == 2 and "重试" in lines[0]  # bounded: retries=2
    assert "拒绝连接" in down.failed[0].message and "中止" in down.failed[1].message
    server.start()
    back = send_files(books, config, allow_draft=True, check=False, **FAST)
    assert [o.path for o in back.sent] == books[1:] and len(back.skipped) == 1
    assert len(server.sink.deliveries) == 3


@pytest.mark.slow
def test_refused_recipient_gets_it_on_rerun(tmp_path, servers, books):
    server = servers("plain")
    server.sink.refuse_rcpt = {"shi@example.gov.cn": "550 5.1.1 no such user"}
    config = plain_config(tmp_path, server, cc=["shi@example.gov.cn"])
    first = send_files(books[:1], config, allow_draft=True, check=False, **FAST)
    assert len(first.sent) == 1 and len(first.failed) == 1 and "shi@example.gov.cn" in first.failed[0].message
    server.sink.refuse_rcpt = {}
    second = send_files(books[:1], config, allow_draft=True, check=False, **FAST)
    assert len(second.sent) == 1
    assert [d.rcpt_tos for d in server.sink.deliveries] == [["xian@example.gov.cn"], ["shi@example.gov.cn"]]
    assert "Cc" in parse(server.sink.messages[1]) and "To" not in parse(server.sink.messages[1])
    third = send_files(books[:1], config, allow_draft=True, check=False)
    assert len(third.skipped) == 1 and len(server.sink.deliveries) == 2


@pytest.mark.slow
def test_changed_file_is_sent_again_as_correction(tmp_path, servers, books, template_file):
    server = servers("plain")
    config = plain_config(tmp_path, server)
    send_files(books[:1], config, allow_draft=True, check=False)
    books[0].write_bytes(workbook_bytes(template_file, UNITS[0], contact="0476-5326621"))
    again = send_files(books[:1], config, allow_draft=True, check=False)
    assert len(again.sent) == 1 and again.sent[0].changed and "更正" in again.sent[0].message
    assert parse(server.sink.messages[1])["Subject"].startswith("【更正】")
    sent = [r for r in log_records(tmp_path / "xl-report-sent.jsonl") if r["event"] == "sent"]
    assert sent[1]["replaces"] == sent[0]["fingerprint"] != sent[1]["fingerprint"]


@pytest.mark.slow
def test_bundle_sends_one_message(tmp_path, servers, books):
    server = servers("plain")
    report = send_files(books, plain_config(tmp_path, server), allow_draft=True, check=False, bundle=True)
    assert len(report.sent) == 3 and len({o.message_id for o in report.sent}) == 1
    (raw,) = server.sink.messages
    msg = parse(raw)
    assert "3个单位" in msg["Subject"]
    got = attachments(msg)
    assert [a[0] for a in got] == [p.name for p in books] == [a[1] for a in got]
    assert [a[2] for a in got] == [p.read_bytes() for p in books]
    assert len(send_files(books, plain_config(tmp_path, server), allow_draft=True, check=False).skipped) == 3


def test_to_override_and_injection(tmp_path, servers, books):
    server = servers("plain")
    config = plain_config(tmp_path, server)
    report = send_files(books[:1], config, to=["other@example.gov.cn"], allow_draft=True, check=False)
    assert server.sink.deliveries[0].rcpt_tos == ["other@example.gov.cn"] and report.ok
    for bad in ["x@example.gov.cn\r\nBcc: evil@example.com", "x@example.gov.cn, evil@example.com", "不是邮箱"]:
        with pytest.raises(InputError):
            send_files(books[:1], config, to=[bad], allow_draft=True, check=False)
    assert len(server.sink.deliveries) == 1


@pytest.mark.slow
def test_unit_name_with_line_break_cannot_inject_a_header(tmp_path, servers, template_file):
    """The reader makes a line break in 单位名称 a space (workbook._text), so the name is one line of the
    subject; the mail layer still refuses a raw CR/LF from elsewhere (test_mail: file names)."""
    server = servers("plain")
    path = tmp_path / "坏单位.xlsx"
    path.write_bytes(workbook_bytes(template_file, "甲镇\r\nBcc: evil@example.com"))
    send_files([path], plain_config(tmp_path, server), allow_draft=True, check=False)
    (delivery,) = server.sink.deliveries
    msg = parse(delivery.content)
    assert msg["Bcc"] is None and "evil@example.com" not in " ".join(delivery.rcpt_tos)
    assert "甲镇 Bcc: evil@example.com" in msg["Subject"]


def test_subject_template_with_placeholders(tmp_path, servers, books):
    server = servers("plain")
    config = plain_config(
        tmp_path,
        server,
        subject="{unit}报送{year}年度年报（{file}）",
        body="领导：\n{unit}的年报见附件。{summary}。指纹 {fingerprint}\n",
    )
    send_files(books[:1], config, allow_draft=True, check=False)
    msg = parse(server.sink.messages[0])
    assert msg["Subject"] == f"【草稿】{UNITS[0]}报送2024年度年报（{books[0].name}）"
    assert f"{UNITS[0]}的年报见附件" in msg.get_body().get_content()


@pytest.mark.slow
def test_two_copies_of_one_report_in_one_run_are_sent_once(tmp_path, servers, books):
    # found in acceptance: 乙乡.xlsx and "乙乡 (1).xlsx" (a second download) both went out in the same run
    import shutil

    server = servers("plain")
    copy = tmp_path / "副本 (1).xlsx"
    shutil.copy(books[0], copy)
    report = send_files([books[0], copy], plain_config(tmp_path, server), allow_draft=True, check=False, **FAST)
    assert len(server.sink.deliveries) == 1
    assert [o.path for o in report.sent] == [books[0]] and [o.path for o in report.skipped] == [copy]
    assert books[0].name in report.skipped[0].message and report.ok


def test_a_mailbox_in_both_to_and_cc_gets_one_copy(tmp_path, servers, books):
    # found in acceptance: to = xian@…, cc = XIAN@… → RCPT TO twice for the same mailbox
    server = servers("plain")
    config = plain_config(tmp_path, server, cc=["XIAN@example.gov.cn", "shi@example.gov.cn"])
    report = send_files(books[:1], config, allow_draft=True, check=False, **FAST)
    assert report.ok
    (d,) = server.sink.deliveries
    assert d.rcpt_tos == ["xian@example.gov.cn", "shi@example.gov.cn"]
    assert "XIAN" not in (parse(d.content)["Cc"] or "")


@pytest.mark.slow
def test_ctrl_c_against_a_hung_server_stops_at_once(tmp_path, books):
    # found in acceptance: Ctrl-C while the server did not answer sat another [smtp] timeout (30 s) in QUIT
    import signal
    import socket
    import subprocess
    import sys
    import threading
    import time

    from .smtp_server import free_port

    port = free_port()
    listener = socket.create_server(("127.0.0.1", port))
    held = []

    def greet_then_hang():
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            conn.sendall(b"220 hung.example ESMTP\r\n")
            held.append(conn)

    threading.Thread(target=greet_then_hang, daemon=True).start()
    write_config(
        tmp_path, smtp={"host": "127.0.0.1", "port": port, "security": "none", "from": FROM}, upward={"to": [TO]}
    )
    code = (
        "import signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
        "sys.argv = ['xl-report', 'send', '--allow-draft', sys.argv[1]]; "
        "from xl_report.cli import main; main()"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(books[0])],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for _ in range(200):  # until the client has connected and waits for the EHLO reply
            if held:
                break
            time.sleep(0.05)
        assert held, "the client never connected"
        time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        started = time.monotonic()
        _, stderr = proc.communicate(timeout=20)
        assert time.monotonic() - started < 5
        assert proc.returncode == 130 and "已中断" in stderr and "Traceback" not in stderr
    finally:
        if proc.poll() is None:
            proc.kill()
        listener.close()
        for conn in held:
            conn.close()
