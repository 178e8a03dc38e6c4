"""Drafts are refused, frozen workbooks go out, tampered ones do not, a re-frozen one is sent as a correction;
and the ``xl-report send`` command end to end (real frozen files, real aiosmtpd on 127.0.0.1)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from xl_report.cli import app
from xl_report.mail import send_files
from xl_report.stages.freeze import freeze_file
from xl_report.xlsx.workbook import open_workbook, resolve_names

from .mail_helpers import FROM, TO, UNITS, attachments, log_records, parse, workbook_bytes, write_config
from .smtp_server import SmtpServer


@pytest.fixture(scope="module")
def frozen(tmp_path_factory, template_file):
    """Two frozen versions of the same unit's report (the second with a changed contact number)."""
    d = tmp_path_factory.mktemp("frozen")
    out = []
    for i, contact in enumerate(["0476-1111111", "0476-2222222"]):
        draft = d / f"草稿{i}.xlsx"
        draft.write_bytes(workbook_bytes(template_file, UNITS[0], contact=contact))
        result = freeze_file(draft, d / f"{UNITS[0]}2024年年报-定稿{i}.xlsx", force=True, reason="测试用")
        out.append((result.output, result.fingerprint))
    return d, out


@pytest.fixture
def server():
    s = SmtpServer("plain").start()
    yield s
    s.stop()


def config_for(tmp_path, server):
    return write_config(
        tmp_path, smtp={"host": "127.0.0.1", "port": server.port, "security": "none", "from": FROM}, upward={"to": [TO]}
    )


@pytest.mark.slow
def test_frozen_goes_out_draft_and_tampered_do_not(tmp_path, frozen, server):
    d, [(first, fp), _] = frozen
    tampered = tmp_path / "改过的定稿.xlsx"
    wb = open_workbook(first)
    sheet, coord = resolve_names(wb)["meta_contact"]
    wb[sheet][coord].value = "0000-0000000"
    wb.save(tampered)
    report = send_files([first, d / "草稿0.xlsx", tampered], config_for(tmp_path, server), check=False)
    assert [o.path for o in report.sent] == [first] and report.sent[0].fingerprint == fp
    assert "已发送：" in report.sent[0].message
    reasons = [o.message for o in report.failed]
    assert "尚未定稿" in reasons[0] and "定稿核验未通过" in reasons[1] and len(reasons) == 2
    (raw,) = server.sink.messages
    msg = parse(raw)
    assert not msg["Subject"].startswith("【草稿】") and msg["X-XL-Report-Fingerprint"] == fp
    assert attachments(msg)[0][2] == first.read_bytes()
    body = msg.get_body().get_content()
    assert "强制定稿（校验有错误未改正，原因：测试用）" in body or "定稿时校验无错误" in body
    assert f"定稿指纹：{fp[:12]}" in body


@pytest.mark.slow
def test_refrozen_report_is_sent_again_as_correction(tmp_path, frozen, server):
    _, [(first, fp1), (second, fp2)] = frozen
    config = config_for(tmp_path, server)
    assert len(send_files([first], config, check=False).sent) == 1
    assert len(send_files([first], config, check=False).skipped) == 1
    again = send_files([second], config, check=False)
    assert again.sent[0].changed and "已发送更正版" in again.sent[0].message
    assert parse(server.sink.messages[-1])["Subject"].startswith("【更正】")
    sent = [r for r in log_records(tmp_path / "xl-report-sent.jsonl") if r["event"] == "sent"]
    assert [(r["fingerprint"], r["replaces"], r["kind"]) for r in sent] == [(fp1, None, "frozen"), (fp2, fp1, "frozen")]
    assert len(server.sink.deliveries) == 2


@pytest.mark.slow
def test_cli_send(tmp_path, frozen, server, monkeypatch):
    _, [(first, _), _] = frozen
    config = config_for(tmp_path, server)
    runner = CliRunner()
    args = ["send", str(first), "--config", config["_path"]]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "已发送" in result.output and "发送记录" in result.output
    result = runner.invoke(app, args)
    assert result.exit_code == 0 and "未重复发送" in result.output
    assert len(server.sink.deliveries) == 1
    draft = tmp_path / "草稿.xlsx"
    draft.write_bytes(b"PK not really")
    result = runner.invoke(app, ["send", str(draft), "--config", config["_path"]])
    assert result.exit_code == 1 and "未发送" in result.output
    result = runner.invoke(app, args + ["--dry-run", "--resend", "--outbox", str(tmp_path / "待发")])
    assert result.exit_code == 0 and "待发" in result.output and list((tmp_path / "待发").glob("*.eml"))
    result = runner.invoke(app, args + ["--to", "x@example.gov.cn\r\nBcc: evil@example.com"])
    assert result.exit_code == 2 and "换行" in result.output


def test_cli_refuses_literal_password(tmp_path, frozen):
    _, [(first, _), _] = frozen
    (tmp_path / "xl-report.toml").write_text(
        '[smtp]\nhost = "smtp.example.gov.cn"\npassword = "123456"\n', encoding="utf-8"
    )
    result = CliRunner().invoke(app, ["send", str(first), "--config", str(tmp_path / "xl-report.toml")])
    assert result.exit_code == 2 and "不能直接写 password" in result.output and "123456" not in result.output


@pytest.mark.slow
def test_a_line_break_typed_into_the_unit_name_reads_as_a_space_from_freeze_to_mail(tmp_path, template_file, server):
    """Alt+Enter in 单位名称: the name is one line in the fingerprint, verify and the mail subject."""
    from xl_report.stages.freeze import verify_file

    draft = tmp_path / "草稿.xlsx"
    draft.write_bytes(workbook_bytes(template_file, "某某县\n甲镇人民政府"))
    frozen = freeze_file(draft, force=True, reason="测试用").output
    assert verify_file(frozen).ok and verify_file(frozen).unit == "某某县 甲镇人民政府"
    report = send_files([frozen], config_for(tmp_path, server), check=False)
    (raw,) = server.sink.messages
    assert report.sent and "某某县 甲镇人民政府" in parse(raw)["Subject"]
