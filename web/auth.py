"""Signing in and out in the browser: the API's token, kept in an HttpOnly cookie."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from core.security import create_token
from routers.deps import TOKEN_COOKIE, CookieUser, SessionDep, SettingsDep
from store.models import Role, User
from store.users import authenticate
from web.common import STAFF, redirect, render

router = APIRouter(include_in_schema=False)


def home_of(user: User) -> str:
    """Where a user starts: department staff in their inbox, managers at the dashboard,
    everyone else at the services."""
    if user.role in (Role.manager, Role.admin):
        return "/dashboard"
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
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
    next: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Check the password and keep the same token as /api/v1/auth/token in a cookie."""
    user = authenticate(session, username, password)
    if user is None:
        context = {"next": _safe_next(next) or "", "failed": True, "username": username}
        return render(request, "login.html", context, status_code=401)
    token = create_token(str(user.id), settings.resolved_secret_key, settings.token_minutes)
    response = redirect(_safe_next(next) or home_of(user))
    response.set_cookie(
        TOKEN_COOKIE,
        token,
        max_age=settings.token_minutes * 60,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/logout")
def logout() -> Response:
    """Forget the token."""
    response = redirect("/")
    response.delete_cookie(TOKEN_COOKIE)
    return response
