"""Cross-site request forgery: every form posts back the token of the browser's CSRF cookie.

Double submit: a page gives the browser a random token in a cookie and puts the same token in
each of its forms; a form post whose token differs from its cookie's is refused
(`web.common.csrf_protected`). Another site can make a browser post, but it cannot read the
cookie to copy the token. The sign-in cookie's SameSite=Lax stops most such posts already;
this stops the rest (older browsers, a sibling subdomain, a GET-to-POST redirect).
"""

import secrets

from fastapi import Request
from fastapi.responses import Response

CSRF_COOKIE = "onego_csrf"
CSRF_FIELD = "csrf_token"


def token_of(request: Request) -> str:
    """The browser's token, or a new one for a browser that has none yet."""
    token = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "csrf_token", None)
    if not token:
        token = request.state.csrf_token = secrets.token_urlsafe(32)
    return token


def remember(request: Request, response: Response) -> None:
    """Set the cookie of a token `token_of` made for this request (it makes one only for a
    browser without the cookie)."""
    token = getattr(request.state, "csrf_token", None)
    if token:
        response.set_cookie(
            CSRF_COOKIE,
            token,
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
        )


async def posted_token_matches(request: Request) -> bool:
    """Whether a form post carries its cookie's token (Starlette keeps the parsed form, so
    the page's handler reads it again for free)."""
    cookie = request.cookies.get(CSRF_COOKIE) or ""  # none and empty: no token
    sent = (await request.form()).get(CSRF_FIELD)
    return bool(cookie) and isinstance(sent, str) and secrets.compare_digest(sent, cookie)
