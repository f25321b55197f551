"""The newborn case through the API on the dev server: one form, ten items, a clerk's review."""

from datetime import date

import httpx
import pytest
from sqlmodel import Session, select
from stdnum.cn import ric

from store.case_numbers import NUMBER
from store.models import Certificate, Role
from tests.conftest import Workers
from tests.documents.stored import PDF
from tests.helpers import Account, Api, newborn_form, wait_until
from tests.receipts.pdfs import qr_carries, text_of

pytestmark = pytest.mark.timeout(90)

NEWBORN_OUTPUTS = {
    "childbirth_registration_no",
    "birth_certificate_no",
    "vaccination_record_no",
    "citizen_id",
    "hukou_no",
    "insurance_no",
    "premium_receipt_no",
    "ss_card_no",
    "reimbursement_no",
    "allowance_no",
    "childcare_subsidy_no",
}


async def newborn_metrics(api: Api, manager: Account) -> dict:
    response = await api.http.get("/api/v1/metrics/scenarios", headers=manager.headers)
    assert response.status_code == 200, response.text
    rows = [row for row in response.json() if row["scenario"] == "newborn"]
    return rows[0] if rows else {}


async def test_newborn_case_from_form_to_completion(api: Api, workers: Workers) -> None:
    form_response = await api.http.get("/api/v1/scenarios/newborn/form")
    assert form_response.status_code == 200
    form = form_response.json()["examples"][0]
    manager = await api.account(Role.manager)
    before = await newborn_metrics(api, manager)
    applicant = await api.account(Role.applicant)
    clerk = await api.account(Role.clerk, "public-security")

    created = await api.submit(applicant, form)
    assert created.status_code == 201, created.text
    case_id = created.json()["id"]
    assert created.json()["progress"]["total"] == 10

    waiting = await api.wait_for_review(applicant, case_id)
    assert waiting["status"] == "running"
    assert waiting["progress"]["done"] < 10
    # Registration waits for the birth certificate number, so that one is issued by now.
    assert "birth_certificate_no" in waiting["outputs"]
    assert "citizen_id" not in waiting["outputs"]

    listed = await api.open_task(clerk, case_id)  # lists mask personal values
    opened = await api.http.get(f"/api/v1/tasks/{listed['id']}", headers=clerk.headers)
    assert opened.status_code == 200, opened.text
    task = opened.json()  # the task itself shows what its item needs whole
    assert task["item"] == "household_registration"
    assert task["department"] == "public-security"
    assert task["upstream"] == {"birth_certificate_no": waiting["outputs"]["birth_certificate_no"]}
    assert task["fields"]["baby_name"] == form["baby_name"]
    assert "mother_bank_account" not in task["fields"]  # only what the item declares
    claimed = await api.claim(clerk, task["id"])
    assert claimed.status_code == 200, claimed.text
    approved = await api.decide(clerk, task["id"], "approve")
    assert approved.status_code == 200, approved.text
    assert approved.json()["decision"] == "approve"
    again = await api.decide(clerk, task["id"], "approve")
    assert again.status_code == 409, again.text

    case = await api.wait_case(applicant, case_id, lambda c: c["status"] == "completed")
    assert case["progress"]["done"] == case["progress"]["total"] == 10
    assert case["progress"]["text"]["en"] == "10 of 10 done"
    assert {i["status"] for i in case["items"]} == {"done"}
    assert {i["department"] for i in case["items"]} == {
        "health",
        "public-security",
        "medical-insurance",
        "human-resources",
        "tax",
    }
    household = next(i for i in case["items"] if i["code"] == "household_registration")
    assert household["outputs"].keys() == {"citizen_id", "hukou_no"}
    assert set(case["outputs"]) == NEWBORN_OUTPUTS
    assert case["outputs"]["birth_certificate_no"].startswith("Q")

    citizen_id = case["outputs"]["citizen_id"]
    assert ric.is_valid(citizen_id), citizen_id
    assert citizen_id[:6] == form["household_division"]
    assert ric.get_birth_date(citizen_id) == date.fromisoformat(form["baby_birth_date"])
    assert int(citizen_id[16]) % 2 == (1 if form["baby_sex"] == "male" else 0)

    measures = case["measures"]
    assert measures["materials_baseline"] == 31
    assert measures["materials_provided"] == 8
    assert measures["baseline_days"] == 80.0
    assert measures["actual_days"] is not None
    assert 0 <= measures["actual_days"] < 1
    assert case["completed_at"] is not None

    after = await newborn_metrics(api, manager)
    base = {k: before.get(k, 0) for k in ("cases", "completed", "materials_baseline")}
    assert after["cases"] - base["cases"] == 1
    assert after["completed"] - base["completed"] == 1
    assert after["materials_baseline"] - base["materials_baseline"] == 31
    assert after["materials_provided"] - before.get("materials_provided", 0) == 8
    assert after["baseline_days"] - before.get("baseline_days", 0.0) == pytest.approx(80.0)
    assert after["actual_days"] - before.get("actual_days", 0.0) == pytest.approx(
        measures["actual_days"], abs=1e-6
    )


async def test_cases_are_private_and_metrics_are_for_managers(api: Api, workers: Workers) -> None:
    owner = await api.account(Role.applicant)
    other = await api.account(Role.applicant)
    clerk = await api.account(Role.clerk, "public-security")
    manager = await api.account(Role.manager)
    created = await api.submit(owner)
    assert created.status_code == 201, created.text
    case_id = created.json()["id"]

    assert (
        await api.http.get(f"/api/v1/cases/{case_id}", headers=other.headers)
    ).status_code == 404
    mine = await api.http.get("/api/v1/cases", headers=other.headers)
    assert mine.status_code == 200 and mine.json() == []
    assert (
        await api.http.get(f"/api/v1/cases/{case_id}", headers=owner.headers)
    ).status_code == 200
    seen = await api.http.get(f"/api/v1/cases/{case_id}", headers=manager.headers)
    assert seen.status_code == 200
    assert (await api.http.get(f"/api/v1/cases/{case_id}")).status_code == 401

    assert (
        await api.http.get("/api/v1/metrics/scenarios", headers=clerk.headers)
    ).status_code == 403
    assert (
        await api.http.get("/api/v1/metrics/scenarios", headers=owner.headers)
    ).status_code == 403
    assert (
        await api.http.get("/api/v1/metrics/scenarios", headers=manager.headers)
    ).status_code == 200
    # Applicants do not decide review tasks.
    assert (await api.http.get("/api/v1/tasks", headers=owner.headers)).status_code == 403
    await api.wait_for_review(owner, case_id)


async def test_catalog_endpoints_are_public(api: Api) -> None:
    listed = await api.http.get("/api/v1/scenarios")
    assert listed.status_code == 200
    newborn = [s for s in listed.json() if s["code"] == "newborn"]
    assert [s["items"] for s in newborn] == [10]
    detail = (await api.http.get("/api/v1/scenarios/newborn")).json()
    household = next(i for i in detail["items_detail"] if i["code"] == "household_registration")
    assert household["department"] == "public-security"
    assert household["mode"] == "reviewed"
    assert household["requires"] == ["birth_medical_certificate"]
    assert detail["reduction"]["materials_baseline"] == 31
    # The keys a submission hands uploads in under, named beside each material.
    materials = {m["code"]: m for m in detail["materials"]}
    assert materials["marriage_certificate"]["name"]["en"] == "Marriage certificate"
    asked = [m["name"] for m in detail["materials"] if not m["fetched"]]
    assert asked == detail["materials_asked"] and "newborn_photo" in materials
    assert len(materials) == len(asked) + len(detail["materials_fetched"])
    missing = await api.http.get("/api/v1/scenarios/no-such-thing/form")
    assert missing.status_code == 404
    assert missing.json()["problems"][0]["code"] == "unknown_scenario"


async def upload(api: Api, who: Account, data: bytes, name: str = "marriage.pdf") -> str:
    files = {"file": (name, data, "application/pdf")}
    response = await api.http.post("/api/v1/documents", files=files, headers=who.headers)
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def submit_with(api: Api, who: Account, documents: dict[str, list[str]]) -> httpx.Response:
    body = {"scenario": "newborn", "form": newborn_form(), "documents": documents}
    return await api.http.post("/api/v1/cases", json=body, headers=who.headers)


def certificate_code(api: Api, case_id: str, output: str) -> str:
    with Session(api.engine) as session:
        certificate = session.exec(
            select(Certificate).where(Certificate.case_id == case_id, Certificate.output == output)
        ).one()
        return certificate.code


async def test_a_case_with_a_document_its_number_receipt_and_certificate(
    api: Api, workers: Workers
) -> None:
    applicant = await api.account(Role.applicant)
    clerk = await api.account(Role.clerk, "public-security")
    stranger = await api.account(Role.clerk, "medical-insurance")  # no item asks for it
    document_id = await upload(api, applicant, PDF)

    created = await submit_with(api, applicant, {"marriage_certificate": [document_id]})
    assert created.status_code == 201, created.text
    case_id, number = created.json()["id"], created.json()["number"]
    assert NUMBER.match(number), number
    by_number = await api.http.get(f"/api/v1/cases/{number}", headers=applicant.headers)
    assert by_number.status_code == 200 and by_number.json()["id"] == case_id
    listed = await api.http.get("/api/v1/cases", headers=applicant.headers)
    assert [c["number"] for c in listed.json()] == [number]

    # The receipt, right after submitting, by the number read aloud.
    receipt = await api.http.get(f"/api/v1/cases/{number}/receipt.pdf", headers=applicant.headers)
    assert receipt.status_code == 200 and receipt.headers["content-type"] == "application/pdf"
    text = text_of(receipt.content)
    assert number in text and "marriage.pdf" in text and "受理回执" in text
    assert qr_carries(receipt.content, f"{api.settings.resolved_public_url}/cases/{case_id}")
    other = await api.account(Role.applicant)
    refused = await api.http.get(f"/api/v1/cases/{number}/receipt.pdf", headers=other.headers)
    assert refused.status_code == 404

    # An upload goes to one case only.
    again = await submit_with(api, applicant, {"marriage_certificate": [document_id]})
    assert again.status_code == 422 and again.json()["problems"][0]["code"] == "unknown_document"
    unknown = await submit_with(api, applicant, {"no_such_material": [document_id]})
    assert unknown.status_code == 422
    assert unknown.json()["problems"][0]["code"] == "unknown_material"

    # The clerk of the item that asks for it reads it; a clerk of another department cannot.
    await api.wait_for_review(applicant, case_id)
    task = await api.open_task(clerk, case_id)
    assert task["case_number"] == number
    opened = (await api.http.get(f"/api/v1/tasks/{task['id']}", headers=clerk.headers)).json()
    assert [d["id"] for d in opened["documents"]] == [document_id]
    assert opened["documents"][0]["material"] == "marriage_certificate"
    read = await api.http.get(f"/api/v1/documents/{document_id}", headers=clerk.headers)
    assert read.status_code == 200 and read.content == PDF
    denied = await api.http.get(f"/api/v1/documents/{document_id}", headers=stranger.headers)
    assert denied.status_code == 404

    # Approved and done: each output is a certificate that verifies as valid.
    assert (await api.claim(clerk, task["id"])).status_code == 200
    assert (await api.decide(clerk, task["id"], "approve")).status_code == 200
    done = await api.wait_case(applicant, number, lambda c: c["status"] == "completed")
    # The case names its certificates to its applicant, every issued output of it.
    assert "citizen_id" in done["certificates"]
    assert set(done["certificates"]) == set(done["outputs"])
    manager = await api.account(Role.manager)
    seen = await api.http.get(f"/api/v1/cases/{number}", headers=manager.headers)
    assert seen.status_code == 200 and seen.json()["certificates"] == []
    sheet = await api.http.get(
        f"/api/v1/cases/{number}/certificates/citizen_id.pdf", headers=applicant.headers
    )
    assert sheet.status_code == 200, sheet.text
    code = certificate_code(api, case_id, "citizen_id")
    assert qr_carries(sheet.content, f"{api.settings.resolved_public_url}/verify/{code}")
    assert number in text_of(sheet.content)
    # The baby's ID number is made out to the baby (the case's subject), a registration of
    # the birth to the applicant (catalog: each output's `holder`).
    baby, mother = newborn_form()["baby_name"], applicant.user.display_name
    assert baby in text_of(sheet.content) and mother not in text_of(sheet.content)
    registration = await api.http.get(
        f"/api/v1/cases/{number}/certificates/childbirth_registration_no.pdf",
        headers=applicant.headers,
    )
    assert mother in text_of(registration.content) and baby not in text_of(registration.content)
    page = await api.http.get(f"/verify/{code}")
    assert page.status_code == 200 and 'data-valid="true"' in page.text
    missing = await api.http.get(
        f"/api/v1/cases/{number}/certificates/no_such_output.pdf", headers=applicant.headers
    )
    assert missing.status_code == 404


async def test_a_withdrawn_case_revokes_the_certificates_it_had(api: Api, workers: Workers) -> None:
    applicant = await api.account(Role.applicant)
    created = await api.submit(applicant)
    assert created.status_code == 201, created.text
    case_id, number = created.json()["id"], created.json()["number"]
    await api.wait_for_review(applicant, case_id)
    code = certificate_code(api, case_id, "childbirth_registration_no")
    assert 'data-valid="true"' in (await api.http.get(f"/verify/{code}")).text

    withdrawn = await api.http.post(
        f"/api/v1/cases/{number}/withdraw", json={"reason": "不再需要"}, headers=applicant.headers
    )
    assert withdrawn.status_code == 204, withdrawn.text
    await api.wait_case(applicant, case_id, lambda c: c["status"] == "withdrawn")
    with Session(api.engine) as session:
        stamped = session.get(Certificate, code)
        assert stamped is not None and stamped.revoked_at is not None
    page = await api.http.get(f"/verify/{code}")
    assert 'data-valid="false"' in page.text


async def test_a_supplement_hands_in_a_document_the_clerk_then_reads(
    api: Api, workers: Workers
) -> None:
    applicant = await api.account(Role.applicant)
    clerk = await api.account(Role.clerk, "public-security")
    created = await api.submit(applicant)
    assert created.status_code == 201, created.text
    case_id, number = created.json()["id"], created.json()["number"]
    await api.wait_for_review(applicant, case_id)
    task = await api.open_task(clerk, case_id)
    assert (await api.claim(clerk, task["id"])).status_code == 200
    asked = {"materials": ["marriage_certificate"], "note": "请补交结婚证"}
    decision = await api.http.post(
        f"/api/v1/tasks/{task['id']}/decision",
        json={"decision": "supplement", "supplement": asked, "reason": "请补交结婚证"},
        headers=clerk.headers,
    )
    assert decision.status_code == 200, decision.text
    await api.wait_case(
        applicant,
        number,
        lambda c: any(i["supplement"] for i in c["items"]),
        what="the supplement asked",
    )

    document_id = await upload(api, applicant, PDF, "结婚证.pdf")
    body = {"item": "household_registration", "documents": {"marriage_certificate": [document_id]}}
    answered = await api.http.post(
        f"/api/v1/cases/{number}/supplement", json=body, headers=applicant.headers
    )
    assert answered.status_code == 204, answered.text

    async def reviewable() -> bool:
        opened = await api.http.get(f"/api/v1/tasks/{task['id']}", headers=clerk.headers)
        return opened.json()["status"] == "open"

    await wait_until(reviewable, timeout=30, what="the task open again")
    opened = (await api.http.get(f"/api/v1/tasks/{task['id']}", headers=clerk.headers)).json()
    [document] = opened["documents"]
    assert document["id"] == document_id and document["supplement"] is True
    read = await api.http.get(f"/api/v1/documents/{document_id}", headers=clerk.headers)
    assert read.status_code == 200 and read.content == PDF
