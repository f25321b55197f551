"""No personal data leaves a case in its spans or log lines: case ids and codes only."""

import json
import logging
import re

import pytest
from stdnum.cn import ric

from catalog.loader import get_catalog
from catalog.models import FieldType, PiiClass
from tests.telemetry.conftest import NewbornCase

pytestmark = pytest.mark.timeout(90)


def personal_values(form: dict[str, object]) -> dict[str, str]:
    """The form's personal values: names, resident ID numbers, phone, addresses, account.

    Dates are left out: a birth date is also a date any timestamp may contain."""
    fields = get_catalog().fields
    return {
        code: value
        for code, value in form.items()
        if isinstance(value, str)
        and fields[code].pii is not PiiClass.none
        and fields[code].type is not FieldType.date
    }


def _log_line(record: logging.LogRecord) -> str:
    return logging.Formatter("%(name)s %(levelname)s %(message)s").format(record)


NUMBERS = re.compile(r"(?<![0-9A-Za-z])(\d{17}[0-9X]|1[3-9]\d{9})(?![0-9A-Za-z])")


def leaks(text: str, secrets: dict[str, str]) -> set[str]:
    """The form values in `text`, and any resident ID or mobile number at all (a department
    issues the newborn's own resident ID number: it must not leak either)."""
    found = {code for code, value in secrets.items() if value in text}
    for number in NUMBERS.findall(text):
        if len(number) == 11 or ric.is_valid(number):
            found.add(f"number {number}")
    return found


async def test_no_personal_data_in_any_span_or_log_line(newborn_case: NewbornCase) -> None:
    secrets = personal_values(newborn_case.form)
    # what the brief names at least: resident IDs, names, the phone number
    assert {"mother_id", "father_id", "mother_name", "baby_name", "contact_phone"} <= set(secrets)

    spans = newborn_case.spans
    assert len(spans) > 100, "the whole case is traced"
    for span in spans:
        text = json.dumps(
            [
                span.name,
                span.status_message,
                span.attributes,
                span.events,
                span.links,
            ],
            ensure_ascii=False,
            default=str,
        )
        leaked = leaks(text, secrets)
        assert not leaked, f"span {span.name} carries {sorted(leaked)}"

    assert newborn_case.logs, "DEBUG records were captured"
    for record in newborn_case.logs:
        line = _log_line(record)
        leaked = leaks(line, secrets)
        assert not leaked, f"log line of {record.name} carries {sorted(leaked)}: {line[:300]}"
