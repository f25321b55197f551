"""The SLA clock of a reviewed item in working days (a weekend and a holiday skipped), the
reminder, escalation and breach, and supplements that stop the clock (fast: fakes, no
database; the figures are those the workflow writes to the read model)."""

from datetime import timedelta

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from domain.statuses import CaseStatus, EventKind, ItemStatus
from tests.helpers import wait_until
from tests.workflows.fast.harness import DAY, REVIEWED, fast_case, next_thursday_10am
from workflows.models import Decision, SupplementInput, SupplementRequest
from workflows.scenario import ScenarioWorkflow

ADDRESS = "重庆市渝中区解放碑街道民族路100号2-1"


async def test_reminder_escalation_and_breach_across_a_weekend_and_a_holiday(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    """Opened Thursday 10:00; promised 3 working days, reminder at 80 % (2.4 days); Saturday,
    Sunday and Monday (a holiday) do not count: reminder Tuesday 19:36, breach Wednesday 10:00."""
    thursday = await next_thursday_10am(time_skipping_env)
    monday = thursday.date() + timedelta(days=4)
    async with fast_case(time_skipping_env, holidays=frozenset({monday})) as case:
        opened = await case.opened()
        assert opened.at - thursday < timedelta(minutes=1)
        assert opened.due_at == opened.at + timedelta(days=6)  # Wednesday 10:00

        await case.env.sleep(timedelta(days=7))
        [reminder] = await wait_until(lambda: case.calls.events(REVIEWED, EventKind.reminder))
        [escalation] = await wait_until(lambda: case.calls.events(REVIEWED, EventKind.escalation))
        assert abs(reminder.at - (opened.at + timedelta(days=5, hours=9, minutes=36))) < timedelta(
            seconds=2
        )
        assert abs(escalation.at - opened.due_at) < timedelta(seconds=2)
        assert not reminder.breached and escalation.breached
        progress = await case.handle.query(ScenarioWorkflow.progress)
        assert progress.items[REVIEWED].breached

        await case.claim("clerk-a")
        await case.decide("clerk-a", Decision.approve)
        result = await case.handle.result()

    assert result.status is CaseStatus.completed
    final = case.calls.cases[-1]
    assert final.breaches == 1 and final.applicant_days == 0
    # Decided 7 calendar days after opening: Thu 14 h, Fri, Tue, Wed, Thu 10 h = 4 working days.
    assert final.department_days == pytest.approx(4.0, abs=1e-3)


async def test_a_supplement_stops_the_clock_for_exactly_the_applicants_time(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    await next_thursday_10am(time_skipping_env)
    async with fast_case(time_skipping_env) as case:
        opened = await case.opened()
        with pytest.raises(WorkflowUpdateFailedError) as early:  # nothing asked yet
            await case.supplement(household_address=ADDRESS)
        assert early.value.cause.type == "NoSupplementAsked"  # type: ignore[union-attr]
        await case.env.sleep(timedelta(hours=2))  # Thursday 12:00
        await case.claim("clerk-a")
        await case.decide(
            "clerk-a",
            Decision.supplement,
            supplement=SupplementRequest(fields=["household_address"], note="门牌号缺失"),
        )
        [asked] = await wait_until(
            lambda: case.calls.events(REVIEWED, EventKind.supplement_requested)
        )
        assert asked.status is ItemStatus.awaiting_supplement and asked.actor == "clerk-a"
        assert asked.supplement is not None and asked.supplement["fields"] == ["household_address"]
        assert (
            asked.supplement["deadline"]
            == case.input.calendar.add_working_days(
                asked.at, case.input.review.supplement_days
            ).isoformat()
        )
        with pytest.raises(WorkflowUpdateFailedError) as mismatch:  # exactly what was asked
            await case.supplement(household_head_name="王强")
        assert mismatch.value.cause.type == "SupplementMismatch"  # type: ignore[union-attr]
        with pytest.raises(WorkflowUpdateFailedError) as elsewhere:
            await case.handle.execute_update(
                ScenarioWorkflow.supplement,
                SupplementInput(item="birth_medical_certificate", fields={}),
            )
        assert elsewhere.value.cause.type == "NoSupplementAsked"  # type: ignore[union-attr]

        await case.env.sleep(timedelta(days=3))  # Sunday 12:00: 1.5 working days of the applicant
        await case.supplement(household_address=ADDRESS)
        [received] = await wait_until(
            lambda: case.calls.events(REVIEWED, EventKind.supplement_received)
        )
        assert received.status is ItemStatus.awaiting_review
        assert received.applicant_days == pytest.approx(1.5, abs=1e-3)
        await case.env.sleep(DAY)  # Monday 12:00: the clock ran again for half a working day
        await case.decide("clerk-a", Decision.approve)
        result = await case.handle.result()

    assert result.status is CaseStatus.completed
    [approved] = case.calls.events(REVIEWED, EventKind.approved)
    assert approved.applicant_days == pytest.approx(1.5, abs=1e-3)
    assert approved.department_days == pytest.approx(2 / 24 + 0.5, abs=1e-3)
    assert not approved.breached and not case.calls.events(REVIEWED, EventKind.reminder)
    # The limit moved by the applicant's time: Thursday 10:00 + 3 + 1.5 working days.
    limit = case.input.calendar.add_working_days(opened.at, 4.5)
    assert abs(approved.due_at - limit) < timedelta(minutes=1)  # type: ignore[operator]
    assert case.calls.cases[-1].applicant_days == pytest.approx(1.5, abs=1e-3)
    # The department performs the item with the supplemented answer.
    [request] = case.calls.requests(REVIEWED)
    assert request.fields["household_address"] == ADDRESS


async def test_a_supplement_not_given_in_time_closes_the_case(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    async with fast_case(time_skipping_env) as case:
        await case.opened()
        await case.claim("clerk-a")
        await case.decide(
            "clerk-a",
            Decision.supplement,
            supplement=SupplementRequest(
                materials=["marriage_certificate"], note="请上传清晰的结婚证"
            ),
        )
        await wait_until(lambda: case.calls.status(REVIEWED) is ItemStatus.awaiting_supplement)
        await case.env.sleep(timedelta(days=30))
        result = await case.handle.result()

    assert result.status is CaseStatus.not_supplemented
    assert result.reason is not None and "逾期未补正" in result.reason
    [expired] = case.calls.events(REVIEWED, EventKind.supplement_expired)
    assert expired.status is ItemStatus.rejected
    assert case.calls.status("social_security_card") is ItemStatus.cancelled
    assert not case.calls.requests(REVIEWED)
    assert case.calls.cases[-1].status is CaseStatus.not_supplemented
