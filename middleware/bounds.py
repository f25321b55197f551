"""Bounds on what a request may carry, refused in the project's error format (never a 500).

- Ids in paths and queries fit the read model's integer columns (`RowId`, `MAX_ID`): INTEGER
  is 32 bits on PostgreSQL ("integer out of range"), and above 2^63-1 SQLite's driver overflowed.
- Days in queries lie in 2000-01-01..2100-12-31 (`QueryDay`): 0001-01-01 or 9999-12-31
  overflowed the period arithmetic.
- `RequestBounds`, an ASGI middleware inside `BodySizeLimit`, reads a JSON or form body
  before any handler does and refuses one that is not UTF-8 (400), nested
  deeper than `MAX_JSON_DEPTH` (422) or made of more than `MAX_FORM_FIELDS` fields (422); and a
  path, query or url-encoded body carrying a NUL character (422: PostgreSQL refuses NUL in
  text). In a JSON body the typed fields refuse control characters themselves, naming the
  field (forms/types.py); `nul_refused` answers what reaches the database anyway.
"""

import json
import re
from datetime import date
from email.message import Message as MimeHeader
from typing import Annotated, Any

from fastapi import Path, Query
from pydantic import AfterValidator
from pydantic_core import PydanticCustomError
from sqlalchemy.exc import DataError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from domain.text import Text
from forms.messages import Problem

MAX_ID = 2**31 - 1  # PostgreSQL INTEGER, the type of every id column of the read model
MAX_JSON_DEPTH = 32
MAX_FORM_FIELDS = 1000
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2100, 12, 31)
# What the OpenAPI says of a day (clients and schemathesis generate within it).
DAY_PATTERN = r"^(20[0-9]{2}|2100)-[0-9]{2}-[0-9]{2}$"

RowId = Annotated[int, Path(ge=1, le=MAX_ID, description="A positive 32-bit id")]


def id_in_range(value: int) -> bool:
    """Whether `value` can be a row id (pages answer 404 for one that cannot)."""
    return 1 <= value <= MAX_ID


def _day_in_range(value: date | None) -> date | None:
    if value is not None and not FIRST_DAY <= value <= LAST_DAY:
        raise PydanticCustomError(
            "date_out_of_range",
            "Date must lie between {first} and {last}",
            {"first": FIRST_DAY.isoformat(), "last": LAST_DAY.isoformat()},
        )
    return value


# A day in a query: `Annotated[QueryDay, day_query("...")]`.
QueryDay = Annotated[date | None, AfterValidator(_day_in_range)]


def day_query(description: str, alias: str | None = None) -> Any:
    """The Query() of a `QueryDay`: the OpenAPI names its range as a pattern."""
    return Query(
        alias=alias,
        description=f"{description} ({FIRST_DAY}..{LAST_DAY})",
        json_schema_extra={"pattern": DAY_PATTERN},
    )


# -- refusals -------------------------------------------------------------------------------


def refusal_body(error: str, message: Text, problems: list[Problem]) -> bytes:
    """The body of `routers.schemas.ErrorResponse`, without importing the routers."""
    body = {
        "error": error,
        "message": message.model_dump(),
        "problems": [p.model_dump(mode="json") for p in problems],
    }
    return json.dumps(body, ensure_ascii=False).encode()


class Refused(Exception):
    """A request refused before its handler ran: status, code, where, what and how to fix."""

    def __init__(self, status: int, code: str, loc: str, message: Text, fix: Text):
        self.status = status
        self.problem = Problem(loc=loc, code=code, message=message, fix=fix)

    def body(self) -> bytes:
        return refusal_body("invalid_request", self.problem.message, [self.problem])


def _not_utf8() -> Refused:
    return Refused(
        400,
        "body_not_utf8",
        "body",
        Text(zh="请求体不是有效的 UTF-8 文本", en="The request body is not valid UTF-8"),
        Text(zh="请以 UTF-8 编码发送请求体", en="Send the body encoded as UTF-8"),
    )


def _too_deep() -> Refused:
    return Refused(
        422,
        "body_too_deep",
        "body",
        Text(
            zh=f"JSON 嵌套超过 {MAX_JSON_DEPTH} 层",
            en=f"The JSON is nested deeper than {MAX_JSON_DEPTH} levels",
        ),
        Text(
            zh="请按接口文档的结构提交，表单字段无需嵌套",
            en="Send the structure the API documents; form fields are not nested",
        ),
    )


def _too_many_fields(count: int) -> Refused:
    return Refused(
        422,
        "too_many_fields",
        "body",
        Text(
            zh=f"表单有 {count} 个字段，上限为 {MAX_FORM_FIELDS} 个",
            en=f"The form has {count} fields; at most {MAX_FORM_FIELDS} are accepted",
        ),
        Text(zh="请只提交页面上的字段", en="Send only the fields of the page's form"),
    )


def _nul(loc: str) -> Refused:
    where = Text(zh="地址", en="address") if loc != "body" else Text(zh="请求体", en="body")
    return Refused(
        422,
        "invalid_characters",
        loc,
        Text(zh=f"{where.zh}中含有空字符（NUL）", en=f"The {where.en} contains a NUL character"),
        Text(zh="请删除空字符（NUL）", en="Remove the NUL characters"),
    )


# -- checks ---------------------------------------------------------------------------------

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")


def json_depth_exceeds(text: str, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether the JSON text nests arrays and objects deeper than `limit` (strings ignored);
    checked before parsing, so a deep document never reaches the recursive parser."""
    depth = 0
    for bracket in _BRACKET.finditer(_STRING.sub('""', text)):
        if bracket.group() in "[{":
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def check_json(body: bytes) -> None:
    """Raise `Refused` for a body that is not UTF-8 or nested too deep. A body that is not
    JSON is left to its reader: FastAPI's `json_invalid` (422, located by position) or the
    codec endpoint's 400 of its protocol."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise _not_utf8() from None
    if json_depth_exceeds(text):
        raise _too_deep()


def count_form_fields(content_type: str, body: bytes) -> int:
    """The number of fields of a url-encoded or multipart body (0 for other types)."""
    header = MimeHeader()
    header["content-type"] = content_type
    kind = header.get_content_type()
    if kind == "application/x-www-form-urlencoded":
        return sum(1 for part in re.split(rb"[&;]", body) if part)
    if kind == "multipart/form-data":
        boundary = header.get_param("boundary")
        if not isinstance(boundary, str) or not boundary:
            return 0
        return max(body.count(b"--" + boundary.encode("latin-1")) - 1, 0)
    return 0


def _is_json(content_type: str | None) -> bool:
    if not content_type:
        return False
    header = MimeHeader()
    header["content-type"] = content_type
    subtype = header.get_content_subtype()
    return header.get_content_maintype() == "application" and (
        subtype == "json" or subtype.endswith("+json")
    )


def check_request(scope: Scope, body: bytes) -> None:
    """Every check of one request; raise `Refused` at the first that fails."""
    if "\x00" in scope.get("path", ""):
        raise _nul("path")
    if b"%00" in scope.get("query_string", b"") or b"\x00" in scope.get("query_string", b""):
        raise _nul("query")
    if not body:
        return
    content_type = dict(scope["headers"]).get(b"content-type", b"").decode("latin-1")
    no_type = not content_type and scope.get("method") in ("POST", "PUT", "PATCH")
    if _is_json(content_type) or no_type:  # FastAPI reads a body without a type as JSON
        check_json(body)
        return
    fields = count_form_fields(content_type, body)
    if fields > MAX_FORM_FIELDS:
        raise _too_many_fields(fields)
    if content_type.startswith("application/x-www-form-urlencoded"):
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            raise _not_utf8() from None
        if b"%00" in body or b"\x00" in body:
            raise _nul("body")


class RequestBounds:
    """Reads the body (already capped by `BodySizeLimit`, which must wrap this middleware),
    runs `check_request`, and hands the app the same body again."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        more = scope.get("method") not in ("GET", "HEAD", "OPTIONS")
        while more:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        try:
            check_request(scope, body)
        except Refused as refused:
            await _send_refusal(send, refused)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


async def _send_refusal(send: Send, refused: Refused) -> None:
    body = refused.body()
    await send(
        {
            "type": "http.response.start",
            "status": refused.status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def is_nul_refused(exc: DataError) -> bool:
    """PostgreSQL refused a NUL character in text (a free-form value no field type checks)."""
    return "NUL" in str(exc.orig)


def nul_refused() -> Refused:
    """The answer for a NUL that reached the database: 422, never a 500."""
    return _nul("body")
