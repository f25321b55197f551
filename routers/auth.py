"""Tokens: OAuth2 password flow (with a TOTP code for enrolled staff), sign-out, who am I."""

import threading
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request, status
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel

from routers.deps import CurrentUser, SessionDep, SettingsDep
from routers.responses import errors
from routers.schemas import ErrorResponse
from runtime.settings import Settings
from security.sign_in import Attempt, SignIn, SignInRefused, end_tokens, token_for
from security.tokens import HashGate
from store.audit import audit_request, client_of, request_id_of

router = APIRouter(prefix="/auth", tags=["auth"])
_gate_lock = threading.Lock()


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"


class Me(BaseModel):
    username: str
    role: str
    department: str | None
    display_name: str


def hash_gate(request: Request) -> HashGate:
    """This process's cap on concurrent password hashing (made at the first sign-in)."""
    state = request.app.state
    with _gate_lock:
        if getattr(state, "hash_gate", None) is None:
            settings: Settings = state.settings
            state.hash_gate = HashGate(
                settings.password_hash_concurrency, settings.password_hash_wait_s
            )
    return state.hash_gate  # type: ignore[no-any-return]


HashGateDep = Annotated[HashGate, Depends(hash_gate)]


def attempt_of(request: Request, username: str, password: str, totp: str) -> Attempt:
    return Attempt(username, password, totp, client_of(request), request_id_of(request))


def refusal(refused: SignInRefused) -> HTTPException:
    """The project's error body (bilingual message), with Retry-After where it applies."""
    headers = dict(refused.headers)
    if refused.status == status.HTTP_401_UNAUTHORIZED:
        headers["WWW-Authenticate"] = "Bearer"
    body = ErrorResponse(error=refused.error, message=refused.message)
    return HTTPException(refused.status, detail=body.model_dump(mode="json"), headers=headers)


@router.post(
    "/token",
    responses={
        401: {"model": ErrorResponse, "description": "Wrong credentials or TOTP code"},
        403: {"model": ErrorResponse, "description": "The role must enrol TOTP first"},
        429: {"model": ErrorResponse, "description": "Locked after failures; see Retry-After"},
        503: {"model": ErrorResponse, "description": "Hashing busy; see Retry-After"},
    },
)
def login(
    request: Request,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    session: SessionDep,
    settings: SettingsDep,
    gate: HashGateDep,
    totp: Annotated[str, Form(max_length=16, description="TOTP code (enrolled staff)")] = "",
) -> Token:
    """Exchange a username and password (and a TOTP code once enrolled) for a bearer token."""
    attempt = attempt_of(request, form.username, form.password, totp)
    try:
        user = SignIn(session, settings, gate, attempt).run()
    except SignInRefused as refused:
        raise refusal(refused) from None
    return Token(access_token=token_for(user, settings))


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, responses=errors(401))
def logout(request: Request, user: CurrentUser, session: SessionDep) -> None:
    """Sign out: this token and every other token of the user stop working."""
    end_tokens(user)
    session.add(user)
    audit_request(
        session, request, user, "auth.sign_out", object_type="user", object_id=str(user.id)
    )
    session.commit()


@router.get("/me", responses=errors(401))
def me(user: CurrentUser) -> Me:
    """Who the token belongs to."""
    return Me(
        username=user.username,
        role=user.role.value,
        department=user.department,
        display_name=user.display_name,
    )
