"""The web page in a real browser: Debian's headless Chromium driven by Selenium (system chromedriver,
no browser download), against ``xl-report serve`` in its own process.

The clerk's flow (login → upload → findings → download → 定稿 → download → 提交县里) and the
county's (dashboard with the submission and its charts → batch → download), with screenshots at
1366×768 and on a phone checked for a horizontal scroll bar. ``XL_REPORT_SCREENSHOTS=docs`` writes
the screenshots shown in README/docs.
"""

from __future__ import annotations

import base64
import os
import shutil
import time
from pathlib import Path

import pytest

from .web_helpers import UNITS, Serve, contradicting_book, make_county, submit_last_year

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)),
        reason="chromium and chromium-driver (Debian packages) not installed",
    ),
]

DESKTOP, PHONE = (1366, 768), (390, 844)


@pytest.fixture(scope="module")
def county(tmp_path_factory):
    c = make_county(tmp_path_factory.mktemp("browser") / "县")
    for unit in UNITS[::2]:  # some units submitted last year too: the dashboard compares
        submit_last_year(c, unit)
    return c


@pytest.fixture(scope="module")
def server(county):
    with Serve(county) as s:
        yield s


@pytest.fixture()
def browser(tmp_path):
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    downloads = tmp_path / "下载"
    downloads.mkdir()
    opts = Options()
    opts.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--lang=zh-CN",
        f"--window-size={DESKTOP[0]},{DESKTOP[1]}",
    ):
        opts.add_argument(arg)
    opts.add_experimental_option(
        "prefs", {"download.default_directory": str(downloads), "download.prompt_for_download": False}
    )
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    driver.downloads = downloads
    driver.set_window_size(*DESKTOP)
    try:
        yield driver
    finally:
        driver.quit()


def wait_for(predicate, timeout: float = 30.0, what=""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what() if callable(what) else what or predicate}")


def by_id(driver, id_: str):
    from selenium.webdriver.common.by import By

    return driver.find_element(By.ID, id_)


def visible(driver, id_: str) -> bool:
    return by_id(driver, id_).is_displayed()


def downloaded(driver, suffix: str, before: set[str]) -> Path:
    def done():
        new = [p for p in driver.downloads.iterdir() if p.name not in before and p.name.endswith(suffix)]
        return new[0] if new else None

    return wait_for(done, what=f"a download ending {suffix}")


def no_horizontal_scroll(driver) -> None:
    """After a resize, Chart.js redraws its canvases on the next animation frames: give layout 3 s."""
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        width = driver.execute_script(
            "return [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        if width[0] <= width[1]:
            return
        time.sleep(0.2)
    wide = driver.execute_script(
        "var w = document.documentElement.clientWidth, out = [];"
        "document.querySelectorAll('body *').forEach(function (e) { var r = e.getBoundingClientRect();"
        " if (r.width && r.right > w + 1) { out.push(e.tagName + '#' + e.id + '.' + e.className); } });"
        "return out.slice(0, 5);"
    )
    assert width[0] <= width[1], f"page is {width[0]} px wide in a {width[1]} px window: {wide}"


def screenshot(driver, tmp_path: Path, name: str) -> Path:
    """Full page at the window's width; also into XL_REPORT_SCREENSHOTS (docs/) when asked."""
    height = driver.execute_script("return document.documentElement.scrollHeight")
    w, h = driver.get_window_size()["width"], driver.get_window_size()["height"]
    driver.set_window_size(w, max(h, min(height + 140, 4000)))
    path = tmp_path / name
    driver.save_screenshot(str(path))
    driver.set_window_size(w, h)
    assert path.stat().st_size > 10_000
    target = os.environ.get("XL_REPORT_SCREENSHOTS")
    if target:
        shutil.copyfile(path, Path(target) / name)
    return path


def login(driver, code: str) -> None:
    wait_for(lambda: visible(driver, "login"), what="the login form")
    by_id(driver, "code").send_keys(code)
    by_id(driver, "login-button").click()


def test_the_clerk_flow_in_a_browser(server, county, browser, tmp_path):
    unit = UNITS[0]
    browser.get(server.url + "/")
    login(browser, "WRONG-CODE-0000-0000")
    wait_for(lambda: "登录码不正确" in by_id(browser, "login-message").text, what="the refusal")
    by_id(browser, "code").clear()
    login(browser, county.codes[unit])
    wait_for(lambda: visible(browser, "clerk"), what="the clerk's page")
    assert by_id(browser, "who").text == unit
    assert not by_id(browser, "freeze").is_enabled() and not by_id(browser, "submit").is_enabled()
    no_horizontal_scroll(browser)

    before = {p.name for p in browser.downloads.iterdir()}
    by_id(browser, "download-template").click()
    downloaded(browser, ".xlsx", before)

    by_id(browser, "file").send_keys(str(county.books[unit]))
    wait_for(lambda: "已上传并填报" in by_id(browser, "message").text, what="the upload's result")
    assert "新收" in by_id(browser, "summary").text
    assert by_id(browser, "freeze").is_enabled()
    before = {p.name for p in browser.downloads.iterdir()}
    by_id(browser, "dl-filled").click()
    assert "已填报" in downloaded(browser, ".xlsx", before).name
    no_horizontal_scroll(browser)

    by_id(browser, "freeze").click()
    wait_for(lambda: "已定稿" in by_id(browser, "message").text, what="the freeze")
    for link, suffix in (("dl-frozen", ".xlsx"), ("dl-docx", ".docx")):
        before = {p.name for p in browser.downloads.iterdir()}
        by_id(browser, link).click()
        downloaded(browser, suffix, before)
    by_id(browser, "submit").click()
    wait_for(lambda: "已提交县里" in by_id(browser, "message").text, what="the submission")
    assert "已提交" in by_id(browser, "status-line").text
    assert (county.data / "2024" / "收件" / f"{unit}.xlsx").is_file()

    browser.set_window_size(*PHONE)
    no_horizontal_scroll(browser)


def test_findings_are_shown_and_freeze_is_explained(server, county, browser, tmp_path):
    unit = UNITS[1]
    bad = contradicting_book(county.books[unit], tmp_path / "有错误.xlsx")
    browser.get(server.url + "/")
    login(browser, county.codes[unit])
    wait_for(lambda: visible(browser, "clerk"))
    by_id(browser, "file").send_keys(str(bad))
    wait_for(
        lambda: "校验发现错误" in by_id(browser, "message").text,
        what=lambda: f"the findings (page says: {by_id(browser, 'message').text})",
    )
    rows = by_id(browser, "findings").text
    assert "T02" in rows and rows.index("错误") < (rows.index("提示") if "提示" in rows else len(rows))
    assert not by_id(browser, "freeze").is_enabled() and "错误" in by_id(browser, "freeze").get_attribute("title")
    screenshot(browser, tmp_path, "web-clerk.png")
    no_horizontal_scroll(browser)
    browser.set_window_size(*PHONE)
    no_horizontal_scroll(browser)
    # printed: the findings stay, the buttons go
    browser.set_window_size(*DESKTOP)
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    style = "return getComputedStyle(document.getElementById(arguments[0])).display"
    assert browser.execute_script(style, "upload") == "none" and browser.execute_script(style, "logout") == "none"
    assert browser.execute_script(style, "findings") != "none"
    no_horizontal_scroll(browser)
    pdf = base64.b64decode(browser.print_page())
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page") + pdf.count(b"/Type/Page") >= 1
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})


def test_the_county_flow_in_a_browser(server, county, browser, tmp_path):
    import httpx

    unit = UNITS[2]  # one more unit submits through the API, so the dashboard has two
    c = httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {county.codes[unit]}"}, timeout=60)
    assert c.post("/api/upload", files={"file": ("a.xlsx", county.books[unit].read_bytes())}).status_code == 200
    assert c.post("/api/freeze").status_code == 200 and c.post("/api/submit").status_code == 200

    browser.get(server.url + "/county")
    login(browser, county.token)
    wait_for(lambda: visible(browser, "county"), what="the dashboard")
    rows = "return document.querySelectorAll('#unit-table tbody tr').length"
    wait_for(lambda: browser.execute_script(rows) == len(UNITS), what="the unit table")
    assert unit in by_id(browser, "unit-table").text and "已提交" in by_id(browser, "status-counts").text
    for chart in ("chart-received", "chart-results", "chart-years", "chart-mix"):
        drawn = browser.execute_script(f"return !!Chart.getChart(document.getElementById('{chart}'))")
        assert drawn, chart
    # this year vs last year: the units that submitted last year (in last year's inbox) have a second bar
    last = browser.execute_script("return Chart.getChart(document.getElementById('chart-years')).data.datasets[1].data")
    assert any(v for v in last), last
    # filter and sort
    by_id(browser, "status-filter").send_keys("未提交")
    wait_for(lambda: browser.execute_script(rows) < len(UNITS))
    by_id(browser, "status-filter").send_keys("全部状态")

    by_id(browser, "run-batch").click()
    wait_for(lambda: "批量处理完成" in by_id(browser, "message").text, timeout=120, what="the batch")
    wait_for(
        lambda: "表三" in by_id(browser, "rollup").text or "申请" in by_id(browser, "rollup").text,
        what="the 全县合计 tables",
    )
    before = {p.name for p in browser.downloads.iterdir()}
    by_id(browser, "dl-summary").click()
    assert (
        "汇总"
        in downloaded(
            browser,
            ".xlsx",
            before,
        ).name
    )
    before = {p.name for p in browser.downloads.iterdir()}
    by_id(browser, "dl-zip").click()
    downloaded(browser, ".zip", before)

    browser.find_element("css selector", "#unit-table a.unit-link").click()
    wait_for(lambda: visible(browser, "unit-panel"), what="a unit's details")
    by_id(browser, "panel-close").click()
    screenshot(browser, tmp_path, "web-dashboard.png")
    no_horizontal_scroll(browser)
    browser.set_window_size(*PHONE)
    no_horizontal_scroll(browser)


def test_the_offline_summary_file_draws_without_a_network(server, county, browser, tmp_path):
    """汇总.html as batch writes it: opened from disk, its charts draw (everything is inline)."""
    summary = county.data / "2024" / "输出" / "汇总.html"
    if not summary.is_file():
        import httpx

        httpx.get(
            server.url + "/api/county/summary.html", headers={"Authorization": f"Bearer {county.token}"}, timeout=120
        )
    browser.get(summary.as_uri())
    wait_for(
        lambda: browser.execute_script(
            "return !!window.Chart && !!Chart.getChart(document.getElementById('chart-mix'))"
        ),
        what="the charts of 汇总.html",
    )
    no_horizontal_scroll(browser)
