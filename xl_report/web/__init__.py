"""The web page for clerks and the county (``xl-report serve --data DIR --units 单位名单.toml``).

A FastAPI router (:mod:`.api`, ``mount``) on the button server: the clerk's four steps (upload →
填报+校验, 定稿, downloads, 提交县里) and the county's dashboard, batch, downloads and sending
upward, over a small JSON API that scripts can use too (docs/web.md). :mod:`.codes` (access codes)
and :mod:`.store` (the DATA folder) need no web framework; the heavy steps (:mod:`.work`) run in
worker processes.
"""
