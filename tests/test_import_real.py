"""The nine real published reports of ../shared/samples/real against their hand-read answer keys.

Import: every readable cell exact, every unreadable cell blank *and* named by a finding, nothing refused.
Audit: each report's listed problems are flagged (codes below, read from the key's ``problems``), and no
error is raised beyond what the missing part of an excerpt explains. Explained errors are:
F14 (the text stops inside a table: one finding for everything after the cut), F12 when the excerpt
prints no title line (the unit or year is really not in the text), and an importer finding that names
only cells the key lists as unreadable (it says why they are blank). Anything else is a false error.
"""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from xl_report.cli import app
from xl_report.published.audit import audit

from .real_reports import REAL, keys, score

pytestmark = pytest.mark.skipif(not keys(), reason="../shared/samples/real not beside the checkout")

# the answer keys' `problems`, as the codes that flag them
PROBLEMS = {
    "lintong_qinling_2022": {"F02"},  # 2019 headings in 表二 第二十条第（一）项
    "pingtan_2022": {"F01"},  # misprinted heading 四、政府信息公开行政法复议…
    "taojiang_songmutang_2022": {"F11"},  # 规章 for a township
    "xixian_taiping_2022": {"F17"},  # cites 国办公开办函〔2019〕60号
}
EXCERPT = {"F14"}


def ids(paths):
    return [p.name.removesuffix(".expected.json") for p in paths]


@pytest.mark.parametrize("expected", keys(), ids=ids(keys()))
def test_real_report_reads_exactly(expected):
    s, _ = score(expected)
    assert s.error is None
    assert s.wrong == [], s.wrong
    assert s.blank == [], s.blank
    assert s.silent == [], s.silent
    assert len(s.exact) == len(json.loads(expected.read_text(encoding="utf-8"))["cells"])


def _has_title(text: str) -> bool:
    lines = [x for x in text.splitlines()[1:] if x.strip()]  # line 1 is the collection's '# source:' note
    head = lines[: next((i for i, x in enumerate(lines) if x.startswith("一、")), len(lines))]
    return any("报告" in x and len(x) < 60 for x in head) or "标题" in text


@pytest.mark.parametrize("expected", keys(), ids=ids(keys()))
def test_real_report_audit_flags_the_problems_and_no_false_error(expected):
    key = json.loads(expected.read_text(encoding="utf-8"))
    path = REAL / key["file"]
    (r,) = audit([path])
    assert r.error is None
    found = {f.code for f in r.findings}
    want = PROBLEMS.get(key["id"], set())
    assert want <= found, (want - found, [f.message for f in r.findings])
    explained = EXCERPT | (set() if _has_title(path.read_text(encoding="utf-8")) else {"F12"})
    unreadable = set(key["unreadable"])
    false = [
        f"{f.code} {f.message}"
        for f in r.findings
        if f.is_error and f.code not in explained | want and not (f.names and set(f.names) <= unreadable)
    ]
    assert false == []


def test_every_key_has_its_problems_mapped():
    """A new report with listed problems must get its codes here (else the audit test checks nothing)."""
    for path in keys():
        key = json.loads(path.read_text(encoding="utf-8"))
        assert bool(key["problems"]) == (key["id"] in PROBLEMS), key["id"]


def test_audit_json_lists_every_blank_cell_and_why():
    expected = REAL / "haizhu_guanzhou_2023.expected.json"
    key = json.loads(expected.read_text(encoding="utf-8"))
    res = CliRunner().invoke(app, ["audit", str(REAL / key["file"]), "--json"])
    assert res.exit_code == 1, res.output  # F14: the excerpt stops inside 表三
    (obj,) = json.loads(res.stdout)
    blank = {b["name"]: b for b in obj["blank_cells"]}
    assert set(blank) == set(key["unreadable"])
    assert all(b["code"] and b["reason"] and b["label"].startswith(("表三", "表四")) for b in blank.values())
    assert blank["t3_deny_6_total"]["code"] == "F14" and "中断" in blank["t3_deny_6_total"]["reason"]
    text = CliRunner().invoke(app, ["audit", str(REAL / key["file"])])
    assert f"{len(key['unreadable'])} 个单元格空白或未读出" in text.output
