"""The traces of a full newborn case: business spans with real times, and the technical
spans (API request, workflow, activities, departments, SQL) in the request's trace."""

from datetime import datetime

import pytest

from observability import telemetry
from store.models import Span
from tests.telemetry.conftest import NewbornCase

pytestmark = pytest.mark.timeout(90)

ITEM_ATTRIBUTES = {
    "onego.case_id",
    "onego.scenario",
    "onego.scenario_version",
    "onego.item",
    "onego.department",
    "onego.mode",
    "onego.status",
    "onego.promised_days",
    "onego.breached",
    "onego.elapsed_days",
    "onego.applicant_days",
    "onego.department_days",
}


def _ms(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() * 1000


async def test_case_span_and_item_spans_form_one_tree(newborn_case: NewbornCase) -> None:
    case, items = newborn_case.case, newborn_case.items
    trace_id = telemetry.case_trace_hex(case.id)
    business = [s for s in newborn_case.spans if s.trace_id == trace_id]
    (root,) = [s for s in business if s.parent_id is None]
    assert root.name == "case:newborn"
    assert root.span_id == f"{telemetry.case_span_id(case.id):016x}"
    assert int(trace_id, 16) == int(case.id.replace("-", ""), 16)  # the case's UUID
    assert (root.start, root.end) == (case.submitted_at, case.completed_at)
    assert root.duration_ms == pytest.approx(_ms(case.submitted_at, case.completed_at), abs=1e-3)
    assert root.attributes["onego.status"] == "completed"
    assert root.attributes["onego.scenario_version"] == case.scenario_version
    assert root.attributes["onego.elapsed_days"] == case.actual_days
    assert root.attributes["onego.breaches"] == 0
    assert root.attributes["onego.items"] == len(items) == 10

    children = {s.attributes["onego.item"]: s for s in business if s.parent_id is not None}
    assert set(children) == set(items)  # one span per item, exactly once
    assert len(business) == 11
    for code, span in children.items():
        row = items[code]
        assert span.name == f"item:{code}"
        assert span.parent_id == root.span_id
        assert span.span_id == f"{telemetry.item_span_id(case.id, code):016x}"
        assert ITEM_ATTRIBUTES <= set(span.attributes), code
        assert span.attributes["onego.department"] == row.department
        assert span.attributes["onego.mode"] == row.mode
        assert span.attributes["onego.breached"] is False
        assert row.started_at is not None and row.completed_at is not None
        assert (span.start, span.end) == (row.started_at, row.completed_at), code
        assert span.duration_ms == pytest.approx(_ms(row.started_at, row.completed_at), abs=1e-3)
        assert case.submitted_at <= span.start <= span.end <= case.completed_at
        assert span.status == "ok"

    # The reviewed item runs from its task's opening, with its SLA figures and deadline.
    review = children["household_registration"]
    registration = items["household_registration"]
    assert review.start == registration.opened_at
    assert review.attributes["onego.due_at"] == registration.due_at.isoformat()
    assert review.attributes["onego.promised_days"] == 3
    assert review.attributes["onego.department_days"] == registration.department_days
    assert [e["name"] for e in review.events][:2] == ["task_opened", "claimed"]
    # An automatic item starts when the last item it requires is done.
    enrolment = children["medical_insurance_enrolment"]
    assert enrolment.start == registration.completed_at
    payment = items["medical_insurance_payment"]
    assert payment.started_at == max(
        registration.completed_at, items["medical_insurance_enrolment"].completed_at
    )


def _ancestors(span: Span, by_id: dict[str, Span]) -> list[Span]:
    chain = []
    while span.parent_id in by_id:
        span = by_id[span.parent_id]
        chain.append(span)
    return chain


async def test_the_workflow_joins_the_trace_of_the_request(newborn_case: NewbornCase) -> None:
    workflow_id = f"case-{newborn_case.id}"
    (run,) = [
        s
        for s in newborn_case.named("RunWorkflow:ScenarioWorkflow")
        if s.attributes.get("temporalWorkflowID") == workflow_id
    ]
    request_trace = [s for s in newborn_case.spans if s.trace_id == run.trace_id]
    by_id = {s.span_id: s for s in request_trace}
    chain = [s.name for s in _ancestors(run, by_id)]
    assert chain == ["StartWorkflow:ScenarioWorkflow", "POST /api/v1/cases"], chain
    server = _ancestors(run, by_id)[-1]
    assert server.kind == "server" and server.attributes["http.route"] == "/api/v1/cases"

    names = {s.name for s in request_trace}
    # the department activities, their adapter calls and the read-model writes
    assert "RunActivity:record_items" in names and "RunActivity:record_case" in names
    departments = [s for s in request_trace if s.name == "department.perform"]
    assert {s.attributes["onego.item"] for s in departments} >= {
        "childbirth_registration",
        "birth_medical_certificate",
    }
    for span in departments:
        assert span.attributes["onego.case_id"] == newborn_case.id
        assert span.attributes["onego.attempt"] >= 1
        parent = by_id[span.parent_id]
        assert parent.name.startswith("RunActivity:")
    sql = [s for s in request_trace if "db.system" in s.attributes]
    assert sql, "SQL statements are traced"

    # The case span links to the request's trace (its write ran there).
    (root,) = [
        s
        for s in newborn_case.spans
        if s.trace_id == telemetry.case_trace_hex(newborn_case.id) and s.parent_id is None
    ]
    assert run.trace_id in {link["trace_id"] for link in root.links}
