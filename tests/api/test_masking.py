"""Minimum necessary: identifiers masked in lists, whole only where the viewer needs them
(core/masking.py)."""

import json
import re

import pytest

from catalog.loader import get_catalog
from catalog.models import FieldType, PiiClass
from security.masking import mask_fields, mask_output, mask_text, output_definitions, whole_fields
from store.models import Role
from tests.conftest import Workers
from tests.helpers import Api, newborn_form

CATALOG = get_catalog(None)
MASKED_ID = re.compile(r"^\d{6}\*{8}\d{3}[\dX]$")


@pytest.mark.parametrize(
    ("value", "kind", "masked"),
    [
        ("500103199803071229", FieldType.resident_id, "500103********1229"),
        ("13800138000", FieldType.phone, "138****8000"),
        ("6222021234567890123", FieldType.bank_account, "****0123"),
        ("李芳", FieldType.string, "李*"),
        ("王小明", FieldType.string, "王**"),
        ("重庆市渝中区解放碑街道民族路100号", FieldType.string, "重****"),
        ("1998-03-07", FieldType.date, "1998-**-**"),
        ("91500103MA5U000000", FieldType.credit_code, "91****************"),
    ],
)
def test_each_type_has_its_mask(value: str, kind: FieldType, masked: str) -> None:
    assert mask_text(value, kind) == masked


def test_the_dictionarys_pii_class_decides_what_is_masked() -> None:
    form = newborn_form()
    masked = mask_fields(CATALOG, form)
    for code, value in form.items():
        personal = CATALOG.fields[code].pii is not PiiClass.none
        assert (masked[code] != value) is (personal and value not in ("", None)), code
    text = json.dumps(masked, ensure_ascii=False)
    leaked = [c for c, v in form.items() if CATALOG.fields[c].pii != "none" and str(v) in text]
    assert leaked == []
    newborn_id = output_definitions(CATALOG)["citizen_id"]
    assert MASKED_ID.match(mask_output(newborn_id, "500103202611200013"))
    assert whole_fields(CATALOG, ["baby_name", "baby_sex"], ["citizen_id"]) == [
        "baby_name",
        "citizen_id",
    ]


def _personal(form: dict[str, object], codes: list[str]) -> dict[str, str]:
    return {c: str(form[c]) for c in codes if CATALOG.fields[c].pii is not PiiClass.none}


@pytest.mark.timeout(90)
async def test_lists_mask_and_the_task_shows_its_items_data_whole(
    api: Api, workers: Workers
) -> None:
    form = newborn_form()
    applicant = await api.account(Role.applicant)
    clerk = await api.account(Role.clerk, "public-security")
    stranger = await api.account(Role.clerk, "health")
    manager = await api.account(Role.manager)
    case_id = (await api.submit(applicant, form)).json()["id"]
    await api.wait_for_review(applicant, case_id)

    # the inbox list: the item's personal fields masked, nothing shown whole
    listed = await api.http.get("/api/v1/tasks?status=open&limit=500", headers=clerk.headers)
    task = next(t for t in listed.json() if t["case_id"] == case_id)
    personal = _personal(form, list(task["fields"]))
    assert {"mother_id", "father_id", "baby_name"} <= set(personal)
    assert task["whole"] == []
    assert MASKED_ID.match(task["fields"]["mother_id"])
    assert [c for c, v in personal.items() if v in listed.text] == []
    assert all("*" in v for v in task["upstream"].values())

    # the task itself: whole, and says which personal values it showed
    opened = await api.http.get(f"/api/v1/tasks/{task['id']}", headers=clerk.headers)
    assert opened.status_code == 200, opened.text
    whole = opened.json()
    assert {c: str(whole["fields"][c]) for c in personal} == personal
    assert whole["whole"] == sorted([*personal, *whole["upstream"]])
    refused = await api.http.get(f"/api/v1/tasks/{task['id']}", headers=stranger.headers)
    assert refused.status_code == 404

    # the applicant: issued numbers masked in the list, whole on the case
    own = await api.case(applicant, case_id)
    issued = own["outputs"]
    assert issued and own["whole"] == sorted(issued)
    mine = await api.http.get("/api/v1/cases", headers=applicant.headers)
    listed_case = next(c for c in mine.json() if c["id"] == case_id)
    assert listed_case["whole"] == []
    assert [c for c, v in issued.items() if v in mine.text] == []
    # a manager sees the case with its numbers masked
    managed = await api.case(manager, case_id)
    assert managed["whole"] == [] and set(managed["outputs"]) == set(issued)
    assert [c for c, v in issued.items() if v in json.dumps(managed)] == []
