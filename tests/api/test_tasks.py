"""Review tasks through the API: a rejection, and decisions the workflow refuses."""

import pytest

from store.models import Role
from tests.conftest import Workers
from tests.helpers import INDEPENDENT_OF_REGISTRATION, Api, item_status

pytestmark = pytest.mark.timeout(90)

# Items that wait for household registration: never started when it is rejected.
AFTER_REGISTRATION = {
    "medical_insurance_enrolment",
    "medical_insurance_payment",
    "social_security_card",
    "childcare_subsidy",
}


async def test_rejection_with_reason_ends_the_case(api: Api, workers: Workers) -> None:
    applicant = await api.account(Role.applicant)
    clerk = await api.account(Role.clerk, "public-security")
    case_id = (await api.submit(applicant)).json()["id"]
    await api.wait_for_review(applicant, case_id)
    task = await api.open_task(clerk, case_id)
    assert (await api.claim(clerk, task["id"])).status_code == 200

    reason = "出生医学证明与户主信息不一致 / certificate does not match the household head"
    rejected = await api.decide(clerk, task["id"], "reject", reason, "materials_inconsistent")
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["decision"] == "reject"

    case = await api.wait_case(applicant, case_id, lambda c: c["status"] == "rejected")
    assert reason in case["reason"]
    assert case["completed_at"] is not None
    household = next(i for i in case["items"] if i["code"] == "household_registration")
    assert household["status"] == "rejected"
    assert household["reason"] == reason
    statuses = {i["code"]: i["status"] for i in case["items"]}
    assert {code for code, s in statuses.items() if s == "cancelled"} == AFTER_REGISTRATION
    assert "citizen_id" not in case["outputs"]
    # What was issued before the rejection stays issued or was revoked, never left pending.
    for code in INDEPENDENT_OF_REGISTRATION:
        assert statuses[code] in ("done", "compensated"), (code, statuses[code])
    assert statuses["birth_medical_certificate"] == "done"

    again = await api.decide(clerk, task["id"], "approve")
    assert again.status_code == 409, again.text
    closed = await api.http.get("/api/v1/tasks?status=closed&limit=500", headers=clerk.headers)
    mine = [t for t in closed.json() if t["case_id"] == case_id]
    assert [(t["status"], t["decided_by"], t["reason"]) for t in mine] == [
        ("rejected", clerk.user.username, reason)
    ]


async def test_refused_decisions_change_nothing(api: Api, workers: Workers) -> None:
    applicant = await api.account(Role.applicant)
    clerk = await api.account(Role.clerk, "public-security")
    tax_clerk = await api.account(Role.clerk, "tax")
    case_id = (await api.submit(applicant)).json()["id"]
    await api.wait_for_review(applicant, case_id)
    task = await api.open_task(clerk, case_id)

    async def still_open(holder: str | None) -> None:
        now = await api.open_task(clerk, case_id)
        assert (now["status"], now["holder"], now["decided_by"]) == ("open", holder, None)
        case = await api.case(applicant, case_id)
        assert case["status"] == "running"
        assert item_status(case, "household_registration") == "awaiting_review"
        assert case["progress"]["done"] == len(INDEPENDENT_OF_REGISTRATION)

    # A clerk of another department may neither take nor decide the task.
    for refused in (
        await api.claim(tax_clerk, task["id"]),
        await api.decide(tax_clerk, task["id"], "approve"),
    ):
        assert refused.status_code == 403, refused.text
        assert "public-security" in refused.json()["message"]["en"]
        assert refused.json()["message"]["zh"]
    await still_open(None)
    listed = await api.http.get(
        "/api/v1/tasks?department=public-security", headers=tax_clerk.headers
    )
    assert listed.status_code == 403
    own = await api.http.get("/api/v1/tasks?status=all&limit=500", headers=tax_clerk.headers)
    assert [t for t in own.json() if t["case_id"] == case_id] == []

    assert (await api.claim(clerk, task["id"])).status_code == 200
    await still_open(clerk.user.username)
    for reason, code in ((None, "materials_inconsistent"), ("   ", "other"), ("why", None)):
        refused = await api.decide(clerk, task["id"], "reject", reason, code)
        assert refused.status_code == 422, refused.text
        assert "rejection needs a reason" in refused.json()["message"]["en"]
        assert refused.json()["message"]["zh"]
        await still_open(clerk.user.username)

    assert (await api.decide(clerk, task["id"], "maybe")).status_code == 422
    assert (await api.decide(clerk, 10**9, "approve")).status_code == 404
    await still_open(clerk.user.username)

    approved = await api.decide(clerk, task["id"], "approve")
    assert approved.status_code == 200, approved.text
    twice = await api.decide(clerk, task["id"], "approve")
    assert twice.status_code == 409, twice.text
    case = await api.wait_case(applicant, case_id, lambda c: c["status"] == "completed")
    assert item_status(case, "household_registration") == "done"
    after_close = await api.decide(clerk, task["id"], "reject", "too late", "other")
    assert after_close.status_code == 409, after_close.text
