"""Case numbers: CQ-20261201-000042, distinct and gapless per day under concurrent
submissions on SQLite and PostgreSQL; a case found by its number or its id."""

import random
import string
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from runtime import settings as runtime_settings
from runtime.settings import Settings
from store.case_numbers import allocate_case_number, resolve_case_ref
from store.db import session_scope
from store.models import Role
from store.users import add_user
from tests.documents.stored import stored_case
from tests.helpers import unique

pytestmark = pytest.mark.timeout(120)
DAY = date(2026, 12, 1)


def place() -> str:
    """A place code of this test's own (the PostgreSQL database is shared)."""
    return "".join(random.choices(string.ascii_uppercase, k=6))


def test_numbers_count_per_place_and_day(engine: Engine) -> None:
    here, there = place(), place()
    with session_scope(engine) as session:
        first = allocate_case_number(session, DAY, here)
        second = allocate_case_number(session, DAY, here)
        elsewhere = allocate_case_number(session, DAY, there)
        next_day = allocate_case_number(session, date(2026, 12, 2), here)
    assert first == f"{here}-20261201-000001" and second == f"{here}-20261201-000002"
    assert elsewhere == f"{there}-20261201-000001" and next_day == f"{here}-20261202-000001"


def test_a_rolled_back_submission_gives_its_number_back(engine: Engine) -> None:
    here = place()
    with Session(engine) as session:
        allocate_case_number(session, DAY, here)
        session.rollback()
    with session_scope(engine) as session:
        assert allocate_case_number(session, DAY, here).endswith("-000001")


def test_the_place_code_comes_from_the_settings(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CASE_NUMBER_PLACE", "SH")
    runtime_settings.get_settings.cache_clear()
    try:
        with Session(engine) as session:
            assert allocate_case_number(session, DAY).startswith("SH-20261201-")
            session.rollback()
    finally:
        runtime_settings.get_settings.cache_clear()
    with pytest.raises(ValueError):
        Settings(case_number_place="cq-1")


def test_concurrent_submissions_get_distinct_gapless_numbers(engine: Engine) -> None:
    here, count = place(), 24

    def submit(_: int) -> str:
        with session_scope(engine) as session:  # one transaction per submission
            return allocate_case_number(session, DAY, here)

    with ThreadPoolExecutor(8) as pool:
        numbers = list(pool.map(submit, range(count)))
    assert sorted(numbers) == [f"{here}-20261201-{n:06d}" for n in range(1, count + 1)]


def test_a_case_is_found_by_its_number_or_its_id(engine: Engine) -> None:
    with Session(engine, expire_on_commit=False) as session:
        applicant = add_user(session, unique("numbered"), "x" * 12, Role.applicant)
        assert applicant.id is not None
        number = allocate_case_number(session, DAY, place())
        session.commit()
    case = stored_case(engine, applicant.id, number=number)
    with Session(engine) as session:
        for ref in (number, number.lower(), f" {number} ", case.id, case.id.upper()):
            found = resolve_case_ref(session, ref)
            assert found is not None and found.id == case.id, ref
        for ref in ("", "CQ-2026-1", "not-a-case", f"{number[:-1]}9", "../etc/passwd"):
            assert resolve_case_ref(session, ref) is None, ref
        assert resolve_case_ref(session, "00000000-0000-4000-8000-000000000000") is None
