"""The applicant's pages in Chromium: services, notice (HTML and PDF), the unified form with
prefilled values and inline errors, the case page; the English switch."""

import io
import re

import httpx
import pytest
from pypdf import PdfReader
from sqlmodel import Session, select

from catalog.loader import get_catalog
from routers.deps import TOKEN_COOKIE
from security.sign_in import web_token
from store.models import Document, Role, User
from store.users import DEMO_IDENTITIES
from tests.documents.stored import PDF
from tests.helpers import Api, count_cases, item_status, newborn_form
from tests.receipts.pdfs import text_of
from tests.web.axe import assert_accessible
from tests.web.conftest import Site
from tests.web.pages import fill_form, recent
from tests.web.test_form_validation import signed_in

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]
CASE_URL = re.compile(r"/cases/([A-Z]{2,6}-\d{8}-\d{6,})\?")  # the case's number


def _user_id(site: Site, username: str) -> int:
    with Session(site.engine) as session:
        user = session.exec(select(User).where(User.username == username)).one()
        assert user.id is not None
        return user.id


async def test_newborn_case_submitted_through_the_browser(site: Site, visit) -> None:
    catalog = get_catalog(site.settings.catalog_dir)
    username = site.user(Role.applicant, **DEMO_IDENTITIES["applicant"])
    v = await visit()
    page = v.page

    await v.goto("/")
    await v.shot("newborn-01-scenarios")
    card = page.locator('section.scenario[data-code="newborn"]')
    await card.wait_for()
    assert "新生儿出生一件事" in await card.inner_text()

    await card.locator("a", has_text="在线申报").click()
    await page.wait_for_url(re.compile(r"/login\?next="))
    await v.shot("newborn-02-login")
    await page.fill("#username", username)
    await page.fill("#password", "correct horse battery staple")
    async with page.expect_navigation():
        await page.click("button[type=submit]")
    assert page.url.endswith("/scenarios/newborn/apply")

    # Prefilled from the population registry, marked as such.
    mother = page.locator('.field[data-field="mother_name"]')
    assert await page.locator('[name="mother_name"]').input_value() == "李芳"
    assert "已预填（来自人口基础信息库）" in await mother.locator(".prefilled").inner_text()
    assert await page.locator('[name="father_id"]').input_value() == "500103199705120015"
    assert await page.locator('.field[data-field="baby_name"] .prefilled').count() == 0
    await v.shot("newborn-03-form-prefilled")

    # One broken field: the bank card number's check digit.
    values = {
        "baby_name": "王小雨",
        "baby_sex": "female",
        "baby_birth_date": recent(),
        "birth_weight_g": 3250,
        "mother_bank_account": "6222020200112233445",
    }
    await fill_form(page, catalog, "newborn", values)
    # A material the registries do not hold, as a file (the page works without JavaScript).
    assert await page.locator("#materials input[type=file]").count() >= 1
    await page.set_input_files(
        "#file-discharge_summary",
        files=[{"name": "出院小结.pdf", "mimeType": "application/pdf", "buffer": PDF}],
    )
    await v.submit("#submit")
    await v.shot("newborn-04-form-error")
    assert page.url.endswith("/scenarios/newborn/apply")
    error = page.locator('.field[data-field="mother_bank_account"] .error')
    assert "母亲社保银行账户的校验位不正确" in await error.inner_text()
    summary = page.locator("#form-problems")
    assert "申请有 1 处需要修改" in await summary.inner_text()
    # The summary has the focus; its link lands on the field.
    assert await page.evaluate("document.activeElement.id") == "form-problems"
    await summary.locator('a[href="#f-mother_bank_account"]').click()
    assert await page.evaluate("document.activeElement.id") == "f-mother_bank_account"
    assert await page.locator('[name="baby_name"]').input_value() == "王小雨"  # kept
    assert await page.locator('[name="baby_sex"]').input_value() == "female"
    assert count_cases(site.engine, _user_id(site, username)) == 0
    # The file stored with the first post is kept: no second upload.
    discharge = page.locator('.field[data-material="discharge_summary"]')
    assert "已上传：出院小结.pdf" in await discharge.inner_text()

    await page.fill('[name="mother_bank_account"]', "6222020200112233446")
    await v.submit("#submit")
    # The answers to check, then the submission.
    assert "核对填写内容" in await page.locator("h1").inner_text()
    answers = page.locator('.answer[data-field="baby_name"]')
    assert "王小雨" in await answers.inner_text()
    assert "出院小结.pdf" in await page.locator("#review-documents").inner_text()
    await v.shot("newborn-04b-check-answers")
    await assert_accessible(page)
    assert count_cases(site.engine, _user_id(site, username)) == 0
    await v.submit("#submit")
    match = CASE_URL.search(page.url)
    assert match, page.url
    number = match.group(1)
    assert await page.locator("#case-number").inner_text() == number
    assert "申请已提交" in await page.locator(".flash").inner_text()
    # The acceptance receipt, right after submitting, names the number and the file.
    href = await page.locator("#receipt").get_attribute("href")
    assert href == f"/cases/{number}/receipt.pdf"
    receipt = await page.request.get(site.url + href)
    assert receipt.ok and receipt.headers["content-type"] == "application/pdf"
    text = text_of(await receipt.body())
    assert number in text and "出院小结.pdf" in text
    with Session(site.engine) as session:
        [document] = session.exec(select(Document).where(Document.material == "discharge_summary"))
        assert document.owner_id == _user_id(site, username) and document.case_id is not None
    assert "新生儿出生一件事" in await page.locator("h1").inner_text()
    assert await page.locator("#items tbody tr").count() == 10
    # The automatic items run at once; the household registration waits for the police.
    household = page.locator('#items tr[data-item="household_registration"]')

    async def under_review() -> bool:
        return "部门审核中" in await household.inner_text()

    await v.reload_until(under_review, "the household registration under review")
    assert "公安局" in await household.inner_text()
    assert "出生医学证明编号" in await page.locator("#items").inner_text()
    assert "逐项办理" in await page.locator("#measures").inner_text()
    await v.shot("newborn-05-case")


async def test_restaurant_case_submitted_through_the_browser(site: Site, visit) -> None:
    catalog = get_catalog(site.settings.catalog_dir)
    username = site.user(Role.applicant, **DEMO_IDENTITIES["business"])
    v = await visit()
    page = v.page
    await v.login(username, "/scenarios/open_restaurant/apply", shot="restaurant-00-login")
    assert page.url.endswith("/scenarios/open_restaurant/apply")
    assert (
        await page.locator('[name="enterprise_name"]').input_value() == "重庆山城小面餐饮有限公司"
    )
    assert (
        "已预填（来自法人基础信息库）"
        in await page.locator('.field[data-field="enterprise_name"] .prefilled').inner_text()
    )
    # The signboard's text is asked only when the applicant wants a signboard.
    signboard = page.locator('.field[data-field="signboard_text"]')
    assert not await signboard.is_visible()
    await v.shot("restaurant-01-form")
    await page.check('[name="install_signboard"]')
    assert await signboard.is_visible()
    await fill_form(page, catalog, "open_restaurant", {"sell_tobacco": False})
    await v.shot("restaurant-02-form-filled")
    await v.submit("#submit")
    # "Change" goes back to the field with the answers kept.
    await v.submit('.answer[data-field="enterprise_name"] button')
    assert await page.locator('[name="sell_tobacco"]').is_checked() is False
    assert await page.locator('[name="install_signboard"]').is_checked()
    await v.submit("#submit")
    await v.submit("#submit")
    assert CASE_URL.search(page.url), page.url
    await v.shot("restaurant-03-case")
    assert "开办餐饮店一件事" in await page.locator("h1").inner_text()
    items = page.locator("#items")
    assert await items.locator('tr[data-item="outdoor_signboard"]').count() == 1
    assert await items.locator('tr[data-item="tobacco_retail_licence"]').count() == 0

    # The reviews are pending: the applicant withdraws the case.
    case_url = page.url.split("?")[0]
    page.once("dialog", lambda dialog: dialog.accept())
    await page.fill("#withdraw-reason", "改为下月开业")
    await v.submit("form[action$='/withdraw'] button")
    assert "申请已撤回" in await page.locator(".flash").inner_text()
    await page.goto(case_url)  # without the flash

    async def withdrawn() -> bool:
        return "已撤回" in await page.locator("#case-status").inner_text()

    await v.reload_until(withdrawn, "the case withdrawn")
    await v.shot("restaurant-04-withdrawn")
    assert "改为下月开业" in await page.locator("main").inner_text()

    await v.goto("/cases")
    await v.shot("restaurant-05-my-cases")
    assert await page.locator("tr[data-case]").count() == 1


async def test_english_switch_is_remembered(site: Site, visit) -> None:
    v = await visit()
    page = v.page
    await v.goto("/")
    await v.shot("english-00-scenarios-zh")
    assert await page.locator("html").get_attribute("lang") == "zh-CN"
    assert "办事指南" in await page.locator("h1").inner_text()
    async with page.expect_navigation():
        await page.click("a[lang=en]")
    await v.shot("english-01-scenarios")
    assert await page.locator("html").get_attribute("lang") == "en"
    assert "services" in await page.locator("h1").inner_text()
    # Remembered: the next page, without ?lang, is English too.
    await v.goto("/scenarios/newborn/notice")
    await v.shot("english-02-notice")
    assert "Newborn birth · Notice of everything needed" in await page.locator("h1").inner_text()
    assert "Fetched from registries" in await page.locator(".summary").inner_text()
    await v.goto("/login")
    await v.shot("english-03-login")
    assert await page.locator("button[type=submit]").inner_text() == "Sign in"
    async with page.expect_navigation():
        await page.click("a[lang=zh-CN]")
    await v.shot("english-04-login-zh")
    assert "登录" in await page.locator("h1").inner_text()


async def test_notice_page_and_pdf(site: Site, visit) -> None:
    v = await visit()
    page = v.page
    await v.goto("/scenarios/newborn/notice")
    await v.shot("notice-01-newborn")
    table = page.locator("table.notice-items")
    assert await table.locator("tbody tr").count() == 10
    household = await table.locator('tr[data-item="household_registration"]').inner_text()
    assert "公安局" in household
    assert "共享库调取" in household  # the household register comes from the population registry
    assert "由“出生医学证明首次签发”产出" in household
    async with page.expect_download(timeout=60_000) as info:  # weasyprint: seconds of CPU
        await page.click("#notice-pdf")
    download = await info.value
    assert download.suggested_filename == "新生儿出生一件事-一次告知书.pdf"
    text = "".join(
        p.extract_text() for p in PdfReader(io.BytesIO((await download.path()).read_bytes())).pages
    )
    assert "新生儿出生一件事" in text
    assert "一次告知书" in text

    await v.goto("/scenarios/open_restaurant/notice")
    await v.shot("notice-02-restaurant")
    signboard = await table.locator('tr[data-item="outdoor_signboard"]').inner_text()
    assert "当“设置户外招牌”为“是”时办理" in signboard


async def test_my_cases_name_the_subject_flag_actions_and_offer_to_apply_again(
    site: Site,
) -> None:
    """A case waiting for the applicant's supplement is flagged and counted; a rejection
    shows its category and the next steps, and "apply again" opens the form filled with the
    rejected case's answers, for its applicant only."""
    async with httpx.AsyncClient(base_url=site.url, timeout=30) as http:
        api = Api(http, site.engine, site.settings, site.temporal)
        applicant = await api.account(Role.applicant)
        clerk = await api.account(Role.clerk, "public-security")
        waiting = (await api.submit(applicant, newborn_form(baby_name="王小雨"))).json()["id"]
        rejected = (await api.submit(applicant, newborn_form(baby_name="李安然"))).json()["id"]
        for case_id, body in (
            (
                waiting,
                {
                    "decision": "supplement",
                    "supplement": {"fields": ["baby_name"], "note": "姓名与出生医学证明不符"},
                },
            ),
            (
                rejected,
                {
                    "decision": "reject",
                    "reason_code": "materials_inconsistent",
                    "reason": "出生医学证明与户主信息不一致",
                },
            ),
        ):
            await api.wait_for_review(applicant, case_id)
            task = await api.open_task(clerk, case_id)
            assert (await api.claim(clerk, task["id"])).status_code == 200
            decided = await http.post(
                f"/api/v1/tasks/{task['id']}/decision", json=body, headers=clerk.headers
            )
            assert decided.status_code == 200, decided.text
        await api.wait_case(applicant, rejected, lambda c: c["status"] == "rejected")
        await api.wait_case(
            applicant,
            waiting,
            lambda c: item_status(c, "household_registration") == "awaiting_supplement",
        )
        numbers = {c: (await api.case(applicant, c))["number"] for c in (waiting, rejected)}

    cookie = {TOKEN_COOKIE: web_token(applicant.user, site.settings)}
    async with httpx.AsyncClient(base_url=site.url, cookies=cookie, timeout=30) as browser:
        cases = (await browser.get("/cases")).text
        row = re.search(rf'<tr data-case="{waiting}" class="action-needed">(.*?)</tr>', cases, re.S)
        assert row is not None and "需要您处理" in row.group(1)
        assert '<td data-label="办理对象" class="subject">王**</td>' in row.group(1)  # masked
        assert "王小雨" not in cases
        other = re.search(rf'<tr data-case="{rejected}">(.*?)</tr>', cases, re.S)
        assert other is not None and "李**" in other.group(1)
        assert '<span class="tag action" id="actions-count">1 件需要您处理</span>' in cases

        page = (await browser.get(f"/cases/{numbers[waiting]}")).text
        assert 'id="action-needed"' in page and 'id="apply-again"' not in page

        page = (await browser.get(f"/cases/{numbers[rejected]}?lang=en")).text
        assert '<dd id="case-rejection">Materials do not match the form</dd>' in page
        assert "administrative reconsideration" in page
        again = f"/scenarios/newborn/apply?from={numbers[rejected]}"
        assert f'href="{again}"' in page
        form = (await browser.get(again + "&lang=zh")).text
        assert 'name="baby_name" value="李安然"' in form and "已按上次申请的内容预填" in form

    stranger = site.user(Role.applicant)
    async with httpx.AsyncClient(base_url=site.url) as browser:
        await signed_in(browser, stranger)
        assert (await browser.get(again)).status_code == 404
