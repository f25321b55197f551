"""The server-rendered web pages (Jinja2, zh-CN with an English switch).

Applicants: the scenario list, the notice (HTML and PDF), the unified form and their cases.
Departments: the inbox and the task pages. Managers: the reform dashboard and SLA traces.
Pages call the same functions as the JSON API (submission, compiled forms, prefill, task
queries, workflow updates); see docs/web.md. Anyone: /verify/{code}, the check of an
electronic certificate (docs/documents.md).
"""

from fastapi import Depends, FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from web import applicant, audit, auth, inbox, manager, notice, verify
from web.common import (
    HERE,
    LoginRequired,
    PageError,
    csrf_protected,
    error_page,
    login_redirect,
)

ROUTERS = (
    auth.router,
    notice.router,
    applicant.router,
    inbox.router,
    manager.router,
    audit.router,
    verify.router,  # /verify/{code}: the public certificate check
)


def install(app: FastAPI) -> None:
    """Add the pages, their static files under /static and their error pages to `app`."""
    for router in ROUTERS:
        app.include_router(router, dependencies=[Depends(csrf_protected)])
    app.add_middleware(auth.SessionRenewal)  # the web session's idle timeout
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, _: LoginRequired) -> Response:
        return login_redirect(request)

    @app.exception_handler(PageError)
    async def page_error(request: Request, exc: PageError) -> Response:
        return error_page(request, exc)
