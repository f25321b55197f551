"""Back-pressure on the database: a burst queues for a short while, then is answered 503.

A request's `Session` (routers/deps.py) keeps its pooled connection from its first statement
to its end, across awaits (a Temporal call), while each of its statements waits for a worker
thread (anyio's limiter, or asyncio's default executor). Before this gate, a burst larger
than the pool took every connection; the other requests waited for a connection *inside* a
worker thread, holding the threads the connection holders needed to finish: everything
stalled until the pool's timeout (30 s), then answered 500.

`DatabaseGate` admits at most `db_pool_size` requests with a session at once. They wait for
admission in the event loop (an asyncio semaphore, no thread taken), so a worker thread never
waits for a connection, and the pool's overflow (`db_max_overflow`) stays for the sessions
outside requests (the reconciler, /metrics). A request not admitted within `db_wait_s` is
answered 503 with Retry-After; so is a pool timeout or SQLite's busy timeout, should one
happen anyway: never a 500 after a minute.
"""

import asyncio
import math
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from domain.text import Text
from routers.schemas import ErrorResponse
from runtime.settings import Settings

BUSY = Text(
    zh="系统繁忙，请稍后重试；本次请求未被受理",
    en="The service is busy; nothing was done: retry in a moment",
)


class DatabaseBusy(Exception):
    """No database slot freed within the wait: answer 503 with Retry-After."""

    def __init__(self, retry_after: int):
        super().__init__(retry_after)
        self.retry_after = retry_after


class DatabaseGate:
    """At most `slots` requests hold a database session at once, and changes (any method but
    GET and HEAD: a burst of submissions) at most `slots - slots // 4`, so that reads (a
    page, /auth/me) keep a quarter of the slots during a burst. The others wait up to
    `wait_s` in the event loop, then `DatabaseBusy`."""

    def __init__(self, slots: int, wait_s: float):
        self.wait_s = wait_s
        self.retry_after = retry_after_of(wait_s)
        self._all = asyncio.Semaphore(slots)
        self._changes = asyncio.Semaphore(max(1, slots - slots // 4))

    @asynccontextmanager
    async def slot(self, reading: bool = True) -> AsyncIterator[None]:
        """Hold a slot (`reading`: a GET or HEAD request) for the block."""
        async with AsyncExitStack() as stack:
            deadline = asyncio.get_running_loop().time() + self.wait_s
            for semaphore in (self._all,) if reading else (self._changes, self._all):
                left = deadline - asyncio.get_running_loop().time()
                try:  # not wait_for: on 3.11 it may drop a slot acquired as it times out
                    async with asyncio.timeout(max(0.0, left)):
                        await semaphore.acquire()
                except TimeoutError:
                    raise DatabaseBusy(self.retry_after) from None
                stack.callback(semaphore.release)
            yield


def retry_after_of(wait_s: float) -> int:
    """Whole seconds for Retry-After: the wait that was not enough, at least 1."""
    return max(1, math.ceil(wait_s))


def configure(app: FastAPI, settings: Settings) -> None:
    """Size anyio's thread limiter (sync endpoints and dependencies, `run_in_threadpool`,
    `asyncio.to_thread` excepted) and make the gate; called in the lifespan (in the loop)."""
    threads = max(settings.api_threads, settings.db_pool_size)  # every admitted one can run
    anyio.to_thread.current_default_thread_limiter().total_tokens = threads
    app.state.database_gate = DatabaseGate(settings.db_pool_size, settings.db_wait_s)


def gate_of(request: Request) -> DatabaseGate:
    return request.app.state.database_gate  # type: ignore[no-any-return]


# The error page of a request for a page, None for the JSON API (web.common.page_error_of):
# given by api.py, so the middleware do not import the pages built on them.
PageErrors = Callable[[Request, int, Text], Response | None]


def busy(request: Request, retry_after: int, pages: PageErrors) -> Response:
    """503 with Retry-After and the bilingual message: the project's error body, or the
    error page in the visitor's language for a page (web/)."""
    response = pages(request, 503, BUSY)
    if response is None:
        body = ErrorResponse(error="busy", message=BUSY)
        response = JSONResponse(body.model_dump(mode="json"), status_code=503)
    response.headers["Retry-After"] = str(retry_after)
    return response


def is_sqlite_busy(exc: OperationalError) -> bool:
    """SQLite's busy timeout ran out ("database is locked"): another writer held the file."""
    return "database is locked" in str(exc.orig)


def install(app: FastAPI, settings: Settings, pages: PageErrors) -> None:
    """The 503 answers: no admission in time, the pool's timeout, SQLite's busy timeout."""
    retry_after = retry_after_of(settings.db_wait_s)

    @app.exception_handler(DatabaseBusy)
    async def not_admitted(request: Request, exc: DatabaseBusy) -> Response:
        return busy(request, exc.retry_after, pages)

    @app.exception_handler(PoolTimeout)
    async def pool_timeout(request: Request, _: PoolTimeout) -> Response:
        return busy(request, retry_after, pages)

    @app.exception_handler(OperationalError)
    async def operational(request: Request, exc: OperationalError) -> Response:
        if is_sqlite_busy(exc):
            return busy(request, retry_after, pages)
        raise exc
