"""The apply form carries a key of its own per render: the same rendered form posted twice
(a double click, a browser retry) makes one case; two renders make two keys."""

import asyncio
import re

import httpx
import pytest
from sqlmodel import Session, select

from routers.deps import TOKEN_COOKIE
from security.sign_in import web_token
from store.models import Case, Role, User
from tests.helpers import case_id_for, count_cases, newborn_form
from tests.web.conftest import Site
from web.csrf import CSRF_FIELD

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(60)]
KEY = re.compile(r'name="idempotency_key" value="([^"]+)"')
CSRF = re.compile(rf'name="{CSRF_FIELD}" value="([^"]+)"')


def user_of(site: Site, username: str) -> User:
    with Session(site.engine) as session:
        return session.exec(select(User).where(User.username == username)).one()


def hidden(pattern: re.Pattern[str], page: str) -> str:
    found = pattern.search(page)
    assert found is not None, pattern.pattern
    return found.group(1)


async def test_the_same_rendered_form_posted_twice_makes_one_case(site: Site) -> None:
    user = user_of(site, site.user(Role.applicant))
    assert user.id is not None
    async with httpx.AsyncClient(base_url=site.url, timeout=30) as browser:
        browser.cookies.set(TOKEN_COOKIE, web_token(user, site.settings))  # signed in
        pages = [(await browser.get("/scenarios/newborn/apply")).text for _ in range(2)]
        keys = [hidden(KEY, page) for page in pages]
        assert keys[0] != keys[1] and all(len(k) >= 32 for k in keys)
        form = {k: str(v) for k, v in newborn_form().items()}
        posted = {**form, CSRF_FIELD: hidden(CSRF, pages[0]), "idempotency_key": keys[0]}

        double_click = await asyncio.gather(
            *(browser.post("/scenarios/newborn/apply", data=posted) for _ in range(2))
        )
        retried = await browser.post("/scenarios/newborn/apply", data=posted)
        # the key of a submitted form reused for another one (back, edit, submit): refused,
        # and the form comes back with a new key, so the applicant can submit it
        changed = {**posted, "contact_phone": "13900139000"}
        reused = await browser.post("/scenarios/newborn/apply", data=changed)
        assert reused.status_code == 422 and "该幂等键已用于另一份不同的申请" in reused.text
        assert hidden(KEY, reused.text) not in keys
    answers = [*double_click, retried]
    assert [r.status_code for r in answers] == [303] * 3, [r.text[:200] for r in answers]
    with Session(site.engine) as session:
        case = session.get(Case, case_id_for(user.id, keys[0]))
        assert case is not None and case.number is not None
    assert {r.headers["location"].split("?")[0] for r in answers} == {f"/cases/{case.number}"}
    assert count_cases(site.engine, user.id) == 1
