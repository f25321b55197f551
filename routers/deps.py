"""Dependencies shared by the routers, as Annotated aliases.

A dependency that does no I/O is `async def`: FastAPI runs a plain `def` one in a worker
thread, and each such hop waits for a thread and then for the event loop again (under load,
milliseconds per request). One that reads the database stays a plain `def`."""

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated

import anyio
from fastapi import Depends, Path, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.security import OAuth2PasswordBearer
from sqlmodel import Session
from temporalio.client import Client

from catalog.loader import Catalog
from domain.text import Text
from forms.prefill import Identity
from middleware.backpressure import gate_of
from registries.base import RegistryAdapter
from routers.responses import api_error
from runtime.settings import Settings
from security.sign_in import verified, web_token
from store.models import Role, User

oauth2 = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token")
# The web pages keep the same bearer token in this HttpOnly cookie.
TOKEN_COOKIE = "onego_token"


async def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings


async def get_session(request: Request) -> AsyncIterator[Session]:
    """The request's session, once the database gate admits the request (waited for in the
    event loop; 503 with Retry-After past `db_wait_s`: core/backpressure.py). Its connection
    goes back to the pool in a worker thread (closing may roll back)."""
    async with gate_of(request).slot(reading=request.method in ("GET", "HEAD")):
        session = Session(request.app.state.engine)
        try:
            yield session
        finally:
            with anyio.CancelScope(shield=True):  # a client gone: the connection still returns
                await run_in_threadpool(session.close)


async def get_temporal(request: Request) -> Client:
    return request.app.state.temporal


async def get_catalog_dep(request: Request) -> Catalog:
    return request.app.state.catalog


async def get_registries(request: Request) -> RegistryAdapter:
    return request.app.state.registries


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
SessionDep = Annotated[Session, Depends(get_session)]
TemporalDep = Annotated[Client, Depends(get_temporal)]
CatalogDep = Annotated[Catalog, Depends(get_catalog_dep)]
# A case named in a path: its number, readable aloud, or its id.
CaseRef = Annotated[
    str,
    Path(
        max_length=64,
        description="The case's number (CQ-20261201-000042) or its id (a UUID)",
        examples=["CQ-20261201-000042"],
    ),
]
RegistriesDep = Annotated[RegistryAdapter, Depends(get_registries)]


def user_of_token(session: Session, settings: Settings, token: str | None) -> User | None:
    """The user a token (bearer header or cookie) was issued to; None if invalid, expired,
    or ended (sign-out, password or role change, disabled user: core/sign_in.py)."""
    found = verified(session, settings, token)
    return found[0] if found else None


def get_current_user(
    session: SessionDep, settings: SettingsDep, token: Annotated[str, Depends(oauth2)]
) -> User:
    user = user_of_token(session, settings, token)
    if user is None:
        raise api_error(
            status.HTTP_401_UNAUTHORIZED,
            Text(zh="登录已失效，请重新登录", en="the token is invalid or expired: log in again"),
            headers={"WWW-Authenticate": "Bearer"},
        )
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


def get_cookie_user(request: Request, session: SessionDep, settings: SettingsDep) -> User | None:
    """The browser's user: the same token as the bearer one, read from the HttpOnly cookie;
    None when signed out, expired or idle too long (pages then send the browser to the login
    page). A valid cookie is re-issued with the response (`web.auth.renew_session`), so the
    idle timeout counts from the last page."""
    found = verified(session, settings, request.cookies.get(TOKEN_COOKIE))
    if found is None:
        return None
    user, claims = found
    started = claims.get("auth_time") or claims["iat"]
    request.state.session_token = web_token(user, settings, int(started))
    return user


CookieUser = Annotated[User | None, Depends(get_cookie_user)]


def identity_of(user: User) -> Identity:
    """The keys the registries know this user by."""
    return Identity(resident_id=user.resident_id, credit_code=user.credit_code)


def require(*roles: Role) -> Callable[[User], Awaitable[User]]:
    """A dependency that admits only the given roles."""

    async def check(user: CurrentUser) -> User:
        if user.role not in roles:
            allowed = ", ".join(r.value for r in roles)
            raise api_error(
                status.HTTP_403_FORBIDDEN,
                Text(
                    zh=f"该操作仅限以下角色：{allowed}",
                    en=f"only these roles may do this: {allowed}",
                ),
            )
        return user

    return check
