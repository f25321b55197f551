"""What every page family shares: the Jinja2 environment, rendering in the visitor's
language, the signed-in browser user, and the error pages."""

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import Depends, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from domain.text import Text, from_joined
from routers.deps import CookieUser
from routers.schemas import ErrorResponse
from store.models import Role, User
from web import csrf
from web.i18n import (
    LANG_COOKIE,
    both,
    catalog,
    days,
    gettext,
    lang_of,
    local_time,
    ngettext,
    number,
    pick,
    translate,
)

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
# Jinja2's i18n: `{% trans %}` and `_()` call the page's gettext/ngettext (`in_language`),
# new style (values as keywords, escaped by the function)
templates.env.add_extension("jinja2.ext.i18n")
templates.env.newstyle_gettext = True  # type: ignore[attr-defined]
STAFF = (Role.clerk, Role.supervisor)


class PageError(Exception):
    """A page that cannot be shown: rendered as an error page in the visitor's language."""

    def __init__(self, status_code: int, message: Text):
        self.status_code = status_code
        self.message = message


class LoginRequired(Exception):
    """The page needs a signed-in user: the browser is sent to the login page."""


def not_found() -> PageError:
    return PageError(404, both("error.not_found"))


def refusal(exc: HTTPException) -> Text:
    """The bilingual message of an API refusal, for the page to show in the visitor's
    language: ours carry the error format (routers/responses.api_error), the framework's own
    an English phrase."""
    if isinstance(exc.detail, dict):
        return ErrorResponse.model_validate(exc.detail).message
    return Text(zh=str(exc.detail), en=str(exc.detail))


def in_language(lang: str) -> dict[str, Any]:
    """What every template gets to write in `lang`: its messages, a `Text`'s side, and
    numbers and dates as Babel writes them in that language."""
    return {
        "lang": lang,
        "t": gettext(lang),
        "gettext": gettext(lang),
        "ngettext": ngettext(lang),
        "tx": lambda text: pick(text, lang),
        "local_time": lambda value, with_time=True: local_time(value, with_time, lang),
        "days": lambda value: days(value, lang),
        "number": lambda value: number(value, lang),
        "reason": from_joined,  # a workflow's "中文 / English: detail" reason, as a Text
    }


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    status_code: int = 200,
    user: User | None = None,
) -> HTMLResponse:
    """Render a page in the visitor's language; `?lang=` is remembered in a cookie."""
    lang = lang_of(request)
    flash = f"flash.{request.query_params.get('msg')}"
    page: dict[str, Any] = {
        **in_language(lang),
        "user": user,
        "path": request.url.path,
        "flash": translate(lang, flash) if flash in catalog(lang) else None,
        "lang_url": lambda code: _with_lang(request, code),
        "Role": Role,
        "csrf_field": csrf.CSRF_FIELD,
        "csrf_token": csrf.token_of(request),
    }
    page.update(context or {})
    response = templates.TemplateResponse(request, template, page, status_code=status_code)
    csrf.remember(request, response)
    if request.query_params.get("lang") == lang:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax")
    return response


def _with_lang(request: Request, code: str) -> str:
    """This page in another language (the other query parameters kept, the flash dropped)."""
    query = {k: v for k, v in request.query_params.items() if k not in ("lang", "msg")}
    return f"{request.url.path}?{urlencode({**query, 'lang': code})}"


def render_text(template: str, lang: str, context: dict[str, Any]) -> str:
    """Render a template to a string (the notice PDF), outside of a request."""
    page = {**in_language(lang), **context}
    return templates.get_template(template).render(page)


def redirect(url: str) -> RedirectResponse:
    """After a POST: see the result with a GET (303)."""
    return RedirectResponse(url, status_code=303)


def signed_in(*roles: Role) -> Callable[..., Awaitable[User]]:
    """A page dependency: the signed-in user, with one of `roles` if any are given (no I/O:
    `async def`, routers/deps.py)."""

    async def check(request: Request, user: CookieUser) -> User:
        if user is None:
            raise LoginRequired()
        request.state.user = user  # for the error page's header
        if roles and user.role not in roles:
            raise PageError(403, both("error.forbidden"))
        return user

    return check


async def csrf_protected(request: Request) -> None:
    """A dependency of every page: a form post must carry its page's CSRF token."""
    if request.method == "POST" and not await csrf.posted_token_matches(request):
        raise PageError(403, both("error.csrf"))


Applicant = Annotated[User, Depends(signed_in(Role.applicant))]
Staff = Annotated[User, Depends(signed_in(*STAFF))]
AnyUser = Annotated[User, Depends(signed_in())]


def login_redirect(request: Request) -> Response:
    """To the login page, and back to this page afterwards (a form post cannot be
    replayed: the user starts again from the home page)."""
    if request.method != "GET":
        return redirect("/login")
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return redirect(f"/login?next={quote(target)}")


def error_page(request: Request, exc: PageError) -> HTMLResponse:
    user = getattr(request.state, "user", None)
    return render(request, "error.html", {"message": exc.message}, exc.status_code, user)


def page_error_of(request: Request, status_code: int, message: Text) -> HTMLResponse | None:
    """The error page of a request for a page, None for the JSON API: for the answers made
    below the pages (middleware/backpressure.py), which carry their message as `Text`."""
    return error_page(request, PageError(status_code, message)) if is_page(request) else None


API_PREFIXES = ("/api/", "/codec/", "/exchange/", "/metrics")


def is_page(request: Request) -> bool:
    """Whether the request is for a page (its errors are pages) rather than the JSON API."""
    return not request.url.path.startswith(API_PREFIXES)


def invalid_page_request(request: Request, exc: RequestValidationError) -> HTMLResponse:
    """A page's address that cannot be valid: 404 for a path (a task id out of range), else
    422 naming the query parameters (a day out of range), in the visitor's language."""
    locs = [tuple(error.get("loc") or ()) for error in exc.errors()]
    if any(loc[:1] == ("path",) for loc in locs):
        return error_page(request, not_found())
    names = ", ".join(sorted({str(loc[-1]) for loc in locs if loc}))
    message = both("error.invalid_query")
    message = Text(zh=f"{message.zh}：{names}", en=f"{message.en}: {names}")
    return error_page(request, PageError(422, message))
