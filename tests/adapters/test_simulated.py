"""The simulated department adapter: idempotent by (case, item), realistic outputs. Run in
Temporal's ActivityEnvironment (it reads the attempt's scheduled time), on both database
backends."""

import asyncio
import dataclasses
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from stdnum.cn import ric
from temporalio.testing import ActivityEnvironment

from adapters.simulated import SimulatedDepartment
from catalog.loader import get_catalog
from store.models import SimulatedIssue
from tests.helpers import newborn_form
from workflows.models import ItemRequest, ItemResult

pytestmark = pytest.mark.timeout(60)


def request(item_code: str, case_id: str, **form_changes: object) -> ItemRequest:
    """The request the workflow sends for `item_code` of a newborn case."""
    spec = get_catalog().spec("newborn")
    assert spec is not None
    item = spec.item(item_code)
    form = newborn_form(**form_changes)
    return ItemRequest(
        case_id=case_id,
        scenario="newborn",
        item=item.code,
        department=item.department,
        fields={f: form[f] for f in item.fields},
        upstream=dict.fromkeys(item.uses_outputs, "Q0000000001"),
        outputs=item.outputs,
    )


def ledger(engine: Engine, case_id: str) -> list[SimulatedIssue]:
    with Session(engine) as session:
        return list(session.exec(select(SimulatedIssue).where(SimulatedIssue.case_id == case_id)))


async def register(engine: Engine, item_request: ItemRequest) -> ItemResult:
    return await ActivityEnvironment().run(SimulatedDepartment(engine).perform, item_request)


async def test_performing_twice_issues_once(engine: Engine) -> None:
    case_id = str(uuid.uuid4())
    first = await register(engine, request("household_registration", case_id))
    second = await register(engine, request("household_registration", case_id))
    assert second == first
    assert first.outputs.keys() == {"citizen_id", "hukou_no"}
    rows = ledger(engine, case_id)
    assert [(r.item, r.outputs) for r in rows] == [("household_registration", first.outputs)]
    assert rows[0].department == "public-security"

    # Another item of the same case, and the same item of another case, are new issues.
    certificate = await ActivityEnvironment().run(
        SimulatedDepartment(engine).perform, request("birth_medical_certificate", case_id)
    )
    assert certificate.outputs["birth_certificate_no"].startswith("Q")
    other = await register(engine, request("household_registration", str(uuid.uuid4())))
    assert other.outputs["hukou_no"] != first.outputs["hukou_no"]
    assert len(ledger(engine, case_id)) == 2


async def test_concurrent_attempts_issue_once(engine: Engine) -> None:
    case_id = str(uuid.uuid4())
    item_request = request("household_registration", case_id)
    results = await asyncio.gather(*(register(engine, item_request) for _ in range(6)))
    assert all(r == results[0] for r in results), results
    assert len(ledger(engine, case_id)) == 1


@pytest.mark.parametrize("sex", ["male", "female"])
async def test_citizen_id_is_valid_with_the_form_s_place_date_and_sex(
    engine: Engine, sex: str
) -> None:
    for _ in range(8):  # several cases: several sequence numbers
        item_request = request(
            "household_registration",
            str(uuid.uuid4()),
            baby_sex=sex,
            baby_birth_date="2024-02-29",
            household_division="110105",
        )
        citizen_id = (await register(engine, item_request)).outputs["citizen_id"]
        assert ric.is_valid(citizen_id), citizen_id
        assert citizen_id[:6] == "110105"
        assert ric.get_birth_date(citizen_id) == date(2024, 2, 29)
        assert int(citizen_id[16]) % 2 == (1 if sex == "male" else 0), citizen_id


async def test_a_back_end_that_takes_time_answers_when_it_will_issue(engine: Engine) -> None:
    """Asked before its time, it names the time (drawn once); asked from then on, it issues."""
    case_id = str(uuid.uuid4())
    start = datetime(2026, 12, 1, 2, tzinfo=UTC)
    draws: list[datetime] = []

    def ready(item_request: ItemRequest, asked: datetime) -> datetime:
        draws.append(asked)
        return asked + timedelta(hours=30)

    health = SimulatedDepartment(engine, ready=ready)
    certificate = request("birth_medical_certificate", case_id)

    async def ask(at: datetime) -> ItemResult:
        env = ActivityEnvironment()
        env.info = dataclasses.replace(env.info, current_attempt_scheduled_time=at)
        return await env.run(health.perform, certificate)

    first = await ask(start)
    again = await ask(start + timedelta(hours=29))
    assert first.ready_at == again.ready_at == start + timedelta(hours=30)
    assert first.outputs == again.outputs == {}
    assert draws == [start]

    issued = await ask(start + timedelta(hours=30))
    assert issued.ready_at is None and issued.issued_at == start + timedelta(hours=30)
    (row,) = ledger(engine, case_id)
    assert issued.outputs == row.outputs and issued.outputs["birth_certificate_no"]
    assert await ask(start + timedelta(days=9)) == issued
