"""Dependency order, data flow, departments that issue later or refuse (fast: fakes, no
database)."""

from datetime import timedelta

from temporalio.testing import WorkflowEnvironment

from domain.statuses import CaseStatus, EventKind, ItemStatus
from tests.workflows.fast.harness import fast_case
from workflows.models import Decision


async def test_items_run_in_dependency_order_in_parallel_with_their_inputs(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    async with fast_case(time_skipping_env) as case:
        await case.opened()
        await case.claim("clerk-a")
        await case.decide("clerk-a", Decision.approve, data={"hukou_type": "family"})
        result = await case.handle.result()

        assert result.status is CaseStatus.completed
        items = case.input.spec.items
        calls = case.calls
        assert sorted(calls.answered) == sorted(i.code for i in items)  # each asked once
        for item in items:
            [request] = calls.requests(item.code)
            # asked only after every item it requires was issued, with their outputs
            asked = next(n for n, (_, r, _) in enumerate(calls.asked) if r is request)
            issued_before = set(calls.answered[:asked])
            assert set(item.requires) <= issued_before, item.code
            assert request.upstream == {o: result.outputs[o] for o in item.uses_outputs}
            assert request.fields == {
                f: case.input.form[f] for f in item.fields if f in case.input.form
            }
        assert calls.requests("household_registration")[0].review == {"hukou_type": "family"}
        assert len(result.outputs) == sum(len(i.outputs) for i in items)

        # Independent items overlap: scheduled in the same workflow task.
        history = {name: (s, c) for name, s, c in await case.scheduled()}
        first, second = history["issue_birth_certificate"], history["register_childbirth"]
        assert max(first[0], second[0]) < min(first[1], second[1])

        # The read model: the case running then completed, each item done with its outputs.
        assert [c.status for c in calls.cases] == [CaseStatus.running, CaseStatus.completed]
        assert calls.cases[-1].items == {i.code: ItemStatus.done for i in items}
        for item in items:
            [done] = calls.events(item.code, EventKind.done)
            assert done.outputs == {o.code: result.outputs[o.code] for o in item.outputs}


async def test_an_item_done_is_written_by_its_department_activity_else_by_the_workflow(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    """A department activity that wrote its item done says so (`recorded`): the workflow then
    makes no read-model write for it; one that did not (`records=False`) gets it written by
    the workflow. Either way each item is written done once."""
    for records in (True, False):
        async with fast_case(time_skipping_env, records=records) as case:
            await case.opened()
            await case.claim("clerk-a")
            await case.decide("clerk-a", Decision.approve)
            result = await case.handle.result()

            assert result.status is CaseStatus.completed
            codes = sorted(i.code for i in case.input.spec.items)
            assert sorted(r.item for r in case.calls.events(kind=EventKind.done)) == codes
            by_workflow = [r.item for r in case.calls.local if r.event is EventKind.done]
            assert sorted(by_workflow) == ([] if records else codes)
            # the reviewed item's task is the workflow's to write either way
            assert [r.event for r in case.calls.local if r.item == "household_registration"][
                :3
            ] == [EventKind.task_opened, EventKind.claimed, EventKind.approved]


async def test_an_item_issued_later_is_asked_again_when_ready(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    later = {"social_security_card": 2.5, "maternity_allowance": 1.25}
    async with fast_case(time_skipping_env, later=later) as case:
        await case.opened()
        await case.claim("clerk-a")
        await case.decide("clerk-a", Decision.approve)
        result = await case.handle.result()

    assert result.status is CaseStatus.completed
    calendar = case.input.calendar
    for code, days in later.items():
        first, again = case.calls.asked_at(code)  # accepted, then issued
        assert again >= calendar.add_working_days(first, days)
        assert again - calendar.add_working_days(first, days) < timedelta(minutes=2)
        [done] = case.calls.events(code, EventKind.done)
        assert done.at >= again and done.outputs
        assert case.calls.status(code) is ItemStatus.done


async def test_a_department_that_refuses_fails_the_case_and_undoes_what_was_done(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    async with fast_case(time_skipping_env, refuse={"vaccination_certificate"}) as case:
        result = await case.handle.result()

    assert result.status is CaseStatus.failed
    assert result.reason is not None and "Vaccination certificate failed" in result.reason
    assert case.calls.status("vaccination_certificate") is ItemStatus.failed
    assert len(case.calls.requests("vaccination_certificate")) == 1  # not retried
    compensable = await case.compensable_done()
    assert compensable and result.undone == list(reversed(compensable))
    assert [r.item for _, r in case.calls.revoked] == result.undone
    for _, revoke in case.calls.revoked:
        assert revoke.reason == result.reason
        assert revoke.outputs == {o: result.outputs[o] for o in revoke.outputs} != {}
    assert all(case.calls.status(c) is ItemStatus.compensated for c in result.undone)
    assert case.calls.status("household_registration") is ItemStatus.cancelled
    assert case.calls.cases[-1].status is CaseStatus.failed
