"""The department adapter wrapper: per-call timeout and circuit breaker."""

import asyncio

import pytest

from adapters.resilience import CircuitBreaker, CircuitOpen, ResilientDepartment
from adapters.simulated import DepartmentUnavailable
from workflows.models import CompensationRequest, CompensationResult, ItemRequest, ItemResult

REQUEST = ItemRequest(case_id="c1", scenario="newborn", item="x", department="tax", fields={})


class Scripted:
    """A department back-end whose answers the test scripts: 'ok', 'fail' or 'hang'."""

    def __init__(self, *answers: str):
        self.answers = list(answers)
        self.calls = 0

    async def perform(self, request: ItemRequest) -> ItemResult:
        self.calls += 1
        answer = self.answers.pop(0)
        if answer == "hang":
            await asyncio.sleep(10)
        if answer == "fail":
            raise DepartmentUnavailable("down")
        return ItemResult(
            item=request.item, outputs={"n": str(self.calls)}, issued_at="2026-01-01T00:00:00Z"
        )

    async def revoke(self, request: CompensationRequest) -> CompensationResult:
        raise NotImplementedError


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_opens_after_consecutive_failures_then_half_opens_and_closes():
    clock = Clock()
    backend = Scripted("fail", "fail", "fail", "ok", "ok")
    adapter = ResilientDepartment(backend, "tax", breaker=CircuitBreaker(3, 10.0, clock))
    for _ in range(3):
        with pytest.raises(DepartmentUnavailable):
            await adapter.perform(REQUEST)
    assert adapter.breaker.state == "open"
    with pytest.raises(CircuitOpen):  # refused without calling the department
        await adapter.perform(REQUEST)
    assert backend.calls == 3
    clock.now = 10.0
    assert adapter.breaker.state == "half-open"
    assert (await adapter.perform(REQUEST)).outputs == {"n": "4"}
    assert adapter.breaker.state == "closed" and adapter.breaker.failures == 0


async def test_a_failed_trial_call_opens_the_circuit_again():
    clock = Clock()
    backend = Scripted("fail", "fail", "ok")
    adapter = ResilientDepartment(backend, "tax", breaker=CircuitBreaker(1, 5.0, clock))
    with pytest.raises(DepartmentUnavailable):
        await adapter.perform(REQUEST)
    clock.now = 5.0
    with pytest.raises(DepartmentUnavailable):
        await adapter.perform(REQUEST)
    assert adapter.breaker.state == "open"
    with pytest.raises(CircuitOpen):
        await adapter.perform(REQUEST)


async def test_a_slow_answer_times_out_as_unavailable():
    adapter = ResilientDepartment(Scripted("hang"), "tax", timeout=0.05)
    with pytest.raises(DepartmentUnavailable, match="no answer"):
        await adapter.perform(REQUEST)
    assert adapter.breaker.failures == 1
