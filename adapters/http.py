"""The HTTP department adapter: a department's own system behind the contract in
contracts/department.openapi.yaml, with the same contract as the simulated back-end
(`activities.department.DepartmentAdapter`).

What it raises is what Temporal's retries and the circuit breaker (adapters/resilience.py)
expect: a department that does not answer, answers 503/5xx/429, times out or refuses our
signature (a secret or clock to fix, not a reason to fail the case) raises the retryable
`DepartmentUnavailable`; a refusal (422, with the department's reason code) and a request the
department cannot read (other 4xx: our bug) raise a non-retryable `ApplicationError`.
"""

from datetime import datetime
from typing import Literal, TypeVar

import httpx
from pydantic import BaseModel, Field, ValidationError
from temporalio.exceptions import ApplicationError

from adapters.signing import Algorithm, Signer
from adapters.simulated import DepartmentUnavailable
from documents.links import DocumentLink, DocumentLinks
from domain.text import Text
from workflows.models import CompensationRequest, CompensationResult, ItemRequest, ItemResult

ITEM_REQUESTS = "/v1/item-requests"
REVOCATIONS = "/v1/revocations"
HEALTH = "/v1/health"
IDEMPOTENCY_HEADER = "Idempotency-Key"
# Connecting and reading are bounded apart: a department that accepts connections but never
# answers is noticed as fast as one that is down.
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=5.0)
A = TypeVar("A", bound=BaseModel)


class SentItemRequest(ItemRequest):
    """The item request as sent: with a short-lived signed link per document id."""

    document_links: list[DocumentLink] = Field(default_factory=list)


class IssueAnswer(BaseModel):
    """The answer to an item request: issued (200), or accepted and issued at `ready_at` (202)."""

    item: str
    status: Literal["issued", "pending"]
    issue_id: str = Field(description="The department's own reference of this issue.")
    outputs: dict[str, str] = Field(default_factory=dict)
    issued_at: datetime | None = None
    ready_at: datetime | None = None


class RevocationAnswer(BaseModel):
    item: str
    revoked: bool
    revoked_at: datetime | None = None


class HealthAnswer(BaseModel):
    status: Literal["ok"]
    department: str


class ContractError(BaseModel):
    """Every refusal: a code, and a message in zh-CN and English (no personal data)."""

    error: str
    message: Text


def idempotency_key(case_id: str, item: str) -> str:
    """The key of every request about (case, item): derived, so a retry from any worker (one
    that restarted after a crash mid-call included) sends the same key."""
    return f"{case_id}:{item}"


def refusal_code(response: httpx.Response) -> str:
    """The contract's error code of a refusal, or `unreadable` when it is not in the format."""
    try:
        return ContractError.model_validate_json(response.content).error
    except ValidationError:
        return "unreadable"


class HttpDepartment:
    """A department system reached over HTTPS (HTTP in tests), every request signed."""

    def __init__(
        self,
        department: str,
        base_url: str,
        secret: str | bytes,
        *,
        algorithm: Algorithm = "hmac-sha256",
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
        links: DocumentLinks | None = None,
    ):
        self.department = department
        self.links = links
        self.signer = Signer(
            department, secret.encode() if isinstance(secret, str) else secret, algorithm
        )
        self.client = httpx.AsyncClient(base_url=base_url, timeout=timeout, transport=transport)

    async def perform(self, request: ItemRequest) -> ItemResult:
        """Send the request, with fresh signed links to its documents (made at each attempt,
        so a retry never sends a link that expired while it waited)."""
        links = self.links(request.documents) if self.links and request.documents else []
        sent = SentItemRequest(**request.model_dump(), document_links=links)
        response = await self.send(
            ITEM_REQUESTS, sent, idempotency_key(request.case_id, request.item)
        )
        answer = self._read(response, IssueAnswer)
        if answer.status == "pending":
            if answer.ready_at is None:
                raise self._outside_contract(response, "pending without ready_at")
            ready = answer.ready_at
            return ItemResult(item=request.item, outputs={}, issued_at=ready, ready_at=ready)
        if answer.issued_at is None:
            raise self._outside_contract(response, "issued without issued_at")
        return ItemResult(item=request.item, outputs=answer.outputs, issued_at=answer.issued_at)

    async def revoke(self, request: CompensationRequest) -> CompensationResult:
        """Undo an issue; the department answers a second revocation as the first."""
        response = await self.send(
            REVOCATIONS, request, idempotency_key(request.case_id, request.item)
        )
        answer = self._read(response, RevocationAnswer)
        return CompensationResult(
            item=request.item, revoked=answer.revoked, revoked_at=answer.revoked_at
        )

    async def healthy(self) -> bool:
        try:
            response = await self.client.get(HEALTH)
            answer = HealthAnswer.model_validate_json(response.content)
        except (httpx.HTTPError, ValidationError):
            return False
        return response.status_code == 200 and answer.department == self.department

    async def send(self, path: str, payload: BaseModel, key: str) -> httpx.Response:
        """POST `payload` to `path`, signed; a department that does not answer raises
        `DepartmentUnavailable`."""
        body = payload.model_dump_json().encode()
        headers = {
            "Content-Type": "application/json",
            IDEMPOTENCY_HEADER: key,
            **self.signer.headers("POST", path, body),
        }
        try:
            return await self.client.post(path, content=body, headers=headers)
        except httpx.TimeoutException as exc:
            raise DepartmentUnavailable(f"{self.department}: no answer in time") from exc
        except httpx.TransportError as exc:
            raise DepartmentUnavailable(
                f"{self.department}: unreachable ({type(exc).__name__})"
            ) from exc

    def _read(self, response: httpx.Response, answer: type[A]) -> A:
        status = response.status_code
        if status in (200, 202):
            try:
                return answer.model_validate_json(response.content)
            except ValidationError:
                raise self._outside_contract(response, "answer not in the contract") from None
        code = refusal_code(response)
        if status == 422:
            raise ApplicationError(
                f"{self.department} 拒绝办理 / refused: {code}",
                code,
                type="DepartmentRefused",
                non_retryable=True,
            )
        if status in (401, 403):
            raise DepartmentUnavailable(f"{self.department} refused our signature: {code}")
        if status in (408, 429) or status >= 500:
            raise DepartmentUnavailable(f"{self.department} answered {status} ({code})")
        raise ApplicationError(
            f"{self.department} cannot read the request: {status} {code}",
            type="InvalidRequest",
            non_retryable=True,
        )

    def _outside_contract(self, response: httpx.Response, what: str) -> DepartmentUnavailable:
        """An answer outside the contract: the department's bug, which it may fix; retry."""
        return DepartmentUnavailable(f"{self.department} answered {response.status_code}: {what}")

    async def aclose(self) -> None:
        await self.client.aclose()
