"""The HTTP adapter under Temporal's retries: a department activity served through it (the
catalog's `register_childbirth`, `activities.department`) is retried while the department
answers 503, and not retried when the department refuses."""

import uuid
from datetime import timedelta

import pytest
from temporalio import workflow
from temporalio.client import WorkflowFailureError
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError, RetryState
from temporalio.worker import Worker

from activities.department import department_activities
from adapters.http import HttpDepartment
from catalog.loader import get_catalog
from tests.examples.service import SECRET, reference_service
from workflows.models import ItemRequest, ItemResult
from workflows.scenario import DEPARTMENT_RETRY

# The product's department retry policy, with short intervals for the test.
QUICK_RETRY = RetryPolicy(
    initial_interval=timedelta(milliseconds=100),
    maximum_interval=timedelta(milliseconds=200),
    maximum_attempts=3,
    non_retryable_error_types=DEPARTMENT_RETRY.non_retryable_error_types,
)


@workflow.defn(sandboxed=False)
class RegisterChildbirth:
    @workflow.run
    async def run(self, request: ItemRequest) -> ItemResult:
        return await workflow.execute_activity(
            "register_childbirth",
            request,
            result_type=ItemResult,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=QUICK_RETRY,
        )


def request() -> ItemRequest:
    return ItemRequest(
        case_id=f"case-{uuid.uuid4().hex[:12]}",
        scenario="newborn",
        item="childbirth_registration",
        department="health",
        fields={},
    )


async def failure(client, url: str) -> ActivityError:
    """Run the workflow against the department at `url`; the activity error it fails with."""
    queue = f"http-adapter-{uuid.uuid4().hex[:12]}"
    adapter = HttpDepartment("health", url, SECRET)
    activities = department_activities(get_catalog(), "health", adapter)
    try:
        async with Worker(
            client,
            task_queue=queue,
            workflows=[RegisterChildbirth],
            activities=activities,
        ):
            with pytest.raises(WorkflowFailureError) as failed:
                await client.execute_workflow(
                    RegisterChildbirth.run, request(), id=queue, task_queue=queue
                )
    finally:
        await adapter.aclose()
    assert isinstance(failed.value.cause, ActivityError)
    return failed.value.cause


async def test_503_is_retried_by_temporal(time_skipping_env, tmp_path):
    with reference_service(tmp_path, department="health", unavailable_rate=1.0) as service:
        error = await failure(time_skipping_env.client, service.url)
    assert error.retry_state is RetryState.MAXIMUM_ATTEMPTS_REACHED
    assert isinstance(error.cause, ApplicationError)
    assert error.cause.type == "DepartmentUnavailable"


async def test_a_refusal_is_not_retried(time_skipping_env, tmp_path):
    with reference_service(
        tmp_path, department="health", refuse_items='["childbirth_registration"]'
    ) as service:
        error = await failure(time_skipping_env.client, service.url)
    assert error.retry_state is RetryState.NON_RETRYABLE_FAILURE
    assert isinstance(error.cause, ApplicationError)
    assert (error.cause.type, error.cause.details) == ("DepartmentRefused", ("ineligible",))
