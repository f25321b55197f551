"""The newborn unified form: its example validates; each bad field gets a located,
bilingual problem with a fix."""

from datetime import datetime, timedelta
from typing import Any

import pytest

from catalog.calendar import CHINA_TZ
from forms.unified import FormInvalid, compile_form
from tests.helpers import newborn_form, resident_id


def problems(**changes: Any) -> list[dict[str, Any]]:
    form = newborn_form(**changes)
    for field, value in changes.items():
        if value is None:
            del form[field]
    with pytest.raises(FormInvalid) as invalid:
        compile_form("newborn", 1).validate(form)
    return [p.model_dump() for p in invalid.value.problems]


def the_problem(**changes: Any) -> dict[str, Any]:
    """The one problem `changes` cause, checked to be complete in both languages."""
    found = problems(**changes)
    assert len(found) == 1, found
    problem = found[0]
    for text in (problem["message"], problem["fix"]):
        assert text["zh"] and text["en"], problem
        assert text["zh"] != text["en"], problem
        assert "{" not in text["zh"] + text["en"], f"unfilled placeholder: {problem}"
    return problem


def test_the_example_validates() -> None:
    form = compile_form("newborn", 1)
    example = form.example()
    assert example == newborn_form()
    clean = form.validate(example)
    assert clean["mother_id"] == example["mother_id"]
    assert clean["baby_birth_date"] == example["baby_birth_date"]
    assert form.schema()["examples"] == [example]
    assert set(form.schema()["required"]) >= {"baby_name", "mother_id", "household_division"}


def test_today_is_not_in_the_future() -> None:
    today = datetime.now(CHINA_TZ).date().isoformat()
    assert compile_form("newborn", 1).validate(newborn_form(baby_birth_date=today))


BAD_FIELDS = {
    "resident id check digit": (
        {"mother_id": "500103199803071228"},
        "form.mother_id",
        "resident_id_checksum",
    ),
    "resident id birth date": (
        {"father_id": resident_id("500103", "19970230", 15)},
        "form.father_id",
        "resident_id_birth_date",
    ),
    "resident id birth place": (
        {"mother_id": resident_id("999999", "19980307", 122)},
        "form.mother_id",
        "resident_id_birth_place",
    ),
    "resident id length": ({"mother_id": "5001031998"}, "form.mother_id", "resident_id_format"),
    "phone": ({"contact_phone": "23800138000"}, "form.contact_phone", "phone_format"),
    "phone length": ({"contact_phone": "1380013800"}, "form.contact_phone", "phone_format"),
    "division": ({"household_division": "999999"}, "form.household_division", "division_unknown"),
    "bank account luhn": (
        {"mother_bank_account": "6222020200112233445"},
        "form.mother_bank_account",
        "bank_account_invalid",
    ),
    "future date": (
        {"baby_birth_date": (datetime.now(CHINA_TZ).date() + timedelta(days=1)).isoformat()},
        "form.baby_birth_date",
        "date_in_future",
    ),
    "not a date": ({"baby_birth_date": "20/11/2026"}, "form.baby_birth_date", None),
    "enum": ({"baby_sex": "unknown"}, "form.baby_sex", "enum"),
    "extra field": ({"favourite_colour": "red"}, "form.favourite_colour", "extra_forbidden"),
    "missing field": ({"mother_name": None}, "form.mother_name", "missing"),
    "empty string": ({"baby_name": "   "}, "form.baby_name", "string_too_short"),
}


@pytest.mark.parametrize("case", BAD_FIELDS, ids=list(BAD_FIELDS))
def test_bad_field_gets_a_bilingual_located_problem(case: str) -> None:
    changes, loc, code = BAD_FIELDS[case]
    problem = the_problem(**changes)
    assert problem["loc"] == loc
    if code is not None:
        assert problem["code"] == code


def test_every_problem_is_listed() -> None:
    found = problems(
        mother_id="500103199803071228",
        contact_phone="123",
        mother_bank_account="6222020200112233445",
        baby_name=None,
    )
    assert {p["loc"] for p in found} == {
        "form.mother_id",
        "form.contact_phone",
        "form.mother_bank_account",
        "form.baby_name",
    }
