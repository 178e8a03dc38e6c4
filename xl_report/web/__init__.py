"""The web page for clerks and the county (``xl-report serve --data DIR --units 单位名单.toml``).

A FastAPI router mounted on the button server: the clerk's four steps (upload → 填报+校验, 定稿,
downloads, 提交县里) and the county's dashboard, batch, downloads and sending upward, over a small
JSON API that scripts can use too (docs/web.md). The heavy steps run in worker processes.
"""
from xl_report.web.api import WebConfig, mount

__all__ = ["WebConfig", "mount"]
