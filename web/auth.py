"""Signing in and out in the browser: the API's token, kept in an HttpOnly cookie."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from routers.auth import HashGateDep, attempt_of
from routers.deps import TOKEN_COOKIE, CookieUser, SessionDep, SettingsDep
from runtime.settings import Settings
from security.sign_in import SignIn, SignInRefused, end_tokens, web_token
from store.audit import audit_request
from store.models import Role, User
from web.common import STAFF, redirect, render

router = APIRouter(include_in_schema=False)


def home_of(user: User) -> str:
    """Where a user starts: department staff in their inbox, managers at the dashboard,
    auditors at the audit trail, everyone else at the services."""
    if user.role in (Role.manager, Role.admin):
        return "/dashboard"
    if user.role is Role.auditor:
        return "/audit"
    return "/inbox" if user.role in STAFF else "/"


def _safe_next(target: str | None) -> str | None:
    """Only paths of this site (never another host) are followed after signing in."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


@router.get("/login")
def login_page(request: Request, user: CookieUser, next: str | None = None) -> Response:
    """The sign-in form."""
    return render(request, "login.html", {"next": _safe_next(next) or ""}, user=user)


@router.post("/login")
def login(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    gate: HashGateDep,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
    totp: Annotated[str, Form(max_length=16)] = "",
    next: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Check the password (and the TOTP code of enrolled staff) like /api/v1/auth/token and
    keep a web session token in a cookie; refusals show their bilingual message."""
    try:
        user = SignIn(session, settings, gate, attempt_of(request, username, password, totp)).run()
    except SignInRefused as refused:
        context = {
            "next": _safe_next(next) or "",
            "failed": True,
            "error": refused.message,
            "username": username,
        }
        page = render(request, "login.html", context, status_code=refused.status)
        page.headers.update(refused.headers)
        return page
    response = redirect(_safe_next(next) or home_of(user))
    _set_session_cookie(request, response, settings, web_token(user, settings))
    return response


def _set_session_cookie(
    request: Request, response: Response, settings: Settings, token: str
) -> None:
    response.set_cookie(
        TOKEN_COOKIE,
        token,
        max_age=round(min(settings.session_idle_minutes, settings.token_minutes) * 60),
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )


class SessionRenewal:
    """Middleware: a page that found a valid session cookie re-issues it (a fresh idle
    timeout), unless the page itself set or removed the cookie (sign-in, sign-out).

    Plain ASGI, adding the header as the response starts: Starlette's `BaseHTTPMiddleware`
    ran every request, API calls included, in a task of its own behind memory streams."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def renewing(message: Message) -> None:
            token = scope.get("state", {}).get("session_token")
            if message["type"] == "http.response.start" and token:
                headers = MutableHeaders(scope=message)
                cookies = headers.getlist("set-cookie")
                if not any(c.startswith(f"{TOKEN_COOKIE}=") for c in cookies):
                    request, renewed = Request(scope), Response()
                    _set_session_cookie(request, renewed, request.app.state.settings, token)
                    headers.append("set-cookie", renewed.headers["set-cookie"])
            await send(message)

        await self.app(scope, receive, renewing)


@router.post("/logout")
def logout(request: Request, session: SessionDep, user: CookieUser) -> Response:
    """Sign out: the session's token, and every other token of the user, stop working."""
    if user is not None:
        end_tokens(user)
        session.add(user)
        audit_request(
            session, request, user, "auth.sign_out", object_type="user", object_id=str(user.id)
        )
        session.commit()
    response = redirect("/")
    response.delete_cookie(TOKEN_COOKIE)
    return response
