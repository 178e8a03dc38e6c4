"""xl-report serve refuses cleanly: token, client version, size, malformed bodies (real HTTP)."""

from __future__ import annotations

import json

import pytest
import xlwings as xw
from typer.testing import CliRunner

from xl_report.cli import app
from xl_report.excel.server import create_app

from .xlwings_payload import LiveServer, payload_from_xlsx


@pytest.fixture(scope="module")
def server():
    with LiveServer(max_bytes=2 * 1024 * 1024) as s:
        yield s


@pytest.fixture(scope="module")
def payload(template_file) -> dict:
    return payload_from_xlsx(template_file)


def test_token_required(server, payload):
    for token in ("", "wrong-token", server.token + "x"):
        r = server.press("check", payload, token=token)
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
        assert "未授权" in r.text and r.headers["content-type"].startswith("text/plain")
    r = server.press("check", payload, headers={"Authorization": f"Basic {server.token}"})
    assert r.status_code == 401
    with pytest.raises(ValueError):
        create_app("")


def test_version_mismatch(server, payload):
    r = server.press("check", {**payload, "version": "0.30.0"})
    assert r.status_code == 400
    assert "0.30.0" in r.text and xw.__version__ in r.text and "不一致" in r.text


def test_oversized(server, payload):
    big = json.dumps({**payload, "pad": "x" * (3 * 1024 * 1024)}).encode()
    r = server.press("check", None, content=big, headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and "过大" in r.text

    def chunks():  # no Content-Length: the cap holds while streaming too
        for i in range(0, len(big), 65536):
            yield big[i : i + 65536]

    import httpx

    r = httpx.post(
        f"{server.url}/check", content=chunks(), headers={"Authorization": f"Bearer {server.token}"}, timeout=30
    )
    assert r.status_code == 413


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"\xff\xfe",
        b"[]",
        b'{"book": {}, "sheets": []}',
        b'{"client": "VBA", "version": "0.37.8", "book": {"name": "a"}, '
        b'"sheets": [{"name": "s", "values": "x"}], "names": []}',
    ],
)
def test_malformed(server, body):
    r = server.press("fill", None, content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.headers["content-type"].startswith("text/plain")
    assert "请使用县里提供的" in r.text


def test_unknown_button_and_bad_host(server, payload):
    assert server.press("delete", payload).status_code == 404
    r = server.press("check", payload, host="evil'!Kill")
    assert r.status_code == 400


def test_internal_error_is_a_message_not_a_half_written_book(server, payload, monkeypatch):
    from xl_report.excel import buttons

    def bug(*args):
        raise KeyError("a bug")

    monkeypatch.setitem(buttons.BUTTONS, "check", bug)
    r = server.press("check", payload)
    assert r.status_code == 200
    acts = r.json()["actions"]
    assert [a["func"] for a in acts] == ["alert"] and "未作任何改动" in acts[0]["args"][0]


def test_health(server):
    import httpx

    assert httpx.get(f"{server.url}/health").json() == {"ok": True, "xlwings": xw.__version__}


def test_serve_needs_a_token(monkeypatch):
    monkeypatch.delenv("XL_REPORT_TOKEN", raising=False)
    result = CliRunner().invoke(app, ["serve"])
    assert result.exit_code == 2 and "令牌" in result.output


def test_serve_on_a_port_in_use_says_so_in_chinese():
    # found in acceptance: uvicorn's English bind error after "按钮服务器已启动", exit 3
    import socket

    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        result = CliRunner().invoke(app, ["serve", "--token", "Zq8-t0ken-for-test-4Kw", "--port", str(port)])
    assert result.exit_code == 2, result.output
    assert f"端口 {port} 已被占用" in result.output and "已启动" not in result.output


@pytest.mark.parametrize(
    "body",
    [
        b'{"book": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",  # RecursionError
        b'{"book": {}, "sheets": [{"name": "s", "values": [[' + b"9" * 5000 + b"]]}]}",
    ],
)
def test_json_the_parser_chokes_on_is_a_400_not_a_500(server, body):
    r = server.press("fill", None, content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and "不是有效的 JSON" in r.text


@pytest.mark.slow
def test_a_huge_sheet_rectangle_in_a_small_body_is_refused(server, payload):
    """One 2,000-wide row above 20,000 empty rows: 60 KB of JSON that took > 60 s and 3 GB to rebuild."""
    sheets = [dict(s) for s in payload["sheets"]]
    sheets[1]["values"] = sheets[1]["values"][:1] + [[0] * 2000] + [[] for _ in range(20_000)]
    r = server.press("check", {**payload, "sheets": sheets})
    assert r.status_code == 413 and "数据范围过大" in r.text


def test_a_sheet_name_excel_cannot_have_is_refused(server, payload):
    evil = {**payload, "sheets": payload["sheets"] + [{**payload["sheets"][1], "name": "../../etc/passwd"}]}
    r = server.press("check", evil)
    assert r.status_code == 400 and "请使用县里提供的" in r.text


@pytest.mark.parametrize("token", ["short-token", "aaaaaaaaaaaaaaaaaaaaaaaa", "abababababababababab"])
def test_a_weak_token_refuses_to_start(token, monkeypatch):
    monkeypatch.delenv("XL_REPORT_TOKEN", raising=False)
    result = CliRunner().invoke(app, ["serve", "--token", token, "--host", "0.0.0.0"])
    assert result.exit_code == 2 and "xl-report serve --new-token" in result.output and "已启动" not in result.output
    monkeypatch.setenv("XL_REPORT_TOKEN", token)
    assert CliRunner().invoke(app, ["serve"]).exit_code == 2
    with pytest.raises(ValueError):
        create_app(token)


def test_new_token_is_long_random_and_accepted():
    from xl_report.excel.server import token_problem

    tokens = {CliRunner().invoke(app, ["serve", "--new-token"]).output.strip() for _ in range(3)}
    assert len(tokens) == 3 and all(len(t) >= 32 and token_problem(t) is None for t in tokens)


def test_failed_authentications_are_throttled_per_client(payload, caplog):
    with LiveServer() as s:
        for _ in range(10):
            assert s.press("check", payload, token="wrong-token-guess-123").status_code == 401
        r = s.press("check", payload, token="wrong-token-guess-123")
        assert r.status_code == 429 and 0 < int(r.headers["retry-after"]) <= 60 and "秒后再试" in r.text
        assert s.press("check", payload).status_code == 429  # the right token waits too: the client is blocked
    assert any("failed authentication" in rec.getMessage() for rec in caplog.records)
    assert not any("wrong-token-guess" in rec.getMessage() for rec in caplog.records)


def test_throttle_window_slides():
    from xl_report.core.throttle import FailureThrottle

    now = [1000.0]
    f = FailureThrottle(free=3, window=60, clock=lambda: now[0])
    for _ in range(3):
        f.failed("10.0.0.1")
    assert f.wait("10.0.0.1") == 60 and f.wait("10.0.0.2") == 0
    now[0] += 59.5
    assert f.wait("10.0.0.1") == 0.5
    now[0] += 1
    assert f.wait("10.0.0.1") == 0


def test_throttle_stays_bounded_under_a_flood_of_addresses():
    from xl_report.core.throttle import FailureThrottle

    now = [0.0]
    f = FailureThrottle(free=3, window=60, clock=lambda: now[0], max_clients=100)
    for _ in range(3):
        f.failed("attacker")
    for i in range(1000):  # a flood of addresses: the table stays bounded
        now[0] += 0.01
        f.failed(f"10.1.{i // 256}.{i % 256}")
    assert len(f._fails) <= 100
    now[0] = 61.0
    f.failed("late")
    assert f.wait("attacker") == 0 and len(f._fails) <= 100


@pytest.mark.parametrize(
    "value,words",
    [("a\x01b", "控制字符"), ({"x": 1}, "不是数字"), ([1, 2], "不是数字"), (2**70, "超出"), ("x" * 40_000, "上限")],
)
def test_a_bad_cell_is_a_400_naming_sheet_row_and_column(server, payload, value, words):
    sheets = [dict(s) for s in payload["sheets"]]
    sheets[0]["values"] = [list(r) for r in sheets[0]["values"]]
    sheets[0]["values"][1][2] = value
    r = server.press("check", {**payload, "sheets": sheets})
    assert r.status_code == 400 and f"工作表“{sheets[0]['name']}”第 2 行第 3 列" in r.text and words in r.text


@pytest.mark.parametrize(
    "edit",
    [
        lambda p: p["names"][0].pop("book_scope"),
        lambda p: p["names"][0].update(sheet_index=99),
        lambda p: p["names"][0].update(address="not an address"),
        lambda p: p["book"].update(active_sheet_index="0"),
        lambda p: p["sheets"].append(dict(p["sheets"][0])),
    ],
)
def test_a_bad_name_or_book_field_is_a_400(server, payload, edit):
    broken = json.loads(json.dumps(payload))
    edit(broken)
    r = server.press("check", broken)
    assert r.status_code == 400 and r.headers["content-type"].startswith("text/plain")
