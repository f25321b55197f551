"""Security headers on every response (an ASGI middleware, installed by api.py).

Pages and API answers alike get a Content-Security-Policy without inline script or style,
frame protection, nosniff, no Referer, a Permissions-Policy, and `Cache-Control: no-store`
(pages and answers may show an ID number; only /static is cacheable). HSTS is sent only when
the TLS_TERMINATED setting says TLS ends in front of onego (a proxy serving HTTPS): over
plain HTTP the header would be ignored, and on a host that later loses HTTPS it would lock
browsers out.

The API's interactive docs (/docs, /redoc; web/api_docs.py) load only onego's own scripts;
Swagger UI and ReDoc set inline styles, so their pages alone allow inline style (never inline
script), and ReDoc its blob: worker. They show the API's schema, never personal data.
"""

from collections.abc import Iterable

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
DOCS_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
DOCS_PATHS = ("/docs", "/redoc")  # and /docs/oauth2-redirect
PERMISSIONS = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
HSTS = "max-age=31536000; includeSubDomains"
CACHEABLE = ("/static/", "/api-docs-assets/")


def _is_under(path: str, prefixes: Iterable[str]) -> bool:
    return any(path == p.rstrip("/") or path.startswith(p.rstrip("/") + "/") for p in prefixes)


def headers_for(path: str, hsts: bool) -> list[tuple[str, str]]:
    """The security headers of a response to `path`."""
    headers = [
        (
            "Content-Security-Policy",
            DOCS_CSP if _is_under(path, DOCS_PATHS) else CSP,
        ),
        ("X-Frame-Options", "DENY"),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "no-referrer"),
        ("Permissions-Policy", PERMISSIONS),
        ("Cross-Origin-Opener-Policy", "same-origin"),
    ]
    if not _is_under(path, CACHEABLE):
        headers.append(("Cache-Control", "no-store"))
    if hsts:
        headers.append(("Strict-Transport-Security", HSTS))
    return headers


class SecurityHeaders:
    """Adds `headers_for(path)` to every HTTP response; a header the app set itself stays,
    except Cache-Control, which is always no-store outside /static."""

    def __init__(self, app: ASGIApp, hsts: bool = False):
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = headers_for(scope["path"], self.hsts)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in extra:
                    if name == "Cache-Control":
                        headers[name] = value
                    else:
                        headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)
