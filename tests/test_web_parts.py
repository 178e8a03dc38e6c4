"""The web app's parts without a server: access codes, sessions, throttling, the dashboard file, the figures."""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from xl_report.cli import app
from xl_report.core import form
from xl_report.core.figures import RESULT_GROUPS, figures
from xl_report.core.throttle import FailureThrottle
from xl_report.document import dashboard
from xl_report.web import auth, codes

from .web_helpers import TOKEN

UNITS = ["某某县城关镇人民政府", "某某县教育局", '=HYPERLINK("http://x")局']


def test_codes_are_random_stored_as_salted_hashes_and_verified(tmp_path):
    issued = dict(codes.issue(tmp_path, UNITS))
    assert set(issued) == set(UNITS) and len(set(issued.values())) == 3
    assert all(re.fullmatch(r"([A-HJ-NP-Z2-9]{4}-){3}[A-HJ-NP-Z2-9]{4}", c) for c in issued.values())
    stored = codes.store_path(tmp_path).read_text("utf-8")
    for code in issued.values():
        assert code not in stored and codes.normalise(code) not in stored and codes.normalise(code)[4:] not in stored
    records = codes.load(tmp_path)
    assert len({r.salt for r in records.values()}) == 3
    for unit, code in issued.items():
        assert codes.verify(records, code) == unit
        assert codes.verify(records, code.lower().replace("-", " ")) == unit
        wrong = code[:-1] + ("A" if code[-1] != "A" else "B")
        assert codes.verify(records, wrong) is None
    assert codes.verify(records, "") is None and codes.verify(records, "x" * 500) is None
    assert codes.issue(tmp_path, UNITS) == []  # all have one: nothing new
    again = dict(codes.issue(tmp_path, UNITS, rotate=[UNITS[1]]))
    assert list(again) == [UNITS[1]] and codes.verify(codes.load(tmp_path), issued[UNITS[1]]) is None
    assert codes.verify(codes.load(tmp_path), again[UNITS[1]]) == UNITS[1]


def test_the_codes_csv_opens_in_excel_without_running_a_formula(tmp_path):
    text = codes.csv_text(codes.issue(tmp_path, UNITS))
    assert text.startswith("\ufeff单位,登录码\r\n")
    assert "'=HYPERLINK" in text and "\n=" not in text


def test_codes_command(tmp_path):
    units = tmp_path / "单位名单.toml"
    units.write_text('units = ["甲镇", "乙局"]\n', encoding="utf-8")
    data, out = tmp_path / "data", tmp_path / "登录码.csv"
    runner = CliRunner()
    res = runner.invoke(app, ["codes", "--units", str(units), "--data", str(data), "-o", str(out)])
    assert res.exit_code == 0 and "2 个单位" in res.output
    rows = out.read_text("utf-8-sig").splitlines()
    assert rows[0] == "单位,登录码" and len(rows) == 3
    res = runner.invoke(app, ["codes", "--units", str(units), "--data", str(data)])
    assert res.exit_code == 0 and "都已有登录码" in res.output
    res = runner.invoke(app, ["codes", "--units", str(units), "--data", str(data), "--rotate", "丙乡"])
    assert res.exit_code == 2 and "丙乡" in res.output and "Traceback" not in res.output
    res = runner.invoke(app, ["codes", "--units", str(units), "--data", str(data), "--rotate", "乙局"])
    assert res.exit_code == 0 and "乙局" in res.output and re.search(r"[A-Z2-9]{4}-[A-Z2-9]{4}", res.output)
    codes.store_path(data).write_text("{broken", encoding="utf-8")
    res = runner.invoke(app, ["codes", "--units", str(units), "--data", str(data)])
    assert res.exit_code == 2 and "损坏" in res.output


def test_serve_refuses_a_unit_list_whose_names_share_a_folder(tmp_path):
    units = tmp_path / "单位名单.toml"
    units.write_text('units = ["甲/乙局", "甲_乙局"]\n', encoding="utf-8")
    res = CliRunner().invoke(
        app, ["serve", "--data", str(tmp_path / "d"), "--units", str(units)], env={"XL_REPORT_TOKEN": TOKEN}
    )
    assert res.exit_code == 2 and "甲/乙局" in res.output and "甲_乙局" in res.output


def test_serve_refuses_half_given_web_options(tmp_path):
    runner = CliRunner()
    env = {"XL_REPORT_TOKEN": TOKEN}
    res = runner.invoke(app, ["serve", "--units", str(tmp_path / "u.toml")], env=env)
    assert res.exit_code == 2 and "--data" in res.output
    res = runner.invoke(app, ["serve", "--data", str(tmp_path / "d")], env=env)
    assert res.exit_code == 2 and "--units" in res.output
    res = runner.invoke(
        app, ["serve", "--data", str(tmp_path), "--units", str(tmp_path / "u.toml"), "--certfile", "c.pem"], env=env
    )
    assert res.exit_code == 2 and "--keyfile" in res.output


def test_a_session_cookie_is_signed_expires_and_ends_with_its_code(tmp_path):
    issued = dict(codes.issue(tmp_path, UNITS[:2]))
    s = auth.Sessions(auth.load_key(tmp_path), "county-token", tmp_path)
    who = s.check_code(issued[UNITS[0]])
    assert who is not None and who.unit == UNITS[0] and who.bearer
    cookie, session = s.cookie_for(who)
    back = s.from_cookie(cookie)
    assert back == session and not back.bearer
    body, sig = cookie.split(".")
    forged = json.loads(auth._unb64(body))
    forged["u"] = UNITS[1]
    assert s.from_cookie(auth._b64(json.dumps(forged).encode()) + "." + sig) is None
    assert s.from_cookie(cookie[:-3] + "abc") is None and s.from_cookie("garbage") is None
    assert s.csrf_ok(back, s.csrf_for(back)) and not s.csrf_ok(back, None) and not s.csrf_ok(back, "x")
    other = s.from_cookie(s.cookie_for(who)[0])
    assert not s.csrf_ok(back, s.csrf_for(other))  # one session's token is no good for another
    codes.issue(tmp_path, UNITS[:2], rotate=[UNITS[0]])
    assert s.from_cookie(cookie) is None  # rotated: the old sessions end
    county, _ = s.cookie_for(s.check_code("county-token"))
    assert s.from_cookie(county).role == auth.COUNTY
    assert auth.Sessions(auth.load_key(tmp_path), "new-token", tmp_path).from_cookie(county) is None


def test_throttle_waits_longer_after_each_failure_and_forgets_on_success():
    now = [0.0]
    t = FailureThrottle(free=3, window=300, base=2, clock=lambda: now[0])
    for _ in range(3):
        assert t.wait("a") == 0
        t.failed("a")
    assert t.wait("a") == 2 and t.wait("b") == 0
    now[0] += 2
    t.failed("a")
    assert t.wait("a") == 4
    now[0] += 301
    assert t.wait("a") == 0  # old failures fall out of the window
    t.failed("a")
    t.succeeded("a")
    assert t.wait("a") == 0


def test_figures_follow_the_form():
    assert list(RESULT_GROUPS) == [g.short for g in form.T3_RESULT_GROUPS]
    assert sum(len(v) for v in RESULT_GROUPS.values()) == len(form.T3_RESULT_ROWS)
    values = {form.t3(r.key, "total"): 1 for r in form.T3_RESULT_ROWS}
    values[form.PLACEHOLDERS["新收"]] = 7
    values[form.PLACEHOLDERS["办结"]] = "text"  # a text cell counts as 0, never an error
    got = figures(values)
    assert got["新收"] == 7 and got["办结"] == 0 and got["不予公开"] == 8 and got["予以公开"] == 1


def test_the_dashboard_file_is_inline_and_a_hostile_unit_name_stays_text(tmp_path):
    evil = "</script><script>alert(1)</script><!--"
    rows = [dashboard.DashboardRow(evil, "成功", 0, 0, None, None, {"新收": 1}, None)]
    data = dashboard.dashboard_data(rows, None, 2024, ("成功",))
    path = dashboard.write_dashboard(tmp_path / "汇总.html", data, "汇总")
    html = path.read_text("utf-8")
    assert html.count("<script") == 4 and evil not in html  # data, Chart.js, dashboard.js, the call
    assert "default-src 'none'" in html and "<link" not in html and "<script src" not in html
    data = re.search(r'<script type="application/json" id="xl-data">(.*?)</script>', html, re.S).group(1)
    assert json.loads(data)["units"][0]["unit"] == evil


def test_chart_js_is_the_version_the_notice_names():
    from importlib import resources

    assets = resources.files("xl_report.document").joinpath("assets")
    head = assets.joinpath("chart.umd.min.js").read_text("utf-8")[:200]
    notice = assets.joinpath("NOTICE.md").read_text("utf-8")
    version = re.search(r"Chart\.js v(\d+\.\d+\.\d+)", head).group(1)
    assert f"Chart.js {version}" in notice and "MIT" in notice and "sourceMappingURL" not in head


@pytest.mark.parametrize("n", [0, 3])
def test_the_summary_chart_sheet(tmp_path, n):
    from openpyxl import Workbook, load_workbook

    from xl_report.xlsx.charts import SHEET_CHARTS, add_chart_sheet

    wb = Workbook()
    rows = [(f"单位{i}", {"新收": i, "办结": i, "予以公开": i}, {"新收": i + 1}) for i in range(n)]
    add_chart_sheet(wb, rows, 2024)
    wb.save(tmp_path / "a.xlsx")
    back = load_workbook(tmp_path / "a.xlsx")
    ws = back[SHEET_CHARTS]
    assert ws["A1"].value == "单位名称"
    if n:
        assert [c.value for c in ws[2]][:3] == ["单位0", 0, 0] and ws.cell(n + 3, 2).value == sum(range(n))
        assert len(back[SHEET_CHARTS]._charts) == 4
    else:
        assert "暂无图表" in ws["A3"].value
