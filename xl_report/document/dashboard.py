"""The county dashboard: the figures of every unit as data, and as one offline HTML file (汇总.html).

The same data feeds the web server's dashboard page (``GET /api/county/dashboard``) and the single
file ``batch`` writes beside 汇总.xlsx; both draw it with ``assets/dashboard.js`` and Chart.js
(``assets/chart.umd.min.js``, MIT, see ``assets/NOTICE.md``), which the file carries inline: it opens
with no network and no server. Unit names come from workbooks (hostile): the data travels as JSON
in a non-executed script element with ``<`` escaped, and the script writes it as text only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from html import escape
from importlib import resources
from pathlib import Path

from xl_report.core import form
from xl_report.core.figures import CONCLUDED, RECEIVED, RESULT_GROUPS, figures
from xl_report.core.report import ReportData
from xl_report.document.model import table_t2, table_t3, table_t4
from xl_report.document.to_html import table_html
from xl_report.xlsx.fileio import write_bytes_atomic

ASSETS = "assets"
CHART_JS = "chart.umd.min.js"
DASHBOARD_JS = "dashboard.js"
CSS = "app.css"
SUMMARY_HTML = "汇总.html"  # beside 汇总.xlsx
# nothing may load; only the inline script and style run
FILE_CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:"


@dataclass(frozen=True)
class DashboardRow:
    unit: str
    status: str
    errors: int
    warnings: int
    updated_at: str | None
    fingerprint: str | None
    figures: dict | None  # this year's (core.figures), None before a report exists
    last: dict | None = None  # last year's


def asset(name: str) -> str:
    return resources.files(__package__).joinpath(ASSETS, name).read_text("utf-8")


def rollup_tables_html(rollup: ReportData | None) -> str | None:
    """表二、表三、表四 of the 全县合计 in the official layout (the renderer's grids)."""
    if rollup is None:
        return None
    parts = []
    for table, build in zip(form.TABLES, (table_t2, table_t3, table_t4), strict=True):
        parts.append(f"<h3>{escape(form.TABLE_TITLES[table])}</h3>")
        parts.append(table_html(build(rollup)))
    return "\n".join(parts)


def dashboard_data(
    rows: list[DashboardRow], rollup: ReportData | None, year: int | None, statuses: tuple[str, ...]
) -> dict:
    counts = dict.fromkeys(statuses, 0)
    for r in rows:
        counts[r.status] = counts.get(r.status, 0) + 1
    return {
        "year": year,
        "statuses": list(statuses),
        "counts": counts,
        "measures": [RECEIVED, CONCLUDED],
        "results": list(RESULT_GROUPS),
        "units": [
            {
                "unit": r.unit,
                "status": r.status,
                "errors": r.errors,
                "warnings": r.warnings,
                "updated_at": r.updated_at,
                "fingerprint": r.fingerprint,
                "figures": r.figures,
                "last": r.last,
            }
            for r in rows
        ],
        "rollup": figures(rollup.values) if rollup is not None else None,
        "tables_html": rollup_tables_html(rollup),
    }


def _json_for_script(data: dict) -> str:
    """JSON that cannot end its <script> element (or open a comment) whatever a unit name holds."""
    text = json.dumps(data, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def dashboard_html(data: dict, title: str) -> str:
    """A single self-contained page: styles, Chart.js, the dashboard script and the data inline."""
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="zh-CN">',
            "<head>",
            '<meta charset="utf-8">',
            f'<meta http-equiv="Content-Security-Policy" content="{FILE_CSP}">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{escape(title)}</title>",
            f"<style>{asset(CSS)}</style>",
            "</head>",
            '<body class="offline">',
            f'<header class="bar"><h1>{escape(title)}</h1></header>',
            '<main id="dashboard"></main>',
            f'<script type="application/json" id="xl-data">{_json_for_script(data)}</script>',
            f"<script>{asset(CHART_JS)}</script>",
            f"<script>{asset(DASHBOARD_JS)}</script>",
            "<script>XlDashboard.render(JSON.parse(document.getElementById('xl-data').textContent),"
            " document.getElementById('dashboard'), {});</script>",
            "</body>",
            "</html>",
            "",
        ]
    )


def write_dashboard(path: Path | str, data: dict, title: str) -> Path:
    path = Path(path)
    write_bytes_atomic(path, dashboard_html(data, title).encode("utf-8"))
    return path


def write_batch_dashboard(batch) -> Path:
    """汇总.html beside 汇总.xlsx for a finished batch (a ``BatchResult``: its units, roll-up and the
    chart figures ``write_summary`` kept in ``batch.charts``); statuses as the batch counts them."""
    charts = getattr(batch, "charts", None) or {}
    rows = [
        DashboardRow(
            u.unit, u.status, u.errors, u.warnings, None, u.fingerprint, *(charts.get(u.source) or (None, None))
        )
        for u in batch.units
    ]
    year = batch.rollup.year if batch.rollup is not None else None
    data = dashboard_data(rows, batch.rollup, year, statuses=tuple(batch.counts()))
    title = f"{year}年度政府信息公开工作年度报告汇总" if year else "政府信息公开工作年度报告汇总"
    batch.html_path = write_dashboard(batch.outdir / SUMMARY_HTML, data, title)
    return batch.html_path
