"""`onego department check`: the conformance kit a department runs against its own system
before onego calls it (the contract: contracts/department.openapi.yaml, docs/departments.md).

Every check uses cases of its own (`conformance-<random>`), so the kit can run again and again
against the same system; it prints a pass/fail table and exits 1 when a check fails.
"""

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Literal, TypeVar, cast

import httpx
import typer
from pydantic import BaseModel, ValidationError
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from adapters.http import (
    HEALTH,
    IDEMPOTENCY_HEADER,
    ITEM_REQUESTS,
    REVOCATIONS,
    ContractError,
    HealthAnswer,
    HttpDepartment,
    IssueAnswer,
    RevocationAnswer,
    idempotency_key,
)
from adapters.signing import ALGORITHMS, REPLAY_WINDOW, Algorithm, Signer
from catalog.models import OutputDef
from domain.text import Text
from workflows.models import CompensationRequest, ItemRequest

app = typer.Typer(
    help="A department's system behind the HTTP contract: check it conforms.",
    no_args_is_help=True,
)
OUTPUT = OutputDef(code="conformance_certificate", label=Text(zh="合规检查证明", en="check"))
# How often an answer of 503 is asked again (the contract allows an occasional one).
UNAVAILABLE_RETRIES = 5
A = TypeVar("A", bound=BaseModel)


class CheckFailed(Exception):
    pass


@dataclass
class Outcome:
    check: str
    result: Literal["pass", "fail", "skip"]
    detail: str


class Kit:
    """The checks, each with cases of its own, against one department's system."""

    def __init__(self, department: HttpDepartment, item: str, wait: float):
        self.department = department
        self.item = item
        self.wait = wait

    def request(self) -> ItemRequest:
        return ItemRequest(
            case_id=f"conformance-{uuid.uuid4().hex[:16]}",
            scenario="conformance",
            item=self.item,
            department=self.department.department,
            fields={},
            outputs=[OUTPUT],
        )

    async def post(
        self, path: str, payload: BaseModel, key: str, signer: Signer | None = None
    ) -> httpx.Response:
        """POST signed (a fresh signature each time), asking again after a 503."""
        body = payload.model_dump_json().encode()
        sign = (signer or self.department.signer).headers

        def headers() -> dict[str, str]:
            plain = {IDEMPOTENCY_HEADER: key, "Content-Type": "application/json"}
            return plain | sign("POST", path, body)

        client = self.department.client
        return await _answered(lambda: client.post(path, content=body, headers=headers()))

    async def resend(self, body: bytes, headers: dict[str, str]) -> httpx.Response:
        """POST to the item requests exactly these bytes and headers, again after a 503."""
        client = self.department.client
        return await _answered(lambda: client.post(ITEM_REQUESTS, content=body, headers=headers))

    async def issue(self, request: ItemRequest) -> IssueAnswer:
        key = idempotency_key(request.case_id, request.item)
        return _answer(await self.post(ITEM_REQUESTS, request, key), IssueAnswer, (200, 202))

    async def revoke(self, request: ItemRequest) -> RevocationAnswer:
        undo = CompensationRequest(
            case_id=request.case_id,
            item=request.item,
            department=request.department,
            reason="conformance check",
        )
        key = idempotency_key(undo.case_id, undo.item)
        return _answer(await self.post(REVOCATIONS, undo, key), RevocationAnswer, (200,))

    async def until_ready(self, request: ItemRequest, first: IssueAnswer) -> IssueAnswer:
        """Ask again from `ready_at` on until the system issues (at most `wait` seconds)."""
        deadline = time.monotonic() + self.wait
        answer = first
        while answer.status == "pending":
            if answer.ready_at is None:
                raise CheckFailed("pending without ready_at")
            pause = (answer.ready_at - datetime.now(UTC)).total_seconds()
            if time.monotonic() + max(pause, 0) > deadline:
                raise CheckFailed(f"not issued within {self.wait:g}s (ready_at {answer.ready_at})")
            await asyncio.sleep(max(pause, 0.2))
            answer = await self.issue(request)
        return answer

    async def health(self) -> str:
        answer = _answer(await self.department.client.get(HEALTH), HealthAnswer, (200,))
        if answer.department != self.department.department:
            raise CheckFailed(f"serves {answer.department!r}")
        return "ok"

    async def idempotent_issue(self) -> str:
        """The same request twice gives the same issue (before and once it is ready)."""
        request = self.request()
        first, again = await self.issue(request), await self.issue(request)
        _same(first, again, "the second answer differs from the first")
        if first.status == "pending":
            first = await self.until_ready(request, first)
            _same(first, await self.issue(request), "the issue changed when asked again")
        return f"one issue {first.issue_id}"

    async def ready_later(self) -> str | None:
        """An output the system issues later: pending with a future `ready_at`, then issued
        with every output asked for. None (skipped) when the system issues at once."""
        request = self.request()
        asked = datetime.now(UTC)
        first = await self.issue(request)
        if first.status == "issued":
            return None
        if first.ready_at is None or first.ready_at < asked:
            raise CheckFailed(f"pending without a future ready_at ({first.ready_at})")
        issued = await self.until_ready(request, first)
        if set(issued.outputs) != {OUTPUT.code}:
            raise CheckFailed(f"issued outputs {sorted(issued.outputs)}, asked {[OUTPUT.code]}")
        return f"pending until {first.ready_at:%H:%M:%S}, then issued"

    async def revoke_twice(self) -> str:
        request = self.request()
        await self.issue(request)
        first, again = await self.revoke(request), await self.revoke(request)
        if not first.revoked or first.revoked_at is None:
            raise CheckFailed(f"the issue was not revoked: {first}")
        _same(first, again, "the second revocation answers differently")
        return f"revoked once at {first.revoked_at:%H:%M:%S}"

    async def wrong_signature(self) -> str:
        signer = self.department.signer
        forged = Signer(signer.department, signer.secret + b"-wrong", signer.algorithm)
        request = self.request()
        key = idempotency_key(request.case_id, request.item)
        response = await self.post(ITEM_REQUESTS, request, key, forged)
        return _refused(response, 401, "bad_signature")

    async def replayed_nonce(self) -> str:
        request = self.request()
        body = request.model_dump_json().encode()
        headers = {
            IDEMPOTENCY_HEADER: idempotency_key(request.case_id, request.item),
            "Content-Type": "application/json",
            **self.department.signer.headers("POST", ITEM_REQUESTS, body),
        }
        first = await self.resend(body, headers)
        if first.status_code not in (200, 202):
            raise CheckFailed(f"the first sending was answered {first.status_code}")
        return _refused(await self.resend(body, headers), 401, "replayed_nonce")

    async def stale_timestamp(self) -> str:
        request = self.request()
        body = request.model_dump_json().encode()
        stale = int(time.time()) - 4 * REPLAY_WINDOW
        headers = {
            IDEMPOTENCY_HEADER: idempotency_key(request.case_id, request.item),
            "Content-Type": "application/json",
            **self.department.signer.headers("POST", ITEM_REQUESTS, body, timestamp=stale),
        }
        return _refused(await self.resend(body, headers), 401, "stale_timestamp")

    async def error_format(self) -> str:
        """A request the system cannot take is answered 400 in the contract's error format."""
        request = self.request()
        response = await self.post(ITEM_REQUESTS, request, "not-this-case:not-this-item")
        return _refused(response, 400, "idempotency_key_mismatch")

    async def run(self) -> list[Outcome]:
        checks: list[tuple[str, Callable[[], Awaitable[str | None]]]] = [
            ("health", self.health),
            ("idempotent-issue", self.idempotent_issue),
            ("ready-later", self.ready_later),
            ("revoke-twice", self.revoke_twice),
            ("wrong-signature", self.wrong_signature),
            ("replayed-nonce", self.replayed_nonce),
            ("stale-timestamp", self.stale_timestamp),
            ("error-format", self.error_format),
        ]
        outcomes = []
        for name, check in checks:
            try:
                detail = await check()
            except CheckFailed as failed:
                outcomes.append(Outcome(name, "fail", str(failed)))
            except httpx.HTTPError as error:
                outcomes.append(Outcome(name, "fail", f"{type(error).__name__}: {error}"))
            else:
                if detail is None:
                    outcomes.append(Outcome(name, "skip", "issued at once: nothing issued later"))
                else:
                    outcomes.append(Outcome(name, "pass", detail))
        return outcomes


async def _answered(send: Callable[[], Awaitable[httpx.Response]]) -> httpx.Response:
    """What `send` gets, sending again (up to `UNAVAILABLE_RETRIES` times) after a 503."""
    for _ in range(UNAVAILABLE_RETRIES - 1):
        response = await send()
        if response.status_code != 503:
            return response
        await asyncio.sleep(1)
    return await send()


def _answer(response: httpx.Response, model: type[A], statuses: tuple) -> A:
    if response.status_code not in statuses:
        raise CheckFailed(f"answered {response.status_code}: {response.text[:200]}")
    try:
        return model.model_validate_json(response.content)
    except ValidationError as invalid:
        raise CheckFailed(f"answer not in the contract: {invalid.errors()[0]['msg']}") from None


def _same(first: BaseModel, again: BaseModel, what: str) -> None:
    if first != again:
        raise CheckFailed(
            f"{what}: {first.model_dump(mode='json')} then {again.model_dump(mode='json')}"
        )


def _refused(response: httpx.Response, status: int, code: str) -> str:
    """Pass when the system refused with `status` and `code`, in the error format."""
    if response.status_code != status:
        raise CheckFailed(f"answered {response.status_code}, expected {status} {code}")
    try:
        error = ContractError.model_validate_json(response.content)
    except ValidationError:
        raise CheckFailed(f"{status} not in the error format: {response.text[:200]}") from None
    if error.error != code:
        raise CheckFailed(f"refused with {error.error!r}, expected {code!r}")
    return f"{status} {code}"


async def _check(
    department: str, url: str, secret: str, algorithm: Algorithm, item: str, wait: float
) -> list[Outcome]:
    adapter = HttpDepartment(department, url, secret, algorithm=algorithm)
    try:
        return await Kit(adapter, item, wait).run()
    finally:
        await adapter.aclose()


@app.command("check")
def check(
    department: Annotated[str, typer.Option(help="The department code the system serves")],
    url: Annotated[str, typer.Option(help="The system's base URL (https:// in production)")],
    secret: Annotated[
        str,
        typer.Option(
            envvar="DEPARTMENT_SECRET",
            help="The signing secret shared with onego (better from DEPARTMENT_SECRET)",
            show_default=False,
        ),
    ],
    algorithm: Annotated[str, typer.Option(help="hmac-sha256 or hmac-sm3")] = "hmac-sha256",
    item: Annotated[str, typer.Option(help="The item code the checks request")] = (
        "conformance_check"
    ),
    wait: Annotated[
        float, typer.Option(help="How long to wait for an output issued later (seconds)")
    ] = 120.0,
) -> None:
    """Run the conformance checks against a department's system; exit 1 when one fails."""
    if algorithm not in ALGORITHMS:
        typer.echo(f"未知算法 / unknown algorithm {algorithm!r}: {', '.join(ALGORITHMS)}", err=True)
        raise typer.Exit(2)
    chosen = cast(Algorithm, algorithm)
    outcomes = asyncio.run(_check(department, url, secret, chosen, item, wait))
    table = Table(title=f"{department} @ {url}")
    table.add_column("check")
    table.add_column("result")
    table.add_column("detail", overflow="fold")
    colour = {"pass": "green", "fail": "red", "skip": "yellow"}
    for outcome in outcomes:
        table.add_row(
            outcome.check, f"[{colour[outcome.result]}]{outcome.result}[/]", escape(outcome.detail)
        )
    console = Console(width=160)
    console.print(table)
    failed = [o.check for o in outcomes if o.result == "fail"]
    if failed:
        console.print(f"[red]不符合接口约定 / does not conform: {', '.join(failed)}[/]")
        raise typer.Exit(1)
    console.print("[green]符合接口约定 / conforms[/]")
