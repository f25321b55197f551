"""The audit trail through the API: views and actions write their rows (actor, outcome,
client, request id), the auditor alone reads the trail, nobody can change it."""

from collections import Counter

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from domain.statuses import ItemStatus
from store.audit import verify_chain
from store.models import AuditEvent, CaseItem, Role
from tests.conftest import Workers
from tests.helpers import Account, Api, wait_until

pytestmark = pytest.mark.timeout(120)


def rows(
    engine: Engine, case_id: str, task_id: int | None = None, after: int = 0
) -> list[AuditEvent]:
    """The rows after seq `after` about this case or its task, in chain order."""
    about = (AuditEvent.object_type == "case") & (AuditEvent.object_id == case_id)
    if task_id is not None:
        about |= (AuditEvent.object_type == "task") & (AuditEvent.object_id == str(task_id))
    with Session(engine) as session:
        query = select(AuditEvent).where(AuditEvent.seq > after, about)
        return list(session.exec(query.order_by(col(AuditEvent.seq))))


def last_seq(engine: Engine) -> int:
    with Session(engine) as session:
        last = session.exec(select(AuditEvent.seq).order_by(col(AuditEvent.seq).desc())).first()
        return last or 0


def review_task(engine: Engine, case_id: str) -> int | None:
    """The household registration task once it waits for its clerk (read from the database,
    not through the API, so that waiting writes no audit row)."""
    with Session(engine) as session:
        row = session.exec(
            select(CaseItem).where(
                CaseItem.case_id == case_id, CaseItem.item == "household_registration"
            )
        ).first()
        return row.id if row and row.status == ItemStatus.awaiting_review else None


def summary(events: list[AuditEvent]) -> list[tuple[str, str, str]]:
    return [(e.action, e.actor_name, e.outcome) for e in events]


async def test_a_newborn_case_leaves_its_trail(api: Api, workers: Workers) -> None:
    start = last_seq(api.engine)
    applicant = await api.account(Role.applicant)
    clerk = await api.account(Role.clerk, "public-security")
    manager = await api.account(Role.manager)
    stranger = await api.account(Role.applicant)

    submitted = await api.submit(applicant)
    assert submitted.status_code == 201, submitted.text
    case_id = submitted.json()["id"]
    task_id = await wait_until(lambda: review_task(api.engine, case_id), 30, what="review task")
    opened = await api.http.get(f"/api/v1/tasks/{task_id}", headers=clerk.headers)
    assert opened.status_code == 200, opened.text
    assert (await api.claim(clerk, task_id)).status_code == 200
    approved = await api.decide(clerk, task_id, "approve")
    assert approved.status_code == 200, approved.text
    refused = await api.decide(clerk, task_id, "approve")  # decided already: 409
    assert refused.status_code == 409
    seen = await api.http.get(
        f"/api/v1/cases/{case_id}", headers={**applicant.headers, "X-Request-ID": "req-42"}
    )
    assert seen.status_code == 200
    assert (await api.http.get(f"/api/v1/cases/{case_id}", headers=stranger.headers)).status_code
    trace = await api.http.get(f"/api/v1/metrics/cases/{case_id}/trace", headers=manager.headers)
    assert trace.status_code == 200

    mine = rows(api.engine, case_id, task_id, after=start)
    a, c, m, s = (x.user.username for x in (applicant, clerk, manager, stranger))
    assert summary(mine) == [
        ("case.submit", a, "success"),
        ("task.view", c, "success"),
        ("task.claim", c, "success"),
        ("task.decide", c, "success"),
        ("task.decide", c, "failure"),
        ("case.view", a, "success"),
        ("case.view", s, "failure"),
        ("trace.view", m, "success"),
    ]
    view = mine[5]
    assert (view.actor_id, view.role, view.object_type) == (applicant.id, "applicant", "case")
    assert (view.client, view.request_id) == ("127.0.0.1", "req-42")
    decision = mine[3]
    assert (decision.department, decision.detail) == ("public-security", "decision approve")
    assert mine[4].detail == "HTTP 409"
    assert len({e.request_id for e in mine}) == len(mine)  # one id per request
    # The figure of the report: rows of one newborn case from submission through the
    # clerk's opening, claim and decision to the applicant viewing it once (sign-ins apart).
    per_case = [e for e in mine if e.actor_name in (a, c) and e.outcome == "success"]
    print(f"audit rows per newborn case: {len(per_case)} ({Counter(e.action for e in per_case)})")
    assert len(per_case) == 5
    with Session(api.engine) as session:
        assert verify_chain(session).intact


async def test_supplement_and_withdrawal_are_recorded(api: Api, workers: Workers) -> None:
    start = last_seq(api.engine)
    applicant = await api.account(Role.applicant)
    case_id = (await api.submit(applicant)).json()["id"]
    asked = await api.http.post(
        f"/api/v1/cases/{case_id}/supplement",
        json={"item": "household_registration", "fields": {}, "materials": []},
        headers=applicant.headers,
    )
    assert asked.status_code in (409, 422)  # nothing was asked of the applicant
    withdrawn = await api.http.post(
        f"/api/v1/cases/{case_id}/withdraw",
        json={"reason": "changed my mind"},
        headers=applicant.headers,
    )
    assert withdrawn.status_code == 204, withdrawn.text
    mine = rows(api.engine, case_id, after=start)
    a = applicant.user.username
    assert summary(mine) == [
        ("case.submit", a, "success"),
        ("case.supplement", a, "failure"),
        ("case.withdraw", a, "success"),
    ]
    assert "changed" not in mine[2].detail  # the reason (free text) is not copied


async def sign_in(api: Api, role: Role) -> Account:
    return await api.account(role, "public-security" if role is Role.clerk else None)


async def test_the_auditor_alone_reads_the_trail(api: Api) -> None:
    auditor = await sign_in(api, Role.auditor)
    for role in (Role.admin, Role.manager, Role.clerk, Role.applicant):
        other = await sign_in(api, role)
        refused = await api.http.get("/api/v1/audit", headers=other.headers)
        assert refused.status_code == 403, role
        assert refused.json()["message"]["zh"] and refused.json()["message"]["en"]

    start = last_seq(api.engine)
    first = await api.http.get(f"/api/v1/audit?after={start}&limit=1", headers=auditor.headers)
    assert first.status_code == 200, first.text
    page = first.json()
    assert page["next_after"] is None and page["events"] == []  # nothing after start yet
    second = await api.http.get(
        f"/api/v1/audit?action=audit.view&actor={auditor.user.username}&after={start}&limit=1",
        headers=auditor.headers,
    )
    events = second.json()["events"]
    assert [(e["action"], e["seq"]) for e in events] == [("audit.view", start + 1)]
    assert second.json()["next_after"] is None  # its own row is written after the read
    third = await api.http.get(
        f"/api/v1/audit?action=audit.view&after={start}&limit=1", headers=auditor.headers
    )
    assert [e["seq"] for e in third.json()["events"]] == [start + 1]
    assert third.json()["next_after"] == start + 1  # the second read's row waits on page 2
    assert events[0]["hash"] and events[0]["prev_hash"]
    assert (
        await api.http.get("/api/v1/audit?limit=501", headers=auditor.headers)
    ).status_code == 422

    # No way to change the trail through onego.
    for method in ("PUT", "PATCH", "DELETE", "POST"):
        response = await api.http.request(method, "/api/v1/audit", headers=auditor.headers)
        assert response.status_code == 405, method
    with Session(api.engine) as session:
        assert verify_chain(session).intact
