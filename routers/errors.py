"""The case service's errors (cases/errors.py) as the API answers them: a status and the
project's error body (`ErrorResponse`); an error without a code of its own is `http_<status>`.

When nobody answered in time (`OutcomeUnknown`) or the case service did not take the request
(`Unavailable`, Temporal not answering), the answer is 503 with Retry-After.
"""

from fastapi import HTTPException

from cases.errors import (
    CaseError,
    Conflict,
    Invalid,
    NotAllowed,
    NotFound,
    OutcomeUnknown,
    Unavailable,
)
from domain.text import Text
from routers.schemas import ErrorResponse

STATUS: dict[type[CaseError], int] = {
    NotFound: 404,
    NotAllowed: 403,
    Conflict: 409,
    Invalid: 422,
    OutcomeUnknown: 503,
    Unavailable: 503,
}
RETRY_AFTER_S = "5"


def unavailable_text() -> Text:
    """Temporal does not answer (nothing was done that needs an answer)."""
    return Text(
        zh="办件服务暂时无法应答，请稍候几秒再试",
        en="The case service is not answering; retry in a few seconds",
    )


def status_of(error: CaseError) -> int:
    """The HTTP status of a case error (the pages answer with it too); 409 for a refusal
    of no known kind."""
    return next((status for kind, status in STATUS.items() if isinstance(error, kind)), 409)


def as_http(error: CaseError) -> HTTPException:
    """The API's answer to a case error: its status, body and, for 503, Retry-After."""
    status = status_of(error)
    body = ErrorResponse(
        error=error.code or f"http_{status}", message=error.message, problems=error.problems
    )
    headers = {"Retry-After": RETRY_AFTER_S} if status == 503 else None
    return HTTPException(status, detail=body.model_dump(mode="json"), headers=headers)
