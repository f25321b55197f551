"""The department's pages in Chromium: the supervisor's backlog and assignment, a refused
claim, the clerk's inbox and task page (only the item's data), a supplement round trip
through the applicant's case page, the approval, and the applicant seeing the progress."""

import pytest
from sqlmodel import Session, col, select

from cases.submission import submit
from catalog.loader import get_catalog
from documents.records import save_upload
from documents.vault import store_of
from forms.prefill import Identity
from forms.unified import example_form
from registries.embedded import EmbeddedRegistries
from store import sealed
from store.models import AuditEvent, Case, CaseItem, Document, Role, User
from store.users import DEMO_IDENTITIES
from tests.documents.stored import PDF
from tests.helpers import wait_until
from tests.web.conftest import Site

pytestmark = pytest.mark.timeout(150)


async def _newborn_case(
    site: Site, username: str, documents: dict[str, bytes] | None = None
) -> str:
    """A newborn case submitted with the applicant's identity (the form page is tested
    elsewhere) and `documents` (material -> a PDF), waiting for the police's review."""
    catalog = get_catalog(site.settings.catalog_dir)
    with Session(site.engine) as session:
        user = session.exec(select(User).where(User.username == username)).one()
        assert user.id is not None
        uploads = {
            material: [_upload(site, session, user.id, data).id]
            for material, data in (documents or {}).items()
        }
        case, _ = await submit(
            session,
            site.temporal,
            catalog,
            user.id,
            "newborn",
            {**example_form("newborn", 1, catalog), "baby_name": "王小雨"},
            queues=site.settings.queues,
            registries=EmbeddedRegistries(),
            identity=Identity(**DEMO_IDENTITIES["applicant"]),
            documents=uploads,
        )

    def task_open() -> int | None:
        with Session(site.engine) as session:
            row = session.exec(
                select(CaseItem).where(
                    CaseItem.case_id == case.id, CaseItem.item == "household_registration"
                )
            ).one()
            return row.id if row.status == "awaiting_review" else None

    await wait_until(task_open, timeout=30, what="household registration task")
    return case.id


def _upload(site: Site, session: Session, owner_id: int, data: bytes) -> Document:
    settings = site.settings
    document = save_upload(
        session,
        store_of(settings),
        sealed.keyring(),
        owner_id,
        data,
        "结婚证.pdf",
        settings.document_max_bytes,
        settings.document_max_pending,
    )
    session.commit()
    return document


async def test_the_clerk_opens_the_documents_of_their_item_only(site: Site, visit) -> None:
    applicant = site.user(Role.applicant, **DEMO_IDENTITIES["applicant"])
    clerk = site.user(Role.clerk, "public-security")
    stranger = site.user(Role.clerk, "medical-insurance")  # none of its items asks for it
    case_id = await _newborn_case(site, applicant, {"marriage_certificate": PDF})
    with Session(site.engine) as session:
        case = session.get(Case, case_id)
        assert case is not None and case.number
        number = case.number

    desk = await visit()
    await desk.sign_in(clerk)
    await desk.goto("/inbox")
    row = desk.page.locator(f'tr[data-case="{case_id}"]')
    assert number in await row.inner_text()  # the number, not a piece of the id
    await desk.page.click(f'tr[data-case="{case_id}"] a')
    await desk.page.wait_for_url("**/inbox/tasks/*")
    assert await desk.page.locator("#case-number").inner_text() == number
    link = desk.page.locator("#task-documents a")
    assert await link.inner_text() == "结婚证.pdf"
    href = await link.get_attribute("href")
    assert href is not None
    opened = await desk.page.request.get(site.url + href)
    assert opened.ok and await opened.body() == PDF
    await desk.shot("task-04-documents")

    other = await visit()
    await other.sign_in(stranger)
    refused = await other.page.request.get(site.url + href)
    assert refused.status == 404
    with Session(site.engine) as session:
        views = session.exec(
            select(AuditEvent.outcome).where(
                AuditEvent.action == "document.view",
                col(AuditEvent.actor_name).in_([clerk, stranger]),
            )
        ).all()
    assert sorted(views) == ["failure", "success"]


async def test_clerk_reviews_the_newborn_task(site: Site, visit) -> None:
    applicant = site.user(Role.applicant, **DEMO_IDENTITIES["applicant"])
    clerk = site.user(Role.clerk, "public-security")
    other_clerk = site.user(Role.clerk, "public-security")
    supervisor = site.user(Role.supervisor, "public-security")
    case_id = await _newborn_case(site, applicant)
    row = f'tr[data-case="{case_id}"]'

    # The supervisor sees the backlog and assigns the task.
    lead = await visit()
    await lead.login(supervisor, shot="inbox-00-login")
    assert lead.page.url.endswith("/inbox")
    await lead.shot("inbox-01-supervisor-backlog")
    assert "科室任务总览" in await lead.page.locator("#team").inner_text()
    task_row = lead.page.locator(row)
    assert "出生登记（户口登记）" in await task_row.inner_text()
    await task_row.locator("select[name=assignee]").select_option(clerk)
    await lead.submit(f"{row} form button")
    await lead.shot("inbox-02-supervisor-assigned")
    assert "已分派" in await lead.page.locator(".flash").inner_text()
    assert clerk in await lead.page.locator(row).inner_text()

    # Another clerk of the department is refused: the task is held.
    other = await visit()
    await other.sign_in(other_clerk)
    await other.goto("/inbox")
    await other.shot("inbox-05-other-clerk")
    await other.page.click(f"{row} a")
    await other.page.wait_for_url("**/inbox/tasks/*")
    await other.submit("#claim")
    await other.shot("task-01-claim-refused")
    refused = await other.page.locator("#refusal").inner_text()
    assert f"该任务已由 {clerk} 领取" in refused

    # The clerk's inbox: the task, its deadline and the working time left.
    desk = await visit()
    await desk.sign_in(clerk)
    await desk.goto("/inbox")
    await desk.shot("inbox-03-clerk")
    mine = desk.page.locator(row)
    assert "个工作日" in await mine.inner_text()
    await desk.page.click(f"{row} a")
    await desk.page.wait_for_url("**/inbox/tasks/*")
    task_url = desk.page.url
    await desk.shot("task-02-clerk-task")
    shown = await desk.page.locator("#task-fields").inner_text()
    assert "王小雨" in shown and "户主姓名" in shown
    # Other items' fields are not shown (the bank account, the birth weight, the hospital).
    page_text = await desk.page.locator("main").inner_text()
    for hidden in ("母亲社保银行账户", "6222020200112233446", "出生体重", "助产机构"):
        assert hidden not in page_text
    assert "出生医学证明编号" in await desk.page.locator("#task-upstream").inner_text()

    # A supplement: the baby's name is asked again.
    await desk.page.check('#supplement-form input[value="baby_name"]')
    await desk.page.fill("#note", "姓名与出生医学证明不一致")
    await desk.submit("#ask-supplement")
    await desk.shot("inbox-06-clerk-asked-supplement")
    assert "已要求申请人补正" in await desk.page.locator(".flash").inner_text()

    person = await visit()
    await person.sign_in(applicant)
    await person.goto(f"/cases/{case_id}")
    form = person.page.locator("#supplement-household_registration")

    async def asked() -> bool:
        return await form.count() > 0

    await person.reload_until(asked, "the supplement form")
    await person.shot("case-01-supplement-asked")
    assert "姓名与出生医学证明不一致" in await form.inner_text()
    assert await form.locator('[name="baby_name"]').input_value() == "王小雨"
    assert await form.locator('[name="mother_name"]').count() == 0  # exactly what was asked
    await form.locator('[name="baby_name"]').fill("")
    await person.submit("#supplement-household_registration button[type=submit]")
    await person.shot("case-02-supplement-invalid")
    error = person.page.locator('#supplement-household_registration .field[data-field="baby_name"]')
    assert "内容不能为空" in await error.locator(".error").inner_text()
    await person.page.fill('#supplement-household_registration [name="baby_name"]', "王小语")
    await person.submit("#supplement-household_registration button[type=submit]")
    await person.shot("case-03-supplemented")
    assert "补正已提交" in await person.page.locator(".flash").inner_text()

    # Back with the clerk, who approves.
    await desk.goto(task_url.removeprefix(site.url))

    async def open_again() -> bool:
        return await desk.page.locator("#approve").count() > 0

    await desk.reload_until(open_again, "the task open again")
    assert "王小语" in await desk.page.locator("#task-fields").inner_text()
    await desk.shot("task-03-supplemented")
    await desk.submit("#approve")
    assert "已批准" in await desk.page.locator(".flash").inner_text()
    await desk.shot("inbox-04-clerk-approved")
    assert "新的审核任务" in await desk.page.locator("#notifications").inner_text()

    # The applicant's case page shows the registration done and its outputs.
    household = person.page.locator('#items tr[data-item="household_registration"]')
    await person.goto(f"/cases/{case_id}")

    async def registered() -> bool:
        return "已办结" in await household.inner_text()

    await person.reload_until(registered, "the household registration done")
    await person.shot("case-04-progress")
    assert "新生儿公民身份号码" in await household.inner_text()
    assert (
        "请补正：出生登记（户口登记）" in await person.page.locator("#notifications").inner_text()
    )
    progress = await person.page.locator("#progress").inner_text()
    assert progress.startswith("已完成") and not progress.startswith("已完成 0/")


async def test_pages_keep_cases_and_tasks_apart(site: Site, visit) -> None:
    owner = site.user(Role.applicant, **DEMO_IDENTITIES["applicant"])
    stranger = site.user(Role.applicant)
    tax_clerk = site.user(Role.clerk, "tax")
    case_id = await _newborn_case(site, owner)

    nosy = await visit()
    await nosy.sign_in(stranger)
    response = await nosy.page.goto(f"{site.url}/cases/{case_id}")
    assert response is not None and response.status == 404
    await nosy.shot("privacy-01-other-applicants-case")
    assert "王小雨" not in await nosy.page.locator("main").inner_text()
    response = await nosy.page.goto(f"{site.url}/inbox")
    await nosy.shot("privacy-02-applicant-in-the-inbox")
    assert response is not None and response.status == 403

    with Session(site.engine) as session:
        task_id = session.exec(
            select(CaseItem.id).where(
                CaseItem.case_id == case_id, CaseItem.item == "household_registration"
            )
        ).one()
    tax = await visit()
    await tax.sign_in(tax_clerk)
    await tax.goto("/inbox")
    await tax.shot("privacy-03-tax-inbox")
    assert await tax.page.locator(f'tr[data-case="{case_id}"]').count() == 0
    response = await tax.page.goto(f"{site.url}/inbox/tasks/{task_id}")
    assert response is not None and response.status == 404
    await tax.shot("privacy-04-other-departments-task")
