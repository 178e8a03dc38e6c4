"""render -> import returns the same 200 values (and unit, year, contact, narrative) for random reports."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xl_report.core import form
from xl_report.document import render
from xl_report.published.importer import import_report

from .data.reports import random_report

count = st.integers(min_value=0, max_value=99999)
amount = st.one_of(st.integers(min_value=0, max_value=9999),
                   st.decimals(min_value=0, max_value=9999, places=2).map(float))


@st.composite
def reports(draw):
    r = random_report(draw(st.integers(0, 10_000)))
    for c in form.CELLS:
        if not c.computed:
            r.values[c.name] = draw(amount if c.kind == "amount" else count)
    return r.with_totals()


@pytest.mark.slow
@pytest.mark.parametrize("suffix", [".html", ".docx", ".md"])
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(report=reports())
def test_render_then_import_same_values(tmp_path, suffix, report):
    path = tmp_path / f"年报{suffix}"
    render(report, path)
    res = import_report(path)
    assert res.problems == []
    got = res.report
    assert {n: got.values.get(n) for n in form.CELL_NAMES} == {n: report.values[n] for n in form.CELL_NAMES}
    assert (got.unit, got.year, got.contact) == (report.unit, report.year, report.contact)
    assert got.narrative["problems"] == report.narrative["problems"]
    assert got.narrative["other"] == report.narrative["other"]


def test_blank_and_text_cells_survive_the_round_trip(tmp_path):
    report = random_report(3)
    report.values["t3_new_person"] = None
    report.values["t2_penalty_decisions"] = "22（其中修订16件）"
    for suffix in (".html", ".docx", ".md"):
        path = tmp_path / f"r{suffix}"
        render(report, path)
        res = import_report(path)
        assert res.report.values["t3_new_person"] is None, suffix
        assert res.report.values["t2_penalty_decisions"] == "22（其中修订16件）", suffix
        assert {p.code for p in res.problems} == {"F05", "F06"}, suffix
