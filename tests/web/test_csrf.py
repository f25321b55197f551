"""Form posts must carry their page's CSRF token: without it nothing is done (403)."""

import re

import httpx

from routers.deps import TOKEN_COOKIE
from store.models import Role
from tests.helpers import PASSWORD, newborn_form
from tests.web.conftest import Site
from web.csrf import CSRF_COOKIE, CSRF_FIELD

TOKEN = re.compile(rf'name="{CSRF_FIELD}" value="([^"]+)"')
REFUSED = "表单已失效或并非从本站提交，未作任何处理"


async def page_token(browser: httpx.AsyncClient) -> str:
    """The token in the forms of the sign-in page (it has one form at least)."""
    found = TOKEN.search((await browser.get("/login")).text)
    assert found is not None
    return found.group(1)


async def test_signing_in_takes_the_token_of_the_sign_in_page(site: Site) -> None:
    username = site.user(Role.applicant)
    credentials = {"username": username, "password": PASSWORD}
    async with httpx.AsyncClient(base_url=site.url) as browser:
        forged = await browser.post("/login", data=credentials)
        assert forged.status_code == 403 and REFUSED in forged.text
        assert TOKEN_COOKIE not in browser.cookies

        token = await page_token(browser)
        assert browser.cookies[CSRF_COOKIE] == token
        wrong = await browser.post("/login", data={**credentials, CSRF_FIELD: token[::-1]})
        assert wrong.status_code == 403 and TOKEN_COOKIE not in browser.cookies

        signed_in = await browser.post("/login", data={**credentials, CSRF_FIELD: token})
        assert signed_in.status_code == 303 and TOKEN_COOKIE in browser.cookies
        assert await page_token(browser) == token  # one token per browser, not per page


async def test_a_forged_withdrawal_is_refused_and_the_case_goes_on(site: Site) -> None:
    """Another site makes the signed-in applicant's browser post: its cookies go along, the
    page's token does not."""
    username = site.user(Role.applicant)
    async with httpx.AsyncClient(base_url=site.url) as browser:
        login = await browser.post(
            "/api/v1/auth/token", data={"username": username, "password": PASSWORD}
        )
        bearer = {"Authorization": f"Bearer {login.json()['access_token']}"}
        created = await browser.post(
            "/api/v1/cases", json={"scenario": "newborn", "form": newborn_form()}, headers=bearer
        )
        assert created.status_code == 201, created.text
        case_id = created.json()["id"]
        page = await browser.get("/login")
        token = TOKEN.search(page.text).group(1)  # type: ignore[union-attr]
        await browser.post(
            "/login", data={"username": username, "password": PASSWORD, CSRF_FIELD: token}
        )
        assert TOKEN_COOKIE in browser.cookies and CSRF_COOKIE in browser.cookies

        forged = await browser.post(f"/cases/{case_id}/withdraw", data={"reason": "forged"})
        assert forged.status_code == 403 and REFUSED in forged.text
        case = await browser.get(f"/api/v1/cases/{case_id}", headers=bearer)
        assert case.json()["status"] not in ("withdrawn", "cancelled")
        events = await browser.get(f"/cases/{case_id}")
        assert "forged" not in events.text
