"""Domain validation through the API: an account bound to a resident ID number may apply for
a newborn only as the mother or the father; control characters, impossible birth dates,
non-county division codes and cross-field contradictions are refused in the project's error
format (422, every problem located, zh-CN and English, with a fix), leaving nothing behind."""

import uuid
from typing import Any

import httpx
import pytest
from sqlmodel import Session

from forms.unified import compile_form
from store.models import Role
from store.users import add_user
from tests.helpers import (
    PASSWORD,
    Account,
    Api,
    count_cases,
    newborn_form,
    resident_id,
    unique,
    workflow_exists,
)
from tests.helpers import case_id_for as case_of

pytestmark = pytest.mark.timeout(60)
MOTHER = newborn_form()["mother_id"]
FATHER = newborn_form()["father_id"]
STRANGER = resident_id("110105", "19640815", 3)


async def bound_account(api: Api, resident: str) -> Account:
    """A new applicant whose account carries a verified resident ID number."""
    username = unique("applicant-bound")
    with Session(api.engine) as session:
        user = add_user(session, username, PASSWORD, Role.applicant, resident_id=resident)
    return Account(user, PASSWORD, await api.login(username, PASSWORD))


async def submit(api: Api, who: Account, form: dict[str, Any]) -> tuple[httpx.Response, str]:
    key = str(uuid.uuid4())
    return await api.submit(who, form, key=key), key


def problems_of(response: httpx.Response) -> list[tuple[str, str]]:
    """The (loc, code) of every problem, each checked to be complete in both languages."""
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"] == "invalid_form"
    assert body["message"]["zh"] and body["message"]["en"]
    for problem in body["problems"]:
        for part in ("message", "fix"):
            assert problem[part]["zh"] and problem[part]["en"], problem
            assert problem[part]["zh"] != problem[part]["en"], problem
    return [(p["loc"], p["code"]) for p in body["problems"]]


async def nothing_left(api: Api, who: Account, key: str) -> None:
    assert count_cases(api.engine, who.id) == 0
    assert not await workflow_exists(api.temporal, case_of(who.id, key))


async def test_a_bound_applicant_applies_only_as_the_mother_or_the_father(api: Api) -> None:
    stranger = await bound_account(api, STRANGER)
    refused, key = await submit(api, stranger, newborn_form())
    assert problems_of(refused) == [
        ("form.mother_id", "applicant_not_named"),
        ("form.father_id", "applicant_not_named"),
    ]
    assert STRANGER not in refused.text and MOTHER not in refused.text  # no ID echoed
    await nothing_left(api, stranger, key)

    # Named as the mother, the same account applies.
    form = compile_form("newborn", 1).for_applicant(newborn_form(), STRANGER)
    accepted, _ = await submit(api, stranger, form)
    assert accepted.status_code == 201, accepted.text

    father = await bound_account(api, FATHER)
    accepted, _ = await submit(api, father, newborn_form())
    assert accepted.status_code == 201, accepted.text


async def test_an_account_without_a_resident_id_is_not_bound(api: Api) -> None:
    anyone = await api.account(Role.applicant)
    accepted, _ = await submit(api, anyone, newborn_form())
    assert accepted.status_code == 201, accepted.text


def test_an_account_is_bound_only_to_a_valid_resident_id(api: Api) -> None:
    with Session(api.engine) as session:
        for bad in ("500103199803071228", resident_id("110105", "20990101", 1), "x"):
            with pytest.raises(ValueError, match="resident ID"):
                add_user(session, unique("applicant"), PASSWORD, Role.applicant, resident_id=bad)
        user = add_user(
            session,
            unique("applicant"),
            PASSWORD,
            Role.applicant,
            resident_id=" 11010519880312009x",
        )
        assert user.resident_id == "11010519880312009X"


# name -> (form changes, the problems expected)
REFUSED: dict[str, tuple[dict[str, Any], list[tuple[str, str]]]] = {
    "NUL in a name": ({"baby_name": "王小\x00明"}, [("form.baby_name", "control_character")]),
    "ESC in an address": (
        {"household_address": "重庆市\x1b[2J渝中区"},
        [("form.household_address", "control_character")],
    ),
    "BEL in a hospital": (
        {"birth_hospital": "医院\x07"},
        [("form.birth_hospital", "control_character")],
    ),
    "a line break in a one-line field": (
        {"mother_name": "李\n芳"},
        [("form.mother_name", "line_break")],
    ),
    "a parent born in 2099": (
        {"father_id": resident_id("110105", "20990512", 15)},
        [("form.father_id", "resident_id_birth_future")],
    ),
    "a province as the county": (
        {"household_division": "500000"},
        [("form.household_division", "division_not_county")],
    ),
    "the father is the mother": (
        {"father_id": MOTHER},
        [("form.father_id", "rule_different")],
    ),
    "a baby born before its parents": (
        {"baby_birth_date": "1950-01-01"},
        [("form.baby_birth_date", "rule_before")] * 2,
    ),
}


async def test_domain_refusals_in_the_error_format(api: Api, subtests: pytest.Subtests) -> None:
    applicant = await api.account(Role.applicant)
    for name, (changes, expected) in REFUSED.items():
        with subtests.test(name):
            response, key = await submit(api, applicant, newborn_form(**changes))
            assert problems_of(response) == expected
            await nothing_left(api, applicant, key)


async def test_control_characters_in_reasons_are_refused(api: Api) -> None:
    applicant = await api.account(Role.applicant)
    created, _ = await submit(api, applicant, newborn_form())
    assert created.status_code == 201, created.text
    withdraw = await api.http.post(
        f"/api/v1/cases/{created.json()['id']}/withdraw",
        json={"reason": "不办了\x00"},
        headers=applicant.headers,
    )
    clerk = await api.account(Role.clerk, "public-security")
    decide = await api.decide(clerk, 1, "reject", reason="材料不符\x07", reason_code="x")
    for response in (withdraw, decide):
        assert response.status_code == 422, response.text
        problems = response.json()["problems"]
        assert [(p["loc"], p["code"]) for p in problems] == [("body.reason", "control_character")]
        assert "U+00" in problems[0]["fix"]["en"] and "U+00" in problems[0]["fix"]["zh"]
    assert (await api.case(applicant, created.json()["id"]))["status"] != "withdrawn"
