"""The API's interactive docs (/docs: Swagger UI, /redoc: ReDoc) served by onego itself.

FastAPI's own pages fetch their scripts from a CDN and start them with an inline script, so
they stay blank on a network without the internet and need an exception to the content
policy. These pages load the assets shipped by the fastapi-offline package (mounted under
/api-docs-assets) and start them from /static/api-docs/*.js, files of our own: the docs keep
the strict policy for scripts (middleware/headers.py).
"""

from importlib.resources import files

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from markupsafe import escape

ASSETS = "/api-docs-assets"

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
{head}</head>
<body><div id="api-docs" data-openapi="{openapi}"></div>
{scripts}</body></html>"""


def _page(title: str, openapi: str, head: str, scripts: list[str]) -> HTMLResponse:
    tags = "\n".join(f'<script src="{src}"></script>' for src in scripts)
    return HTMLResponse(
        PAGE.format(title=escape(title), openapi=escape(openapi), head=head, scripts=tags)
    )


def install(app: FastAPI) -> None:
    """Serve /docs and /redoc from local assets (create the app with docs_url=None)."""
    assets = files("fastapi_offline") / "static"
    app.mount(ASSETS, StaticFiles(directory=str(assets)), name="api-docs-assets")
    openapi = app.openapi_url or "/openapi.json"

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return _page(
            f"{app.title} - Swagger UI",
            f"{root}{openapi}",
            f'<link rel="stylesheet" href="{root}{ASSETS}/swagger-ui.css">',
            [f"{root}{ASSETS}/swagger-ui-bundle.js", f"{root}/static/api-docs/swagger-init.js"],
        )

    @app.get("/redoc", include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return _page(
            f"{app.title} - ReDoc",
            f"{root}{openapi}",
            "",
            [f"{root}{ASSETS}/redoc.standalone.js", f"{root}/static/api-docs/redoc-init.js"],
        )
