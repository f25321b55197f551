"""The error statuses an endpoint can answer, declared once for the OpenAPI (every one in
the project's error format, `ErrorResponse`)."""

from collections.abc import Sequence
from typing import Any

from fastapi import HTTPException

from domain.text import Text
from forms.messages import Problem
from routers.schemas import ErrorResponse

DESCRIPTIONS = {
    400: "Unreadable request (a body that is not UTF-8, a blank Idempotency-Key)",
    401: "Not signed in, or the token is invalid or expired",
    403: "The role, department or account may not do this",
    404: "No such resource (or not visible to this user)",
    409: "The resource's state does not allow it (closed, held, reused key)",
    413: "The request body is too large",
    422: "Invalid parameters or body: every problem located (`problems`)",
    429: "Too many failed sign-ins; see Retry-After",
    503: "A service behind the API is busy or unavailable; retry (see Retry-After)",
}

Responses = dict[int | str, dict[str, Any]]


def errors(*codes: int) -> Responses:
    """`responses=` of a router or route: these statuses with the ErrorResponse model."""
    return {code: {"model": ErrorResponse, "description": DESCRIPTIONS[code]} for code in codes}


# Every /api/v1 route (api.py): its parameters or body refused, a service behind it busy.
EVERY = errors(400, 413, 422, 503)
# Routes of a signed-in user with a role.
SIGNED_IN = errors(401, 403)


def api_error(
    status: int,
    message: Text,
    error: str | None = None,
    problems: Sequence[Problem] = (),
    headers: dict[str, str] | None = None,
) -> HTTPException:
    """A refusal in the project's error format, its message kept bilingual (`Text`) up to the
    edge: the API answers both languages, or the one Accept-Language asks for
    (middleware/language.py), a page shows the visitor's (web/common.py).
    `error` defaults to `http_<status>`."""
    body = ErrorResponse(error=error or f"http_{status}", message=message, problems=list(problems))
    return HTTPException(status, detail=body.model_dump(mode="json"), headers=headers)
