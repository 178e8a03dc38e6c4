"""Mail without a server: config validation, header safety, message format, the outbox, the sent-log."""

from __future__ import annotations

import email.header
import shutil

import pytest

from xl_report.core.config import load_config
from xl_report.core.errors import InputError
from xl_report.mail import mail_settings, send_files
from xl_report.mail.compose import encoded_words
from xl_report.mail.sentlog import SentLog

from .conftest import ROOT
from .mail_helpers import FROM, TO, UNITS, XLSX, attachments, parse, report_name, workbook_bytes, write_config
from .smtp_server import free_port


@pytest.fixture(scope="module")
def book_bytes(template_file):
    return workbook_bytes(template_file, UNITS[0])


@pytest.fixture
def book(tmp_path, book_bytes):
    p = tmp_path / report_name(UNITS[0])
    p.write_bytes(book_bytes)
    return p


def test_example_config_is_valid(monkeypatch):
    settings = mail_settings(load_config(ROOT / "xl-report.example.toml"))
    assert settings.smtp.security == "ssl" and settings.smtp.port == 465
    assert settings.to == ("县政务公开办 <xian@example.gov.cn>",)
    assert "{details}" in settings.body and settings.sender.endswith("<zhengwu@example.gov.cn>")


def test_literal_password_refused(tmp_path):
    with pytest.raises(InputError, match="不能直接写 password"):
        write_config(tmp_path, smtp={"host": "smtp.example.gov.cn", "password": "123456"})


@pytest.mark.parametrize(
    "smtp, upward, match",
    [
        ({"host": "smtp.example.gov.cn", "security": "none"}, {}, "只允许用于本机"),
        ({"host": "smtp.example.gov.cn", "security": "tls"}, {}, "security 只能是"),
        ({"host": "smtp.example.gov.cn", "port": 99999}, {}, "port"),
        ({"host": "smtp.example.gov.cn", "pasword_env": "X"}, {}, "不认识的项"),
        ({"host": "smtp.example.gov.cn", "ca_file": "no-such.pem"}, {}, "ca_file"),
        ({"host": "smtp.example.gov.cn", "from": "a@b.cn\nBcc: evil@x.com"}, {}, "换行"),
        (None, {"to": ["a@b.cn", "evil@x.com\r\nBcc: evil@x.com"]}, "换行"),
        (None, {"cc": ["a@b.cn, evil@x.com"]}, "不是有效的邮箱地址"),
        (None, {"subject": "{unit}年报{secret}"}, "未知的占位符 {secret}"),
        (None, {"body": "{unit.__class__}"}, "未知的占位符"),
        (None, {"body": "{unit"}, "花括号"),
        (None, {"subject": "年报\nBcc: evil@x.com"}, "换行"),
    ],
)
def test_bad_config_is_refused(tmp_path, smtp, upward, match):
    with pytest.raises(InputError, match=match):
        mail_settings(write_config(tmp_path, smtp=smtp, upward=upward))


def test_ca_file_that_is_not_a_certificate_is_a_config_mistake(tmp_path):
    # found in acceptance: it surfaced at connect time as "加密连接失败…请检查 security 与端口", exit 1
    (tmp_path / "单位内部CA.pem").write_text("这不是证书\n", encoding="utf-8")
    config = write_config(tmp_path, smtp={"host": "smtp.example.gov.cn", "ca_file": "单位内部CA.pem"})
    with pytest.raises(InputError, match="不是有效的 PEM 证书") as e:
        mail_settings(config)
    assert "单位内部CA.pem" in str(e.value)


def test_encoded_words_stay_short_and_decode():
    name = "某某县某某镇人民政府2024年政府信息公开工作年度报告（定稿）mixed ASCII 文本.xlsx"
    words = encoded_words(name)
    assert all(len(w) <= 75 for w in words)
    assert str(email.header.make_header(email.header.decode_header(" ".join(words)))) == name


@pytest.mark.slow
def test_outbox_is_the_default_without_smtp(tmp_path, book):
    config = write_config(tmp_path, upward={"to": [TO], "cc": ["市 <shi@example.gov.cn>"]})
    report = send_files([book], config, allow_draft=True, check=False)
    assert report.ok and report.mode == "outbox" and not report.sent
    (eml,) = report.outbox_files
    assert eml.parent == tmp_path / "outbox" and eml.suffix == ".eml"
    msg = parse(eml.read_bytes())
    assert msg["To"] == TO and "shi@example.gov.cn" in msg["Cc"]
    assert msg["Subject"].startswith("【草稿】【报送】某某县甲镇人民政府2024年")
    [(filename, fallback, payload, ctype)] = attachments(msg)
    assert filename == fallback == book.name and payload == book.read_bytes() and ctype == XLSX
    again = send_files([book], config, allow_draft=True, check=False)
    assert again.outbox_files == [eml] and len(list(eml.parent.iterdir())) == 1  # same content, same file
    assert not (tmp_path / "xl-report-sent.jsonl").exists()  # nothing was sent


def test_no_config_at_all_writes_outbox_in_current_folder(tmp_path, book, monkeypatch):
    monkeypatch.chdir(tmp_path)
    report = send_files([book], None, allow_draft=True, check=False, outbox=tmp_path / "待发")
    assert report.outbox_files[0].parent == tmp_path / "待发"
    assert "To" not in parse(report.outbox_files[0].read_bytes())


def test_dry_run_does_not_connect(tmp_path, book):
    config = write_config(
        tmp_path, smtp={"host": "127.0.0.1", "port": free_port(), "security": "none", "from": FROM}, upward={"to": [TO]}
    )
    report = send_files([book], config, dry_run=True, allow_draft=True, check=False)
    assert report.ok and report.mode == "outbox" and len(report.outbox_files) == 1


def test_xlsm_gets_macro_enabled_type(tmp_path, book):
    xlsm = book.with_suffix(".xlsm")
    shutil.copy(book, xlsm)
    report = send_files([xlsm], {}, allow_draft=True, check=False, outbox=tmp_path / "o")
    [(filename, _, _, ctype)] = attachments(parse(report.outbox_files[0].read_bytes()))
    assert filename == xlsm.name and ctype == "application/vnd.ms-excel.sheet.macroenabled.12"


def test_bad_files_are_reported_per_file(tmp_path, book):
    bogus = tmp_path / "不是工作簿.xlsx"
    bogus.write_text("hello")
    report = send_files(
        [bogus, tmp_path / "没有.xlsx", tmp_path / "a.csv", book],
        {},
        allow_draft=True,
        check=False,
        outbox=tmp_path / "o",
    )
    assert len(report.failed) == 3 and len(report.outbox_files) == 1 and report.exit_code == 1


def test_draft_is_refused_without_allow_draft(tmp_path, book):
    report = send_files([book], {}, check=False, outbox=tmp_path / "o")
    assert not report.outbox_files and "尚未定稿" in report.failed[0].message
    assert "--allow-draft" in report.failed[0].message


@pytest.mark.slow
def test_summary_placeholder_runs_the_check(tmp_path, book):
    config = write_config(tmp_path, upward={"to": [TO], "body": "{summary}"})
    report = send_files([book], config, allow_draft=True)
    body = parse(report.outbox_files[0].read_bytes()).get_body().get_content()
    assert "校验" in body and "未校验" not in body


def test_sent_log_survives_a_torn_line(tmp_path):
    log = SentLog(tmp_path / "log.jsonl")
    log.append({"event": "sent", "fingerprint": "abc", "recipients": ["a@b.cn"], "message_id": "<1@x>"})
    with (tmp_path / "log.jsonl").open("ab") as f:
        f.write(b'{"event": "sent", "fingerp')  # crash mid-write
    again = SentLog(tmp_path / "log.jsonl")
    assert again.delivered("abc") == {"a@b.cn"}
    again.append({"event": "pending", "fingerprints": ["def"], "message_id": "<2@x>"})
    third = SentLog(tmp_path / "log.jsonl")
    assert third.unresolved("def")["message_id"] == "<2@x>" and third.delivered("abc") == {"a@b.cn"}


def test_second_concurrent_run_is_refused(tmp_path):
    log = SentLog(tmp_path / "log.jsonl")
    with log.locked():
        with pytest.raises(InputError, match="正在进行"):
            with SentLog(tmp_path / "log.jsonl").locked():
                pass


def test_file_name_with_line_break_is_refused(tmp_path, book):
    evil = tmp_path / "年报\r\nBcc: evil@example.com.xlsx"
    shutil.copy(book, evil)
    report = send_files([evil], {}, to="a@example.gov.cn", allow_draft=True, check=False, outbox=tmp_path / "o")
    assert not report.outbox_files and "换行或控制字符" in report.failed[0].message


def test_workbook_with_an_xlwings_config_sheet_is_not_mailed(tmp_path, book):
    # found in acceptance: docs/excel-buttons.md lets a clerk keep SERVER_URL / AUTH "Bearer <token>" in a
    # sheet named xl_report.conf; sending that workbook mailed the county token upward
    from openpyxl import load_workbook

    wb = load_workbook(book)
    ws = wb.create_sheet("xl_report.conf")
    ws.append(["AUTH", "Bearer county-secret-token-123"])
    with_conf = tmp_path / "带配置.xlsx"
    wb.save(with_conf)
    outbox = tmp_path / "o"
    report = send_files([with_conf], {}, to="a@example.gov.cn", allow_draft=True, check=False, outbox=outbox)
    assert not report.outbox_files and not outbox.exists()
    assert "xl_report.conf" in report.failed[0].message and "令牌" in report.failed[0].message
