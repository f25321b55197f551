"""One language per API answer when asked (middleware/language.py): `Accept-Language: zh-CN`
or `en` reduces every bilingual text of a JSON answer to that language's key, errors and their
problems included; without the header, or naming neither language, both keys as before."""

from typing import Any

import pytest

from middleware.language import asked_language
from store.models import Role
from tests.helpers import Api, newborn_form

pytestmark = pytest.mark.timeout(60)


@pytest.mark.parametrize(
    "header, lang",
    [
        (None, None),
        ("", None),
        ("*", None),
        ("fr-FR, de;q=0.8", None),
        ("en", "en"),
        ("en-GB,en;q=0.9", "en"),
        ("zh-CN", "zh"),
        ("zh", "zh"),
        ("zh-Hans-CN;q=0.2, zh-CN;q=0.9, en;q=0.5", "zh"),
        ("zh-CN;q=0.3, en;q=0.7", "en"),
        ("en;q=0, zh-CN", "zh"),  # q=0: not acceptable
        ("fr, en;q=0.1", "en"),
    ],
)
def test_the_language_a_header_asks_for(header: str | None, lang: str | None) -> None:
    assert asked_language(header) == lang


def _texts(value: Any) -> list[dict[str, str]]:
    """Every bilingual text of a JSON answer (an object keyed by zh and/or en only)."""
    if isinstance(value, dict):
        if value and value.keys() <= {"zh", "en"}:
            return [value]
        return [text for item in value.values() for text in _texts(item)]
    if isinstance(value, list):
        return [text for item in value for text in _texts(item)]
    return []


async def test_an_error_in_the_language_asked_for(api: Api) -> None:
    both = await api.http.get("/api/v1/cases")
    assert both.status_code == 401
    message = both.json()["message"]
    assert message.keys() == {"zh", "en"} and "content-language" not in both.headers
    assert "accept-language" in both.headers["vary"].lower()

    english = await api.http.get("/api/v1/cases", headers={"Accept-Language": "en-US,en;q=0.8"})
    assert english.status_code == 401
    assert english.json() == {**both.json(), "message": {"en": message["en"]}}
    assert english.headers["content-language"] == "en"
    assert int(english.headers["content-length"]) == len(english.content)

    chinese = await api.http.get("/api/v1/cases", headers={"Accept-Language": "zh-CN"})
    assert chinese.json()["message"] == {"zh": message["zh"]}
    assert chinese.headers["content-language"] == "zh-CN"

    neither = await api.http.get("/api/v1/cases", headers={"Accept-Language": "fr"})
    assert neither.json() == both.json() and "content-language" not in neither.headers


async def test_a_refused_form_locates_its_problems_in_one_language(api: Api) -> None:
    applicant = await api.account(Role.applicant)
    body = {"scenario": "newborn", "form": newborn_form(child_name="")}
    asked = {**applicant.headers, "Accept-Language": "en"}
    refused = await api.http.post("/api/v1/cases", json=body, headers=asked)
    assert refused.status_code == 422, refused.text
    answer = refused.json()
    assert answer["problems"], answer
    texts = _texts(answer)
    assert len(texts) >= 1 + 2 * len(answer["problems"])  # the message, each problem's two
    assert all(text.keys() == {"en"} and text["en"] for text in texts), texts


async def test_the_catalog_in_one_language(api: Api) -> None:
    both = (await api.http.get("/api/v1/scenarios")).json()
    chinese = (await api.http.get("/api/v1/scenarios", headers={"Accept-Language": "zh"})).json()
    assert len(_texts(both)) > 3 and all(t.keys() == {"zh", "en"} for t in _texts(both))
    assert [t["zh"] for t in _texts(both)] == [t["zh"] for t in _texts(chinese)]
    assert all(t.keys() == {"zh"} for t in _texts(chinese))
