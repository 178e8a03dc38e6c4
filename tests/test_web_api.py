"""The web page's JSON API over real HTTP: ``xl-report serve --data --units`` in its own process."""

from __future__ import annotations

import hashlib
import io
import json
import os
import threading
import time
import zipfile

import pytest
from openpyxl import load_workbook

from xl_report.cli.demo import level, synthetic_unit, write_unit
from xl_report.core import form
from xl_report.stages.freeze import verify_file
from xl_report.web.store import FILLED, STATE_FILE, UPLOAD, Store
from xl_report.xlsx.workbook import read_report_file

from .smtp_server import make_cert
from .web_helpers import UNITS, YEAR, Serve, contradicting_book, make_county, submit_last_year

A, B, C, D = UNITS  # D: only the clerk-flow test uses it (it starts from nothing)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
COUNTY_GETS = (
    "/api/county/units",
    "/api/county/dashboard",
    f"/api/county/unit?unit={A}",
    f"/api/county/files/filled?unit={A}",
    f"/api/county/files/report.docx?unit={A}",
    f"/api/county/inbox.xlsx?unit={A}",
    "/api/county/batch",
    "/api/county/summary.xlsx",
    "/api/county/summary.html",
    "/api/county/frozen.zip",
)
COUNTY_POSTS = ("/api/county/batch", "/api/county/send")
UNIT_FILES = ("filled", "frozen", "report.docx", "report.html")


@pytest.fixture(scope="module")
def county(tmp_path_factory):
    return make_county(tmp_path_factory.mktemp("web") / "县")


@pytest.fixture(scope="module")
def server(county):
    with Serve(county) as s:
        yield s


def upload(client, path_or_bytes, csrf: str | None = None, name: str = "年报.xlsx", **data):
    body = path_or_bytes if isinstance(path_or_bytes, bytes) else path_or_bytes.read_bytes()
    headers = {"X-CSRF-Token": csrf} if csrf else {}
    return client.post("/api/upload", files={"file": (name, body, XLSX)}, data=data or None, headers=headers)


def post(client, url: str, csrf: str | None = None):
    return client.post(url, headers={"X-CSRF-Token": csrf} if csrf else {})


def store(county) -> Store:
    return Store(county.data, YEAR)


def test_login_gives_an_httponly_strict_cookie_and_the_role(server, county):
    c = server.client()
    r = c.post("/api/login", json={"code": county.codes[A].lower().replace("-", " ")})  # as typed: any case, spaces
    assert r.status_code == 200 and r.json()["unit"] == A and r.json()["role"] == "unit" and r.json()["year"] == YEAR
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "secure" not in cookie
    assert county.codes[A] not in r.headers["set-cookie"]  # the cookie is signed state, not the code
    assert c.get("/api/session").json()["unit"] == A
    r = server.client().post("/api/login", json={"code": county.token})
    assert r.json()["role"] == "county" and r.json()["unit"] is None
    for body in ({"code": "ABCD-EFGH-JKLM-NPQR"}, {"code": ""}, {"nope": 1}, [1]):
        r = server.client().post("/api/login", json=body)
        assert r.status_code in (400, 401) and r.json()["message"]
    r = server.client().post("/api/login", content=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and "JSON" in r.json()["message"]


def test_another_site_cannot_log_a_browser_in(server, county):
    body = json.dumps({"code": county.codes[A]}).encode()
    # what a form on another site can send: text/plain; or JSON from a page of another origin
    r = server.client().post("/api/login", content=body, headers={"Content-Type": "text/plain"})
    assert r.status_code == 403 and "set-cookie" not in r.headers
    r = server.client().post(
        "/api/login", content=body, headers={"Content-Type": "application/json", "Origin": "http://evil.example"}
    )
    assert r.status_code == 403 and "set-cookie" not in r.headers
    r = server.client().post(
        "/api/login", content=body, headers={"Content-Type": "application/json", "Origin": server.url}
    )
    assert r.status_code == 200


def test_the_clerk_flow_over_the_api(server, county):
    c, csrf = server.login(county.codes[D])
    r = c.get("/api/template")
    assert r.status_code == 200 and r.headers["content-type"] == XLSX
    wb = load_workbook(io.BytesIO(r.content))
    assert all(n in wb.defined_names for n in form.CELL_NAMES[:5])
    for kind in UNIT_FILES:  # nothing yet
        r = c.get(f"/api/files/{kind}")
        assert r.status_code == 404 and r.json()["message"]
    r = upload(c, county.books[D], csrf)
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) >= {"unit", "year", "summary", "findings"} and body["unit"] == D and body["year"] == YEAR
    assert any("新收" in line for line in body["summary"]) and body["errors"] == 0
    filled = c.get("/api/files/filled")
    assert filled.status_code == 200
    wb = load_workbook(io.BytesIO(filled.content))
    assert form.SHEET_FINDINGS in wb.sheetnames
    r = post(c, "/api/freeze", csrf)
    assert r.status_code == 200, r.text
    fp = r.json()["fingerprint"]
    frozen = c.get("/api/files/frozen")
    assert frozen.status_code == 200
    (county.root / "a-frozen.xlsx").write_bytes(frozen.content)
    check = verify_file(county.root / "a-frozen.xlsx")
    assert check.ok and check.fingerprint == fp and check.unit == D
    assert c.get("/api/files/report.docx").content[:2] == b"PK"
    assert f"{YEAR}年政府信息公开工作年度报告" in c.get("/api/files/report.html").content.decode("utf-8")
    r = post(c, "/api/submit", csrf)
    assert r.status_code == 200 and r.json()["stored"] == f"{YEAR}/收件/{D}.xlsx"
    assert (county.data / r.json()["stored"]).read_bytes() == frozen.content
    # submitted again: the earlier submission is kept in 历史/
    assert post(c, "/api/submit", csrf).status_code == 200
    assert len(list((county.data / str(YEAR) / "收件" / "历史").glob(f"{D}-*.xlsx"))) == 1
    state = c.get("/api/state").json()
    assert state["status"] == "已提交" and state["fingerprint"] == fp


def test_last_years_frozen_workbook_as_a_starting_point(server, county, tmp_path):
    c, _ = server.login(county.codes[C])
    r = c.get("/api/template?start=last")
    assert r.status_code == 404 and str(YEAR - 1) in r.json()["message"]
    assert not c.get("/api/state").json()["last_year"]
    submit_last_year(county, C)
    assert c.get("/api/state").json()["last_year"]
    r = c.get("/api/template?start=last")
    assert r.status_code == 200
    start = tmp_path / "start.xlsx"
    start.write_bytes(r.content)
    report = read_report_file(start)
    assert report.unit == C and report.year == YEAR and report.narrative
    wb = load_workbook(start)
    assert wb["依申请公开台账"].max_row > 1  # last year's requests: those still open carry over
    # a fresh, unfrozen workbook: it uploads and fills for this year
    r = upload(server.bearer(county.codes[C]), start)
    assert r.status_code == 200 and r.json()["year"] == YEAR, r.text


def test_a_unit_sees_and_changes_only_its_own_files(server, county):
    a, a_csrf = server.login(county.codes[A])
    if a.get("/api/state").json()["status"] == "未提交":
        assert upload(a, county.books[A], a_csrf).status_code == 200
    a_filled = a.get("/api/files/filled").content
    b, b_csrf = server.login(county.codes[B])
    # B names A everywhere a name could go: the form, the query, the path; B's actions stay B's
    r = upload(b, county.books[B], b_csrf, unit=A)
    assert r.status_code == 200 and r.json()["unit"] == B
    for kind in UNIT_FILES:
        for url in (f"/api/files/{kind}?unit={A}", f"/api/files/{kind}"):
            r = b.get(url)
            assert r.content != a_filled and A.encode() not in r.content
    for url in (
        f"/api/files/..%2F..%2F{A}%2F{FILLED}",
        f"/api/files/%2e%2e/{A}",
        "/api/files/../../.xl-report/登录码.json",
    ):
        assert b.get(url).status_code == 404
    assert b.get(f"/api/state?unit={A}").json()["unit"] == B
    assert a.get("/api/files/filled").content == a_filled  # A's draft untouched by B's upload
    wb = load_workbook(io.BytesIO(b.get("/api/files/filled").content))
    names = {n: wb.defined_names[n].attr_text for n in ("meta_unit",)}
    sheet, cell = names["meta_unit"].split("!")
    assert wb[sheet.strip("'")][cell.replace("$", "")].value == B
    # B's code as Bearer: the same
    r = upload(server.bearer(county.codes[B]), county.books[B])
    assert r.status_code == 200 and r.json()["unit"] == B
    # A's workbook uploaded by B: refused (its 说明 names A), nothing of B's replaced
    before = (store(county).unit_dir(B) / UPLOAD).read_bytes()
    r = upload(b, county.books[A], b_csrf)
    assert r.status_code == 400 and A in r.json()["message"] and B in r.json()["message"]
    assert (store(county).unit_dir(B) / UPLOAD).read_bytes() == before


def test_county_endpoints_refuse_a_unit(server, county):
    for client in (server.login(county.codes[A])[0], server.bearer(county.codes[A])):
        for url in COUNTY_GETS:
            r = client.get(url)
            assert r.status_code == 403 and "县里" in r.json()["message"], url
    c, csrf = server.login(county.codes[A])
    for url in COUNTY_POSTS:
        assert post(c, url, csrf).status_code == 403
    # and the county is no unit: it has no draft of its own
    assert server.bearer(county.token).get("/api/files/filled").status_code == 403


def test_csrf_is_required_with_the_cookie(server, county):
    c, csrf = server.login(county.codes[C])
    state = store(county).unit_dir(C) / STATE_FILE
    before = state.read_bytes() if state.exists() else None
    for url in ("/api/freeze", "/api/submit", "/api/logout"):
        for token in (None, "", csrf[:-2] + "xx"):
            r = c.post(url, headers={"X-CSRF-Token": token} if token is not None else {})
            assert r.status_code == 403 and "刷新" in r.json()["message"], (url, token)
    r = upload(c, county.books[C])
    assert r.status_code == 403
    assert (state.read_bytes() if state.exists() else None) == before  # refused before anything was stored
    other, other_csrf = server.login(county.codes[A])
    assert upload(c, county.books[C], other_csrf).status_code == 403  # a token of another session
    county_client, county_csrf = server.login(county.token)
    assert post(county_client, "/api/county/batch").status_code == 403
    assert post(county_client, "/api/county/batch", county_csrf).status_code == 200


def _evil(county, name: str) -> bytes:
    """A workbook with an external entity in one part."""
    src = county.books[C]
    buf = io.BytesIO()
    with zipfile.ZipFile(src) as z, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out:
        for info in z.infolist():
            data = z.read(info)
            if info.filename == name:
                body = data.split(b"?>", 1)[1] if data.startswith(b"<?xml") else data
                data = b'<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>' + body
            out.writestr(info.filename, data)
    return buf.getvalue()


def _bomb() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", b"<Types/>")
        z.writestr("xl/worksheets/sheet1.xml", b"\0" * (600 * 1024 * 1024))
    return buf.getvalue()


@pytest.mark.parametrize("kind", ["xxe", "bomb", "not-a-zip", "html"])
def test_a_hostile_upload_is_refused_with_nothing_stored(server, county, kind):
    body = {
        "xxe": lambda: _evil(county, "xl/workbook.xml"),
        "bomb": _bomb,
        "not-a-zip": lambda: b"MZ\x90\x00" + b"\x00" * 5000,
        "html": lambda: b"<html><script>alert(1)</script></html>",
    }[kind]()
    c, csrf = server.login(county.codes[C])
    unit_dir = store(county).unit_dir(C)
    before = sorted(p.name for p in unit_dir.iterdir()) if unit_dir.exists() else None
    r = upload(c, body, csrf)
    assert r.status_code == 400 and r.json()["message"], r.text
    assert "Traceback" not in r.text and str(county.data) not in r.text
    after = sorted(p.name for p in unit_dir.iterdir()) if unit_dir.exists() else None
    assert after == before
    assert not [p for p in (county.data / str(YEAR)).iterdir() if p.name.startswith(".upload-")]


def test_an_upload_over_the_size_limit_is_refused(county, tmp_path):
    with Serve(county, ["--max-mb", "1"]) as s:
        c, csrf = s.login(county.codes[C])
        r = upload(c, b"PK" + b"\0" * (2 * 1024 * 1024), csrf)
        assert r.status_code == 413 and "过大" in r.json()["message"]


def test_findings_errors_first_and_freeze_refused(server, county, tmp_path):
    bad = contradicting_book(county.books[C], tmp_path / "bad.xlsx")
    c, csrf = server.login(county.codes[C])
    r = upload(c, bad, csrf)
    assert r.status_code == 200, r.text
    found = r.json()["findings"]
    assert found and found[0]["severity"] == "error" and r.json()["errors"] >= 1
    sev = [f["severity"] for f in found]
    assert sev == sorted(sev, key=lambda s: s != "error")
    assert all(set(f) >= {"code", "severity", "message", "sheet", "cell", "name"} for f in found)
    assert all(f["rule"] for f in found)  # the catalogue's rule: what to put right
    r = post(c, "/api/freeze", csrf)
    assert r.status_code == 409 and "错误" in r.json()["message"] and r.json()["findings"]
    assert post(c, "/api/submit", csrf).status_code == 409
    assert c.get("/api/files/frozen").status_code == 404


def test_a_workbook_of_another_year_is_refused(server, county, tmp_path):
    old = write_unit(tmp_path / "old.xlsx", synthetic_unit(C, level("教育局"), YEAR - 1, seed=5), YEAR - 1)
    c, csrf = server.login(county.codes[C])
    r = upload(c, old, csrf)
    assert r.status_code == 400 and str(YEAR - 1) in r.json()["message"] and str(YEAR) in r.json()["message"]


def test_concurrent_uploads_of_one_unit_keep_one_consistent_latest_file(server, county, tmp_path):
    books = [county.books[B]]
    for i in range(3):
        books.append(write_unit(tmp_path / f"b{i}.xlsx", synthetic_unit(B, level("东风镇"), YEAR, seed=10 + i), YEAR))
    results: list = []

    def one(path):
        results.append(upload(server.bearer(county.codes[B]), path))

    threads = [threading.Thread(target=one, args=(books[i % len(books)],)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r.status_code == 200 for r in results), [r.text for r in results]
    folder = store(county).unit_dir(B)
    state = json.loads((folder / STATE_FILE).read_text("utf-8"))
    upload_bytes = (folder / UPLOAD).read_bytes()
    assert state["upload_sha256"] == hashlib.sha256(upload_bytes).hexdigest()
    assert upload_bytes in [p.read_bytes() for p in books]
    # the filled workbook is the one of that upload: its summary is the state's
    latest = [r.json() for r in results if r.json()["summary"] == state["summary"]]
    assert latest
    assert not [p for p in folder.parent.parent.iterdir() if p.name.startswith((".upload-", ".freeze-"))]


def test_the_county_sees_every_unit_and_gets_the_summary(server, county):
    a, a_csrf = server.login(county.codes[A])
    if a.get("/api/state").json()["status"] != "已提交":
        assert upload(a, county.books[A], a_csrf).status_code == 200
        assert post(a, "/api/freeze", a_csrf).status_code == 200
        assert post(a, "/api/submit", a_csrf).status_code == 200
    k = server.bearer(county.token)
    rows = k.get("/api/county/units").json()
    assert [r["unit"] for r in rows] == list(UNITS)
    assert all(set(r) == {"unit", "status", "errors", "warnings", "updated_at", "fingerprint"} for r in rows)
    assert rows[0]["status"] == "已提交" and rows[0]["fingerprint"]
    r = k.get("/api/county/summary.xlsx")
    assert r.status_code == 200
    wb = load_workbook(io.BytesIO(r.content))
    assert "图表" in wb.sheetnames and wb["图表"]._charts
    units_col = [row[1] for row in wb["汇总"].iter_rows(min_row=4, values_only=True)]
    assert A in units_col
    z = zipfile.ZipFile(io.BytesIO(k.get("/api/county/frozen.zip").content))
    assert f"{A}.xlsx" in z.namelist()
    assert k.get(f"/api/county/inbox.xlsx?unit={A}").content == z.read(f"{A}.xlsx")
    a_docx = server.bearer(county.codes[A]).get("/api/files/report.docx").content
    assert k.get(f"/api/county/files/report.docx?unit={A}").content == a_docx
    assert k.get(f"/api/county/files/..%2Fx?unit={A}").status_code == 404
    assert k.get("/api/county/files/filled?unit=某某县不存在局").status_code == 404
    assert k.get("/api/county/unit?unit=某某县不存在局").status_code == 404
    dash = k.get("/api/county/dashboard").json()
    assert dash["counts"]["已提交"] >= 1 and dash["tables_html"] and "<table" in dash["tables_html"]
    mine = next(u for u in dash["units"] if u["unit"] == A)
    assert mine["figures"]["新收"] > 0
    summary_html = k.get("/api/county/summary.html").text
    assert "XlDashboard" in summary_html and "Chart.js v4" in summary_html
    # sending upward: no [smtp] configured, so the outbox (as `send --dry-run`); the unit is 已上报
    r = server.login(county.token)
    r = post(r[0], "/api/county/send", r[1])
    assert r.status_code == 200 and A in r.json()["units"], r.text
    assert list((county.data / str(YEAR) / "发件箱").glob("*.eml"))
    assert k.get("/api/county/units").json()[0]["status"] == "已上报"


def test_the_action_log_holds_no_secret(server, county):
    c = server.bearer(county.codes[A])
    assert upload(c, county.books[A]).status_code == 200
    assert post(c, "/api/freeze").status_code == 200 and post(c, "/api/submit").status_code == 200
    server.login(county.codes[A])
    lines = (county.data / "操作记录.jsonl").read_text("utf-8").splitlines()
    entries = [json.loads(line) for line in lines]
    assert {"登录", "上传", "定稿", "提交县里"} <= {e["action"] for e in entries}
    text = "\n".join(lines)
    for secret in [county.token, *county.codes.values()]:
        assert secret not in text and secret.replace("-", "") not in text


def test_wrong_codes_are_throttled(county):
    with Serve(county) as s:
        statuses = [
            s.client().post("/api/login", json={"code": f"AAAA-BBBB-CCCC-{i:04d}"}).status_code for i in range(8)
        ]
        assert statuses[:5] == [401] * 5 and 429 in statuses[5:]
        r = s.client().post("/api/login", json={"code": county.codes[A]})  # even the right code waits
        assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1 and "秒后" in r.json()["message"]
        assert s.bearer("wrong").get("/api/state").status_code == 429  # Bearer shares the count


def test_a_rotated_code_ends_its_sessions(county, tmp_path):
    from typer.testing import CliRunner

    from xl_report.cli import app

    with Serve(county) as s:
        c, _ = s.login(county.codes[C])
        assert c.get("/api/state").status_code == 200
        out = tmp_path / "new.csv"
        res = CliRunner().invoke(
            app, ["codes", "--units", str(county.units_file), "--data", str(county.data), "--rotate", C, "-o", str(out)]
        )
        assert res.exit_code == 0, res.output
        new = out.read_text("utf-8-sig").splitlines()[1].split(",")[1]
        assert c.get("/api/state").status_code == 401
        assert s.client().post("/api/login", json={"code": county.codes[C]}).status_code == 401
        assert s.client().post("/api/login", json={"code": new}).status_code == 200
        county.codes[C] = new


def test_security_headers(server):
    r = server.client().get("/")
    assert "default-src 'self'" in r.headers["content-security-policy"] and r.headers["x-frame-options"] == "DENY"
    assert "登录" in r.text
    assert server.client().get("/static/chart.umd.min.js").status_code == 200
    assert server.client().get("/static/..%2Fapi.py").status_code == 404
    assert server.client().get("/api/state").status_code == 401


def test_over_tls_the_cookie_is_secure(county, tmp_path):
    certfile, keyfile = make_cert(tmp_path)
    with Serve(county, ["--certfile", str(certfile), "--keyfile", str(keyfile)], scheme="https") as s:
        r = s.client().post("/api/login", json={"code": county.codes[A]})
        assert r.status_code == 200 and "secure" in r.headers["set-cookie"].lower()


def _children(pid: int) -> list[int]:
    out = []
    for p in os.listdir("/proc"):
        try:
            if p.isdigit() and open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split()[1] == str(pid):
                out.append(int(p))
        except OSError:
            continue
    return out


def _running(pid: int) -> bool:
    try:
        return open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _workers(pid: int) -> list[int]:
    return [k for k in _children(pid) if b"spawn_main" in open(f"/proc/{k}/cmdline", "rb").read()]


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="needs /proc")
def test_the_worker_processes_leave_with_a_killed_server(county):
    s = Serve(county).__enter__()
    try:
        kids = _children(s.proc.pid)
        assert len(_workers(s.proc.pid)) == 2  # --workers 2 (and multiprocessing's resource tracker)
        s.proc.kill()  # killed outright: it cannot tell its workers
        s.proc.wait()
        deadline = time.monotonic() + 10
        while any(_running(k) for k in kids) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not [k for k in kids if _running(k)]
    finally:
        s.__exit__(None, None, None)


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="needs /proc")
def test_a_dead_worker_costs_one_request_not_the_server(county):
    with Serve(county) as s:
        c = s.bearer(county.codes[C])
        os.kill(_workers(s.proc.pid)[0], 9)  # e.g. killed by the kernel for its memory
        time.sleep(1)
        r = upload(c, county.books[C])
        if r.status_code != 200:  # the pool noticed the death first: this request pays for it
            assert r.status_code == 500 and "编号" in r.json()["message"] and "Traceback" not in r.text
        r = upload(c, county.books[C])
        assert r.status_code == 200, r.text


def test_the_clerks_frozen_download_never_carries_the_county_password(county, monkeypatch):
    """The county protects frozen files with its password: the file a clerk downloads is protected with a
    one-time password instead (its protection hash would otherwise hand every clerk the county's)."""
    from openpyxl.utils.protection import hash_password

    shared = "县里的定稿保护口令-2024"
    monkeypatch.setenv("XL_REPORT_FREEZE_PASSWORD", shared)
    with Serve(county) as s:
        c, csrf = s.login(county.codes[D])
        assert upload(c, county.books[D], csrf).status_code == 200
        assert post(c, "/api/freeze", csrf).status_code == 200
        frozen = c.get("/api/files/frozen").content
    wb = load_workbook(io.BytesIO(frozen))
    hashes = {ws.protection.password for ws in wb.worksheets} | {wb.security.workbookPassword}
    assert all(wb[name].protection.sheet for name in ("表二", "表三", "表四"))
    assert None not in hashes and "" not in hashes  # still protected (a courtesy) ...
    assert hash_password(shared) not in hashes  # ... but not with the county's password
