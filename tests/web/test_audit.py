"""The audit trail on the pages: the auditor's /audit page, and page views recorded."""

import httpx
import pytest
from sqlmodel import Session, col, select

from store.models import AuditEvent, Role
from tests.helpers import PASSWORD, newborn_form
from tests.web.conftest import Site

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]


def trail(site: Site, object_id: str) -> list[tuple[str, str, str]]:
    with Session(site.engine) as session:
        rows = session.exec(
            select(AuditEvent)
            .where(AuditEvent.object_id == object_id)
            .order_by(col(AuditEvent.seq))
        ).all()
        return [(r.action, r.actor_name, r.outcome) for r in rows]


async def test_views_are_recorded_and_the_auditor_reads_them(site: Site, visit) -> None:
    applicant, manager = site.user(Role.applicant), site.user(Role.manager)
    async with httpx.AsyncClient(base_url=site.url) as client:
        token = await client.post(
            "/api/v1/auth/token", data={"username": applicant, "password": PASSWORD}
        )
        bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
        created = await client.post(
            "/api/v1/cases", json={"scenario": "newborn", "form": newborn_form()}, headers=bearer
        )
    case_id = created.json()["id"]

    own = await visit()
    await own.sign_in(applicant)
    await own.goto(f"/cases/{case_id}")
    boss = await visit()
    await boss.sign_in(manager)
    await boss.goto(f"/dashboard/cases/{case_id}")
    assert trail(site, case_id) == [
        ("case.submit", applicant, "success"),
        ("case.view", applicant, "success"),
        ("trace.view", manager, "success"),
    ]

    for role in (Role.manager, Role.admin, Role.clerk, Role.applicant):
        other = await visit()
        await other.sign_in(site.user(role, "public-security" if role is Role.clerk else None))
        response = await other.page.goto(site.url + "/audit")
        assert response is not None and response.status == 403, role

    auditor = site.user(Role.auditor)
    reader = await visit()
    await reader.sign_in(auditor)
    await reader.goto(f"/audit?object={case_id}")
    await reader.shot("audit-01-trail")
    table = reader.page.locator("#audit tbody tr")
    assert await table.count() == 3
    text = await reader.page.locator("#audit").inner_text()
    assert "case.view" in text and "trace.view" in text and "成功" in text
    assert await reader.page.locator("nav a[href='/audit']").count() == 1
    await reader.goto(f"/audit?object={case_id}&action=trace.view&lang=en")
    assert await table.count() == 1
    assert "success" in await reader.page.locator("#audit").inner_text()
    with Session(site.engine) as session:
        reads = session.exec(
            select(AuditEvent).where(
                AuditEvent.action == "audit.view", AuditEvent.actor_name == auditor
            )
        ).all()
    assert len(reads) == 2
