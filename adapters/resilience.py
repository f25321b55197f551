"""Calling a slow government system safely: a timeout per call and a circuit breaker.

Retries with exponential backoff are Temporal's (the activity retry policy in
workflows/scenario.py); this wrapper makes each attempt fail fast and stops hammering a
department whose system is down: after `failure_threshold` consecutive failures the circuit
opens and calls fail at once for `reset_after` seconds, then one trial call decides whether
it closes again.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from opentelemetry import trace
from opentelemetry.trace import Status, StatusCode
from opentelemetry.util.types import AttributeValue
from temporalio import activity

from activities.department import DepartmentAdapter
from adapters.simulated import DepartmentUnavailable
from workflows.models import CompensationRequest, CompensationResult, ItemRequest, ItemResult

T = TypeVar("T", ItemRequest, CompensationRequest)
R = TypeVar("R")


class CircuitOpen(DepartmentUnavailable):
    """The department failed repeatedly; calls are refused until the circuit half-opens."""


class CircuitBreaker:
    def __init__(
        self,
        failure_threshold: int = 5,
        reset_after: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.failure_threshold = failure_threshold
        self.reset_after = reset_after
        self._clock = clock
        self.failures = 0
        self.opened_at: float | None = None

    @property
    def state(self) -> str:
        if self.opened_at is None:
            return "closed"
        return "half-open" if self._clock() - self.opened_at >= self.reset_after else "open"

    def before_call(self, name: str) -> None:
        if self.state == "open":
            raise CircuitOpen(f"{name}: circuit open after {self.failures} failures")

    def succeeded(self) -> None:
        self.failures, self.opened_at = 0, None

    def failed(self) -> None:
        self.failures += 1
        if self.failures >= self.failure_threshold or self.state == "half-open":
            self.opened_at = self._clock()


class ResilientDepartment:
    """A `DepartmentAdapter` that times out slow calls and trips a circuit breaker."""

    def __init__(
        self,
        inner: DepartmentAdapter,
        name: str,
        timeout: float = 30.0,
        breaker: CircuitBreaker | None = None,
    ):
        self._inner = inner
        self._name = name
        self._timeout = timeout
        self.breaker = breaker or CircuitBreaker()

    async def perform(self, request: ItemRequest) -> ItemResult:
        return await self._call(self._inner.perform, request)

    async def revoke(self, request: CompensationRequest) -> CompensationResult:
        return await self._call(self._inner.revoke, request)

    async def _call(
        self,
        method: Callable[[T], Awaitable[R]],
        request: T,
    ) -> R:
        """One call to the department, as the span `department.<perform|revoke>` (codes and
        ids only: the request's fields are never attributes)."""
        attributes: dict[str, AttributeValue] = {
            "onego.department": self._name,
            "onego.item": request.item,
            "onego.case_id": request.case_id,
            "onego.attempt": activity.info().attempt if activity.in_activity() else 1,
            "onego.breaker": self.breaker.state,
        }
        with _tracer.start_as_current_span(
            f"department.{method.__name__}",
            kind=trace.SpanKind.CLIENT,
            attributes=attributes,
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            try:
                self.breaker.before_call(self._name)
                try:
                    result = await asyncio.wait_for(method(request), self._timeout)
                except (DepartmentUnavailable, TimeoutError) as exc:
                    self.breaker.failed()
                    if isinstance(exc, TimeoutError):
                        raise DepartmentUnavailable(
                            f"{self._name}: no answer in {self._timeout}s"
                        ) from exc
                    raise
            except Exception as exc:
                span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
                span.set_attribute("error.type", type(exc).__name__)
                raise
            self.breaker.succeeded()
            return result


_tracer = trace.get_tracer("onego.departments")
