"""The web form refuses what the API refuses (the same compiled form): a control character,
and an applicant bound to a resident ID who is neither parent; each problem at its field.
A multi-line field is drawn as a text area."""

import html
import re

import httpx
import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from store.models import Draft, Role, User
from tests.helpers import PASSWORD, count_cases, newborn_form, resident_id
from tests.web.conftest import Site
from web.csrf import CSRF_FIELD

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(60)]
TOKEN = re.compile(rf'name="{CSRF_FIELD}" value="([^"]+)"')


async def signed_in(browser: httpx.AsyncClient, username: str) -> str:
    """Sign in through the page; returns the CSRF token of the browser."""
    found = TOKEN.search((await browser.get("/login")).text)
    assert found is not None
    token = found.group(1)
    response = await browser.post(
        "/login", data={"username": username, "password": PASSWORD, CSRF_FIELD: token}
    )
    assert response.status_code == 303, response.text
    return token


def field_error(page: str, code: str) -> str:
    """The error text drawn under one field of the form."""
    found = re.search(rf'id="e-{code}" role="alert">([^<]*)<', page)
    assert found is not None, f"no error at {code}"
    return found.group(1)


async def test_the_web_form_refuses_control_characters_and_strangers(site: Site) -> None:
    stranger = resident_id("110105", "19640815", 3)
    username = site.user(Role.applicant, resident_id=stranger)
    async with httpx.AsyncClient(base_url=site.url) as browser:
        token = await signed_in(browser, username)
        form = {**newborn_form(baby_name="王小\x1b明"), CSRF_FIELD: token, "idempotency_key": "k1"}
        page = await browser.post("/scenarios/newborn/apply", data=form)
        assert page.status_code == 422
        assert "含有不可见的控制字符" in field_error(page.text, "baby_name")
        for parent in ("mother_id", "father_id"):
            assert "申请人须是表中所列人员之一" in field_error(page.text, parent)
        assert stranger not in page.text

        page = await browser.get("/scenarios/open_company/apply")
        assert re.search(r'<textarea id="f-business_scope" name="business_scope"', page.text)
    with Session(site.engine) as session:
        user = session.exec(select(User).where(User.username == username)).one()
    assert count_cases(site.engine, user.id) == 0


HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')
SUMMARY = re.compile(r'<div class="alert error-summary"[^>]*>(.*?)</div>', re.S)
LINK = re.compile(r'<a href="#([^"]+)">([^<]*)</a>')


def hidden_inputs(page: str) -> dict[str, list[str]]:
    """The hidden inputs of a page as a browser posts them (CSRF token, key, answers)."""
    found: dict[str, list[str]] = {}
    for name, value in HIDDEN.findall(page):
        found.setdefault(name, []).append(html.unescape(value))
    return found


def summary_links(page: str) -> dict[str, str]:
    """The error summary's links: the id each lands on -> its text."""
    found = SUMMARY.search(page)
    assert found is not None, "no error summary"
    return {target: html.unescape(text) for target, text in LINK.findall(found.group(1))}


async def test_an_empty_form_lists_a_specific_message_per_field(site: Site) -> None:
    """The summary links each problem to its field's input, in words naming the field for
    the rule it breaks: choose (a list), enter (a text), a check digit, a date order."""
    username = site.user(Role.applicant)
    async with httpx.AsyncClient(base_url=site.url) as browser:
        token = await signed_in(browser, username)
        empty = {CSRF_FIELD: token, "idempotency_key": "e1", "step": "review"}
        page = await browser.post("/scenarios/newborn/apply", data=empty)
        assert page.status_code == 422
        summary = SUMMARY.search(page.text)
        assert summary is not None
        head = page.text[summary.start() : summary.start() + 300]
        assert 'role="alert"' in head and 'tabindex="-1"' in head and "data-error-summary" in head
        links = summary_links(page.text)
        assert len(links) == 16  # every field of the newborn form is required
        for target in links:  # each link lands on an input of the form
            assert re.search(rf'<(input|select|textarea) id="{target}"', page.text), target
        assert links["f-baby_sex"] == "请选择新生儿性别"
        assert links["f-baby_name"] == "请输入新生儿姓名"
        assert field_error(page.text, "baby_sex") == "请选择新生儿性别"

        english = await browser.post("/scenarios/newborn/apply?lang=en", data=empty)
        links = summary_links(english.text)
        assert links["f-baby_sex"] == "Choose newborn's sex"
        assert links["f-baby_name"] == "Enter newborn's name"

        wrong = newborn_form(
            mother_id="500103199803071228",  # check digit
            baby_birth_date="1990-01-01",  # before the father's birth
            birth_weight_g="99999",  # out of range
            contact_phone="12345",  # pattern
        )
        page = await browser.post("/scenarios/newborn/apply?lang=zh", data={**empty, **wrong})
        links = summary_links(page.text)
        assert links["f-mother_id"].startswith("母亲公民身份号码的校验位不正确：")
        assert links["f-contact_phone"].startswith("请按正确格式输入联系电话：")
        assert links["f-birth_weight_g"].startswith("出生体重（克）超出允许的范围：")
        assert "应晚于" in links["f-baby_birth_date"]  # the rule names both fields
    with Session(site.engine) as session:
        user = session.exec(select(User).where(User.username == username)).one()
    assert count_cases(site.engine, user.id) == 0


async def test_answers_are_checked_then_submitted_once(site: Site) -> None:
    """Posting the form shows the answers to check (nothing submitted); "change" goes back
    with the answers kept; the final submit, even twice, makes one case."""
    username = site.user(Role.applicant)
    async with httpx.AsyncClient(base_url=site.url) as browser:
        token = await signed_in(browser, username)
        form = {**newborn_form(), CSRF_FIELD: token, "idempotency_key": "r1", "step": "review"}
        review = await browser.post("/scenarios/newborn/apply", data=form)
        assert review.status_code == 200, review.text
        assert "核对填写内容" in review.text and "王小明" in review.text
        assert "<dd>男</dd>" in review.text  # a choice as its label
        with Session(site.engine) as session:
            user = session.exec(select(User).where(User.username == username)).one()
        assert count_cases(site.engine, user.id) == 0

        carried = hidden_inputs(review.text)
        assert carried["idempotency_key"] == ["r1"] and carried["baby_name"] == ["王小明"]
        back = await browser.post("/scenarios/newborn/apply", data={**carried, "step": "change"})
        assert back.status_code == 200
        assert 'name="baby_name" value="王小明"' in back.text
        assert 'name="idempotency_key" value="r1"' in back.text

        final = {**carried, "step": "submit"}
        first = await browser.post("/scenarios/newborn/apply", data=final)
        again = await browser.post("/scenarios/newborn/apply", data=final)
        assert first.status_code == again.status_code == 303
        assert first.headers["location"] == again.headers["location"]
    assert count_cases(site.engine, user.id) == 1


async def test_a_draft_is_kept_sealed_resumed_and_dropped_on_submission(site: Site) -> None:
    username = site.user(Role.applicant)
    async with httpx.AsyncClient(base_url=site.url) as browser:
        token = await signed_in(browser, username)
        partial = {CSRF_FIELD: token, "idempotency_key": "d1", "step": "draft"}
        saved = await browser.post(
            "/scenarios/newborn/apply", data={**partial, "baby_name": "王小雨", "x": "y"}
        )
        assert saved.status_code == 303 and saved.headers["location"] == "/cases?msg=draft_saved"
        cases = (await browser.get(saved.headers["location"])).text
        found = re.search(r'href="(/scenarios/newborn/apply\?draft=[0-9a-f-]+)"', cases)
        assert found is not None and "草稿已保存" in cases
        resumed = (await browser.get(found.group(1))).text
        assert 'name="baby_name" value="王小雨"' in resumed and 'id="resumed"' in resumed

        with Session(site.engine) as session:
            owner = session.exec(select(User.id).where(User.username == username)).one()
        with site.engine.connect() as connection:  # sealed at rest: no name in clear
            query = text("SELECT answers FROM draft WHERE owner_id = :owner")
            [answers] = connection.execute(query, {"owner": owner}).scalars()
        assert "王小雨" not in str(answers)
        with Session(site.engine) as session:
            [draft] = session.exec(select(Draft).where(Draft.owner_id == owner))
            assert draft.answers == {"baby_name": "王小雨"}  # only the form's fields

        other = site.user(Role.applicant)
        async with httpx.AsyncClient(base_url=site.url) as stranger:
            await signed_in(stranger, other)
            assert (await stranger.get(found.group(1))).status_code == 404

        for code in ("open_company", "open_restaurant", "retirement", "household_transfer"):
            kept = await browser.post(f"/scenarios/{code}/apply", data=partial)
            assert kept.status_code == 303
        refused = await browser.post("/scenarios/school_enrolment/apply", data=partial)
        assert refused.status_code == 422 and "草稿已达 5 份上限" in refused.text

        form = {**newborn_form(), CSRF_FIELD: token, "idempotency_key": "d1", "step": "submit"}
        assert (await browser.post("/scenarios/newborn/apply", data=form)).status_code == 303
    with Session(site.engine) as session:
        assert {d.scenario for d in session.exec(select(Draft).where(Draft.owner_id == owner))} == {
            "open_company",
            "open_restaurant",
            "retirement",
            "household_transfer",
        }
