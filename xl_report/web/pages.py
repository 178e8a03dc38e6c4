"""The pages and their assets, all inside the package (no CDN, nothing fetched from outside).

``/`` is the clerk's page (login, then the four steps), ``/county`` the county's dashboard; the
shared assets (stylesheet, Chart.js, the dashboard script) live in ``xl_report/document/assets`` because
``batch`` inlines the same files into 汇总.html.
"""

from __future__ import annotations

from importlib import resources

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from xl_report.document import dashboard as shared

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
# name -> (package holding it, folder)
STATIC = {
    "clerk.js": (__package__, "static"),
    "county.js": (__package__, "static"),
    "common.js": (__package__, "static"),
    shared.CSS: ("xl_report.document", shared.ASSETS),
    shared.CHART_JS: ("xl_report.document", shared.ASSETS),
    shared.DASHBOARD_JS: ("xl_report.document", shared.ASSETS),
}

router = APIRouter()


def _read(package: str, *parts: str) -> bytes:
    return resources.files(package).joinpath(*parts).read_bytes()


@router.get("/", response_class=HTMLResponse)
def clerk_page() -> HTMLResponse:
    return HTMLResponse(_read(__package__, "static", "index.html"), headers={"Cache-Control": "no-cache"})


@router.get("/county", response_class=HTMLResponse)
def county_page() -> HTMLResponse:
    return HTMLResponse(_read(__package__, "static", "county.html"), headers={"Cache-Control": "no-cache"})


@router.get("/static/{name}")
def static(name: str) -> Response:
    if name not in STATIC:  # a fixed list: no path from the request reaches the file system
        return Response("没有这个文件。", status_code=404, media_type="text/plain; charset=utf-8")
    package, folder = STATIC[name]
    media = _TYPES[name[name.rindex(".") :]]
    return Response(_read(package, folder, name), media_type=media, headers={"Cache-Control": "no-cache"})
