"""The widget bundle, the console and the demo shop pages."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from aiohttp import web

PAGES = Path(str(resources.files("loket.web") / "pages"))
STATIC = Path(str(resources.files("loket") / "static"))

# The console and demo pages load only our own scripts and talk only to us.
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self' ws: wss:; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'self'"
)


def _file(path: Path, *, content_type: str, csp: bool = False) -> web.FileResponse:
    if not path.is_file():
        raise web.HTTPNotFound(text=f"{path.name} is not built; run `make bundles`.")
    headers = {
        "Content-Type": content_type,
        "Cache-Control": "no-cache",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "strict-origin-when-cross-origin",
    }
    if csp:
        headers["Content-Security-Policy"] = PAGE_CSP
    return web.FileResponse(path, headers=headers)


async def widget_js(request: web.Request) -> web.FileResponse:
    response = _file(STATIC / "widget.js", content_type="text/javascript; charset=utf-8")
    # Any shop page may load the embed.
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


async def console_js(request: web.Request) -> web.FileResponse:
    return _file(STATIC / "console.js", content_type="text/javascript; charset=utf-8")


async def console_page(request: web.Request) -> web.FileResponse:
    return _file(PAGES / "console" / "index.html", content_type="text/html", csp=True)


async def demo_page(request: web.Request) -> web.FileResponse:
    name = request.match_info.get("page") or "index.html"
    if name not in {"index.html", "checkout.html"}:
        raise web.HTTPNotFound()
    return _file(PAGES / "demo" / name, content_type="text/html", csp=True)


# Redirects are relative, so they hold when a proxy serves Loket under a path ("/chat/").
async def root(request: web.Request) -> web.Response:
    raise web.HTTPFound("demo/")


async def console_redirect(request: web.Request) -> web.Response:
    # "/" and "/console" both: "console/" is right from the root, "console/" from
    # "/console" too (a relative reference replaces the last segment).
    raise web.HTTPFound("console/")


def add_routes(app: web.Application, *, demo: bool) -> None:
    """The pages and bundles; the demo shop only with `demo` (else / leads to the console)."""
    app.router.add_get("/", root if demo else console_redirect)
    app.router.add_get("/widget.js", widget_js)
    app.router.add_get("/console", console_redirect)
    app.router.add_get("/console/", console_page)
    app.router.add_get("/console/console.js", console_js)
    if demo:
        app.router.add_get("/demo/", demo_page)
        app.router.add_get("/demo/{page}", demo_page)
