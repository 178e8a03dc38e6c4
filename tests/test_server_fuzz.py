"""Fuzz the button server's payload schema over real HTTP: whatever the body, the answer is a refusal
(400 / 404 / 413 with a Chinese text) or the button's own answer, never a 500 and never the
internal-error alert ("服务器处理出错")."""

from __future__ import annotations

import json

import pytest
import xlwings as xw
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .xlwings_payload import LiveServer

INTERNAL = "服务器处理出错"

anything = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)
cell = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=15)
    | st.sampled_from(["", "=1+1", "'", "2024-03-05T00:00:00.000Z", "\x00", "\ud800", "\ufffe", "单位名称", "表三"])
    | anything
)
sheet_name = st.sampled_from(["说明", "表三", "依申请公开台账", "Sheet1", "a/b", "", "x" * 40]) | st.text(max_size=8)
sheet = st.fixed_dictionaries(
    {"name": sheet_name | anything, "values": st.lists(st.lists(cell, max_size=4), max_size=4) | anything},
    optional={"pictures": anything, "tables": anything},
)
name = st.fixed_dictionaries(
    {
        "name": st.sampled_from(["meta_unit", "t3_new_person", "text_other", ""]) | anything,
        "sheet_index": st.integers(-2, 4) | anything,
        "address": st.sampled_from(["A1", "B14", "B3:B22", "$D$5", "ZZZZ1", "A0", "A1:"]) | anything,
        "book_scope": st.booleans() | anything,
    },
    optional={"scope_sheet_name": st.none() | sheet_name | anything, "scope_sheet_index": st.none() | anything},
)
book = st.fixed_dictionaries(
    {"name": st.sampled_from(["年报.xlsx", "a.xlsm", ""]) | anything},
    optional={
        "active_sheet_index": st.integers(-1, 4) | anything,
        "selection": st.none() | st.text(max_size=8) | anything,
    },
)
payload = st.fixed_dictionaries(
    {
        "client": st.just("VBA") | anything,
        "version": st.just(xw.__version__) | st.just(xw.__version__) | anything,
        "book": book | anything,
        "sheets": st.lists(sheet, min_size=1, max_size=3) | anything,
        "names": st.lists(name, max_size=3) | anything,
    },
    optional={"extra": anything},
)


@pytest.fixture(scope="module")
def server():
    with LiveServer() as s:
        yield s


@pytest.mark.slow  # 1,000 requests over real HTTP, many of them running a button: ~1-2 minutes
@settings(
    max_examples=1000,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(body=payload | anything, button=st.sampled_from(["fill", "check", "freeze", "send"]))
def test_no_payload_reaches_the_internal_error_path(server, body, button):
    content = json.dumps(body, allow_nan=True).encode()  # NaN / Infinity and lone surrogates (as \\ud800) too
    r = server.press(button, None, content=content, headers={"Content-Type": "application/json"})
    assert r.status_code in (200, 400, 413), (r.status_code, r.text[:300])
    if r.status_code == 200:
        assert INTERNAL not in r.text, r.text[:500]
    else:
        assert r.headers["content-type"].startswith("text/plain") and any("\u4e00" <= ch <= "\u9fff" for ch in r.text)
