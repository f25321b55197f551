"""An ASGI middleware refusing request bodies above a size limit (413), counted as they stream."""

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyTooLarge(Exception):
    pass


def _matches(template: str, path: str) -> bool:
    """Whether `path` is `template`, where a `{}` segment stands for any one segment."""
    wanted, given = template.split("/"), path.split("/")
    return len(wanted) == len(given) and all(
        w in ("{}", g) for w, g in zip(wanted, given, strict=True)
    )


class BodySizeLimit:
    """`max_bytes` for every path but those of `larger` (path: its own limit, e.g. uploads;
    a `{}` segment of a path stands for any one, e.g. "/cases/{}/supplement")."""

    def __init__(self, app: ASGIApp, max_bytes: int, larger: dict[str, int] | None = None):
        self.app = app
        self.max_bytes = max_bytes
        self.larger = larger or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        max_bytes = self.larger.get(path) or next(
            (n for template, n in self.larger.items() if _matches(template, path)),
            self.max_bytes,
        )
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > max_bytes:
            await self._refuse(send, max_bytes)
            return
        seen = 0
        started = refused = False

        async def limited_receive() -> Message:
            nonlocal seen, refused
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > max_bytes:
                    # Answer 413 here: FastAPI turns any error raised while it reads the
                    # body into its own 400, which `tracking_send` then drops.
                    if not started and not refused:
                        refused = True
                        await self._refuse(send, max_bytes)
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if refused:
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if not started and not refused:
                await self._refuse(send, max_bytes)

    async def _refuse(self, send: Send, max_bytes: int) -> None:
        limit_kib = max_bytes // 1024
        body = json.dumps(
            {
                "error": "body_too_large",
                "message": {
                    "zh": f"请求体超过 {limit_kib} KiB 上限",
                    "en": f"The request body exceeds the {limit_kib} KiB limit",
                },
                "problems": [
                    {
                        "loc": "body",
                        "code": "body_too_large",
                        "message": {"zh": "请求体过大", "en": "Request body too large"},
                        "fix": {
                            "zh": "请只提交表单字段，附件请单独上传",
                            "en": "Send only the form fields; upload attachments separately",
                        },
                    }
                ],
            },
            ensure_ascii=False,
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
