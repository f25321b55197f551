"""The Idempotency-Key header: blank, whitespace-only or too long is a 400 in the project's
error format naming the header, and nothing is stored; 128 characters are accepted."""

import pytest

from store.models import Role
from tests.helpers import Api, count_cases

pytestmark = pytest.mark.timeout(60)
REFUSED = {"empty": "", "spaces": "   ", "tab": "\t", "129 characters": "k" * 129}


async def test_a_blank_or_overlong_key_is_refused_and_stores_nothing(
    api: Api, subtests: pytest.Subtests
) -> None:
    applicant = await api.account(Role.applicant)
    for name, key in REFUSED.items():
        with subtests.test(name):
            for _ in range(2):  # the second too (a blank key was once stored as "", then 500)
                refused = await api.submit(applicant, key=key)
                assert refused.status_code == 400, refused.text
                body = refused.json()
                assert body["error"] == "invalid_idempotency_key"
                assert [p["loc"] for p in body["problems"]] == ["header.Idempotency-Key"]
                assert body["message"]["zh"] and "Idempotency-Key" in body["message"]["en"]
    assert count_cases(api.engine, applicant.id) == 0
    created = await api.submit(applicant, key="k" * 128)
    assert created.status_code == 201, created.text
    assert count_cases(api.engine, applicant.id) == 1
