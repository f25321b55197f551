"""The web form refuses what the API refuses (the same compiled form): a control character,
and an applicant bound to a resident ID who is neither parent; each problem at its field.
A multi-line field is drawn as a text area."""

import re

import httpx
import pytest
from sqlmodel import Session, select

from store.models import Role, User
from tests.helpers import PASSWORD, count_cases, newborn_form, resident_id
from tests.web.conftest import Site
from web.csrf import CSRF_FIELD

pytestmark = pytest.mark.timeout(60)
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
