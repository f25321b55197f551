"""One language per API answer when the client asks for one.

The API's texts are bilingual objects, `{"zh": "…", "en": "…"}` (`domain.text.Text`: error
messages, their problems, names, progress, notifications). A request with `Accept-Language`
naming zh-CN (or zh) or English gets every such object with that language's key alone, e.g.
`{"en": "…"}`, and `Content-Language` says which; without the header, or naming neither
language (`*`, `fr`), both keys as always, so existing clients read what they read before.
The choice is Babel's locale negotiation over the header's languages by their q values.
"""

import json
from collections.abc import Iterable
from typing import Any

from babel.core import negotiate_locale
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

AVAILABLE = {"zh-CN": "zh", "zh": "zh", "en": "en"}  # what a client may ask -> a Text's key
CONTENT_LANGUAGE = {"zh": "zh-CN", "en": "en"}


def _ranked(header: str) -> list[str]:
    """The languages of an Accept-Language header, best first (q=0 dropped)."""
    ranked: list[tuple[float, str]] = []
    for part in header.split(","):
        tag, *params = (piece.strip() for piece in part.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag and quality > 0:
            ranked.append((quality, tag))
    return [tag for _, tag in sorted(ranked, key=lambda pair: -pair[0])]


def asked_language(header: str | None) -> str | None:
    """ "zh" or "en" as the header asks, None for both (no header, or neither language)."""
    chosen = negotiate_locale(_ranked(header or ""), list(AVAILABLE), sep="-")
    return AVAILABLE.get(chosen) if chosen else None


def one_language(value: Any, lang: str) -> Any:
    """`value` (parsed JSON) with every {"zh", "en"} text reduced to `lang`'s key."""
    if isinstance(value, dict):
        if value.keys() == {"zh", "en"} and all(isinstance(v, str) for v in value.values()):
            return {lang: value[lang]}
        return {key: one_language(item, lang) for key, item in value.items()}
    if isinstance(value, list):
        return [one_language(item, lang) for item in value]
    return value


def _header(headers: Iterable[tuple[bytes, bytes]], name: bytes) -> str | None:
    return next((value.decode("latin-1") for key, value in headers if key.lower() == name), None)


class OneLanguage:
    """Reduces a JSON answer's bilingual texts to the language the request asks for; every
    JSON answer varies by Accept-Language."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        lang = asked_language(_header(scope["headers"], b"accept-language"))
        start: Message | None = None
        chunks: list[bytes] = []

        async def reply(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                headers = MutableHeaders(raw=message["headers"])
                if not headers.get("content-type", "").startswith("application/json"):
                    await send(message)
                    return
                headers.add_vary_header("Accept-Language")
                if lang is None:
                    await send(message)
                    return
                start = message  # held until the body is whole
                return
            if start is None or lang is None or message["type"] != "http.response.body":
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            body = b"".join(chunks)
            headers = MutableHeaders(raw=start["headers"])
            headers["content-language"] = CONTENT_LANGUAGE[lang]
            if body:  # a HEAD's is empty, its length the GET's
                reduced = one_language(json.loads(body), lang)
                body = json.dumps(reduced, ensure_ascii=False, separators=(",", ":")).encode()
                headers["content-length"] = str(len(body))
            await send(start)
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, reply)
