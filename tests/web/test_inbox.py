"""The department's pages in Chromium: the supervisor's backlog and assignment, a refused
claim, the clerk's inbox and task page (only the item's data), a supplement round trip
through the applicant's case page, the approval, and the applicant seeing the progress; the
inbox's pages, orders, search by case number and closed tasks' outcomes; a rejection's
reason and the confirmation of a decision; display names."""

import random
import string
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, col, select

from cases.submission import submit
from catalog.loader import get_catalog
from documents.records import save_upload
from documents.vault import store_of
from domain.statuses import ItemStatus
from forms.prefill import Identity
from forms.unified import example_form
from registries.embedded import EmbeddedRegistries
from store import sealed
from store.models import AuditEvent, Case, CaseItem, Document, Role, User
from store.users import DEMO_IDENTITIES
from tests.cases.conftest import open_police_task
from tests.documents.stored import PDF
from tests.helpers import wait_until
from tests.web.conftest import Site

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(150)]


def inbox_of(site: Site, case_id: str) -> str:
    """The inbox searched for one case by its number: the session's shared read model holds
    more open tasks than a page shows."""
    with Session(site.engine) as session:
        case = session.get(Case, case_id)
        assert case is not None and case.number
        return f"/inbox?case={case.number}"


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
    await desk.goto(inbox_of(site, case_id))
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
    await lead.goto(inbox_of(site, case_id))
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
    await other.goto(inbox_of(site, case_id))
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
    await desk.goto(inbox_of(site, case_id))
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
    assert "请输入新生儿姓名" in await error.locator(".error").inner_text()  # the rule, by name
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
    await desk.page.check("#approve_confirmed")
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


def _named(site: Site, role: Role, department: str, display_name: str) -> str:
    """A new user of `department` shown as `display_name` (a name unlike the username)."""
    username = site.user(role, department)
    with Session(site.engine) as session:
        row = session.exec(select(User).where(User.username == username)).one()
        row.display_name = display_name
        session.add(row)
        session.commit()
    return username


def _numbered_tasks(site: Site, place: str, count: int) -> list[int]:
    """`count` open police tasks of cases numbered `place`-20261201-<n>, all past their due
    date (the last one opened first): their ids, by number."""
    now = datetime.now(UTC)
    ids = []
    with Session(site.engine) as session:
        applicant = session.exec(select(User).where(User.role == Role.applicant)).first()
        assert applicant is not None
        for n in range(1, count + 1):
            number, opened = f"{place}-20261201-{n:06d}", now - timedelta(days=30, hours=n)
            ids.append(
                open_police_task(session, applicant, number, opened, now - timedelta(days=20))
            )
    return ids


async def test_the_inbox_pages_finds_numbers_and_shows_outcomes(site: Site, visit) -> None:
    site.user(Role.applicant)
    clerk = _named(site, Role.clerk, "public-security", "李经办")
    place = "W" + "".join(random.choices(string.ascii_uppercase, k=5))  # this test's cases
    ids = _numbered_tasks(site, place, 53)
    with Session(site.engine) as session:  # two decided long after their due date
        for task_id, status, hours in ((ids[0], ItemStatus.done, 2), (ids[1], "rejected", 1)):
            row = session.get(CaseItem, task_id)
            assert row is not None
            row.status, row.decided_by = ItemStatus(status), clerk
            row.completed_at = datetime.now(UTC) - timedelta(hours=hours)
            session.add(row)
            session.commit()

    desk = await visit()
    await desk.sign_in(clerk)
    await desk.goto(f"/inbox?case={place}")
    rows = desk.page.locator("table.tasks tbody tr")
    assert await rows.count() == 50  # a page of 50, overdue ones past their due date
    assert "超期" in await rows.first.inner_text()
    await desk.shot("inbox-07-first-page")
    await desk.submit("#next-page")
    assert "status=open" in desk.page.url and f"case={place}" in desk.page.url
    assert await rows.count() == 1 and await desk.page.locator("#next-page").count() == 0
    assert "第 2 页" in await desk.page.locator("#page-number").inner_text()
    await desk.submit("#previous-page")
    assert await rows.count() == 50

    await desk.page.select_option("#sort", "case")
    await desk.submit("#task-search button")
    numbers = [await c.inner_text() for c in await rows.locator("td:nth-child(2)").all()]
    assert numbers[:2] == [f"{place}-20261201-000003", f"{place}-20261201-000004"]
    await desk.page.fill("#case", f"{place}-20261201-000042")  # a whole number
    await desk.submit("#task-search button")
    assert await rows.count() == 1
    assert await rows.first.get_attribute("data-task") == str(ids[41])

    await desk.goto(f"/inbox?status=closed&case={place}")
    await desk.shot("inbox-08-closed")
    closed = [await r.inner_text() for r in await rows.all()]
    assert len(closed) == 2
    assert "已驳回" in closed[0] and "已批准" in closed[1]  # last decided first
    for text in closed:
        assert "李经办" in text and clerk not in text and "超期" not in text
    headers = await desk.page.locator("table.tasks thead").inner_text()
    assert "办理结果" in headers and "办结时间" in headers and "剩余" not in headers
    await desk.goto(f"/inbox?status=closed&case={place}&lang=en")
    assert "overdue" not in (await desk.page.locator("table.tasks").inner_text()).lower()
    assert "Rejected" in await rows.first.inner_text()
    for query in ("page=0", "page=10001", "sort=priority", "case=CQ%25"):
        response = await desk.page.goto(f"{site.url}/inbox?{query}")
        assert response is not None and response.status == 422, query


async def test_a_decision_is_confirmed_and_a_rejection_says_why(site: Site, visit) -> None:
    applicant = site.user(Role.applicant, **DEMO_IDENTITIES["applicant"])
    clerk = _named(site, Role.clerk, "public-security", "李经办")
    supervisor = _named(site, Role.supervisor, "public-security", "王科长")
    case_id = await _newborn_case(site, applicant)
    catalog = get_catalog(site.settings.catalog_dir)

    with Session(site.engine) as session:
        case = session.get(Case, case_id)
        assert case is not None and case.number

    lead = await visit()
    await lead.sign_in(supervisor)
    await lead.goto(f"/inbox?case={case.number}")  # the only task of that case
    choice = lead.page.locator(f'tr[data-case="{case_id}"] select[name=assignee]')
    assert await choice.input_value() == ""  # nobody chosen until the supervisor does
    assert await choice.get_attribute("required") is not None
    options = await choice.locator("option").all_inner_texts()
    assert options[0] == "请选择经办人员" and "李经办" in options and clerk not in options
    await lead.page.click(f'tr[data-case="{case_id}"] form button')  # the browser asks first
    assert await choice.evaluate("e => e.validity.valueMissing")
    await choice.select_option(clerk)
    await lead.submit(f'tr[data-case="{case_id}"] form button')
    assert "李经办" in await lead.page.locator(f'tr[data-case="{case_id}"]').inner_text()
    await lead.page.click(f'tr[data-case="{case_id}"] a')
    await lead.page.wait_for_url("**/inbox/tasks/*")
    assert await lead.page.locator("#holder").inner_text() == "李经办"
    assert await lead.page.locator("#assignee").input_value() == ""
    task_path = lead.page.url.removeprefix(site.url)

    desk = await visit()
    await desk.sign_in(clerk)
    await desk.goto(task_path)
    reason = desk.page.locator("#reason")
    assert await reason.get_attribute("required") is not None
    assert await reason.get_attribute("aria-required") == "true"
    labels = await desk.page.locator("#reason_code option").all_inner_texts()
    assert labels[1:] == [label.zh for label in catalog.review.reject_reasons.values()]
    await desk.page.click("#approve")  # not confirmed: the browser keeps the page
    assert await desk.page.locator("#approve_confirmed").evaluate("e => e.validity.valueMissing")
    await desk.shot("task-05-confirm-approval")

    # Without the browser's checks (an old browser), the server says the same in plain words.
    await desk.page.eval_on_selector_all("[required]", "es => es.forEach(e => e.required = false)")
    await desk.page.select_option("#reason_code", "materials_inconsistent")
    await desk.submit("#reject")
    await desk.shot("task-06-reject-without-reason")
    assert await desk.page.locator("#e-reason").inner_text() == "请填写驳回说明：申请人将看到这段话"
    assert await desk.page.locator("#e-reject_confirmed").inner_text() == "请先勾选确认"
    assert await reason.get_attribute("aria-invalid") == "true"
    assert await desk.page.locator("#reason_code").input_value() == "materials_inconsistent"
    page_text = await desk.page.locator("main").inner_text()
    for code in catalog.review.reject_reasons:
        assert code not in page_text
    assert await desk.page.locator("#approve").count() == 1  # still open, nothing decided

    await desk.goto(f"{task_path}?lang=en")
    labels = await desk.page.locator("#reason_code option").all_inner_texts()
    assert labels[1:] == [label.en for label in catalog.review.reject_reasons.values()]
    await desk.page.select_option("#reason_code", "materials_inconsistent")
    await desk.page.fill("#reason", "The certificate names another mother")
    await desk.page.check("#reject_confirmed")
    await desk.submit("#reject")
    assert "rejected" in (await desk.page.locator(".flash").inner_text()).lower()

    await desk.goto(f"/inbox?status=closed&case={case.number}&lang=en")
    row = desk.page.locator(f'tr[data-case="{case_id}"]')
    shown = await row.inner_text()
    assert "Rejected" in shown and "李经办" in shown and "overdue" not in shown.lower()
    await desk.goto(task_path)
    assert await desk.page.locator("#decided-by").inner_text() == "李经办"
