"""Who reads a document: its uploader; a clerk of a department whose item it serves; a
department adapter through a short-lived signed link. Everyone else gets 404, and every
read, allowed or not, leaves an audit row."""

import time

import pytest
from sqlmodel import Session, select

from documents.limits import DocumentRefused
from documents.links import signed_path
from documents.records import attach
from security.keyring import DataKey, KeyRing
from store import sealed
from store.models import AuditEvent, Role
from tests.documents.stored import PDF, stored_case
from tests.documents.test_uploads import upload
from tests.helpers import Account, Api

pytestmark = pytest.mark.timeout(60)


async def uploaded(api: Api, owner: Account) -> str:
    answer = await upload(api, owner, PDF)
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def attached(api: Api, owner: Account, document_id: str, item: str | None, material: str) -> str:
    case = stored_case(api.engine, owner.id)
    with Session(api.engine) as session:
        attach(session, owner.id, [document_id], case.id, item, material)
        session.commit()
    return case.id


def outcomes(api: Api, document_id: str, action: str) -> list[str]:
    with Session(api.engine) as session:
        query = select(AuditEvent.outcome).where(
            AuditEvent.object_id == document_id, AuditEvent.action == action
        )
        return list(session.exec(query.order_by(AuditEvent.seq)))


async def status_for(api: Api, who: Account, document_id: str) -> int:
    answer = await api.http.get(f"/api/v1/documents/{document_id}", headers=who.headers)
    if answer.status_code != 200:
        assert answer.json()["message"]["zh"] and answer.json()["message"]["en"]
    return answer.status_code


async def test_another_applicant_and_other_roles_see_no_such_document(api: Api) -> None:
    owner, stranger = await api.account(Role.applicant), await api.account(Role.applicant)
    document_id = await uploaded(api, owner)
    assert await status_for(api, stranger, document_id) == 404
    for role in (Role.manager, Role.admin, Role.auditor):
        assert await status_for(api, await api.account(role), document_id) == 404
    # not yet referenced by a case: no clerk sees it either
    assert (
        await status_for(api, await api.account(Role.clerk, "public-security"), document_id) == 404
    )
    assert await status_for(api, owner, document_id) == 200
    assert outcomes(api, document_id, "document.view").count("failure") == 5


async def test_a_clerk_reads_only_the_documents_of_their_departments_items(api: Api) -> None:
    owner = await api.account(Role.applicant)
    # a supplement's document: household registration's, of public security alone
    supplement = await uploaded(api, owner)
    attached(api, owner, supplement, "household_registration", "marriage_certificate")
    # a form's document for a material: every department with an item asking for it
    form = await uploaded(api, owner)
    attached(api, owner, form, None, "bank_card")  # maternity items: medical insurance

    police = await api.account(Role.clerk, "public-security")
    insurance = await api.account(Role.supervisor, "medical-insurance")
    health = await api.account(Role.clerk, "health")
    assert await status_for(api, police, supplement) == 200
    assert await status_for(api, insurance, supplement) == 404
    assert await status_for(api, insurance, form) == 200
    assert await status_for(api, police, form) == 404
    assert await status_for(api, health, form) == 404
    assert outcomes(api, supplement, "document.view") == ["success", "failure"]


async def test_a_document_is_attached_only_by_its_owner_and_to_one_case(api: Api) -> None:
    owner, stranger = await api.account(Role.applicant), await api.account(Role.applicant)
    document_id = await uploaded(api, owner)
    case = stored_case(api.engine, stranger.id)
    with Session(api.engine) as session, pytest.raises(DocumentRefused, match="unknown_document"):
        attach(session, stranger.id, [document_id], case.id)
    attached(api, owner, document_id, None, "bank_card")
    with Session(api.engine) as session, pytest.raises(DocumentRefused, match="unknown_document"):
        attach(session, owner.id, [document_id], stored_case(api.engine, owner.id).id)


async def test_a_signed_link_opens_until_it_expires_and_not_once_changed(api: Api) -> None:
    owner = await api.account(Role.applicant)
    document_id, other_id = await uploaded(api, owner), await uploaded(api, owner)
    ring = sealed.keyring()
    link = signed_path(ring, document_id, 60)
    opened = await api.http.get(link)  # no token: the link is the authority
    assert opened.status_code == 200 and opened.content == PDF

    expired = signed_path(ring, document_id, 60, now=time.time() - 120)
    tampered = link[:-2] + ("AA" if not link.endswith("AA") else "BB")
    other = link.replace(document_id, other_id)  # another document under this signature
    later = link.replace("exp=", "exp=1")  # a longer life under the same signature
    too_long = signed_path(ring, document_id, api.settings.document_link_max_s + 60)
    foreign = signed_path(KeyRing([key := DataKey.new("SM4-GCM")], key.id), document_id, 60)
    for refused, code in [
        (expired, "link_expired"),
        (tampered, "link_invalid"),
        (other, "link_invalid"),
        (later, "link_invalid"),
        (too_long, "link_expired"),
        (foreign, "link_invalid"),
    ]:
        answer = await api.http.get(refused)
        assert answer.status_code == 403, (refused, answer.text)
        assert answer.json()["error"] == code
        assert answer.json()["message"]["zh"] and answer.json()["message"]["en"]
    assert outcomes(api, document_id, "document.fetch") == ["success"] + ["denied"] * 5
    assert outcomes(api, other_id, "document.fetch") == ["denied"]


async def test_an_id_that_cannot_be_a_document_is_refused_in_the_project_format(api: Api) -> None:
    owner = await api.account(Role.applicant)
    answer = await api.http.get("/api/v1/documents/../../etc", headers=owner.headers)
    assert answer.status_code in (404, 422)
    answer = await api.http.get("/api/v1/documents/not-a-uuid", headers=owner.headers)
    assert answer.status_code == 422 and answer.json()["error"] == "invalid_request"
