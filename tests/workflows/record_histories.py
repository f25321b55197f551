"""Record ScenarioWorkflow histories for the replay test (run when the workflow changes):

    .venv/bin/python -m tests.workflows.record_histories SET   # e.g. 03-new-review-step

Each history is a real run on the time-skipping server: approved, supplemented, rejected
(with compensation) and withdrawn, written to histories/SET/. Since set 03 two department
systems take time (`SLOW`), so the runs wait for them on timers. Sets are numbered in the order
they were recorded. `test_replay.py` replays every set against the current workflow code, so
a change that breaks running cases fails the suite until it is guarded with
`workflow.patched()`. Sets are kept: cases started under old code may still be running.

Histories are recorded plain (pydantic_data_converter, no payload codec): a sealed set could
only be replayed with its key committed beside it, which would teach nothing and put a key in
the repository. test_replay.py replays them in the codec's migration mode. The runs hold only
synthetic test data.
"""

import asyncio
import sys
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from catalog.loader import get_catalog
from runtime.settings import Settings
from store.db import create_schema, make_engine
from tests.conftest import Workers
from tests.helpers import wait_until
from tests.workflows.test_issue_later import SLOW
from tests.workflows.test_review import Case_, Starter
from workflows.models import (
    Decision,
    ItemRequest,
    SupplementInput,
    SupplementRequest,
    WithdrawInput,
)
from workflows.scenario import ScenarioWorkflow
from workflows.search_attributes import registration

HISTORIES = Path(__file__).parent / "histories"
BIN = Path(sys.executable).parent


async def approved(case: Case_) -> None:
    await case.opened()
    await case.claim("clerk-a")
    await case.decide("clerk-a", Decision.approve)


async def supplemented(case: Case_) -> None:
    await case.opened()
    await case.claim("clerk-a")
    await case.decide(
        "clerk-a",
        Decision.supplement,
        supplement=SupplementRequest(fields=["household_address"], note="门牌号缺失"),
    )
    await wait_until(lambda: case.item().status == "awaiting_supplement")
    await case.env.sleep(timedelta(days=2))
    await case.handle.execute_update(
        ScenarioWorkflow.supplement,
        SupplementInput(
            item="household_registration",
            fields={"household_address": "重庆市渝中区民族路100号2-1"},
        ),
    )
    await case.env.sleep(timedelta(days=5))  # past the limit: reminder and escalation
    await case.decide("clerk-a", Decision.approve)


async def rejected(case: Case_) -> None:
    await case.opened()
    await case.claim("clerk-a")
    await case.decide("clerk-a", Decision.reject, reason_code="not_eligible", reason="不符合条件")


async def withdrawn(case: Case_) -> None:
    await case.opened()
    await case.handle.execute_update(ScenarioWorkflow.withdraw, WithdrawInput(reason="改期"))


def slow_systems(request: ItemRequest, asked: datetime) -> datetime | None:
    days = SLOW.get(request.item)
    return None if days is None else get_catalog().calendar.add_working_days(asked, days)


async def main(folder_name: str) -> None:
    target = HISTORIES / folder_name
    target.mkdir(parents=True, exist_ok=True)
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter,
        test_server_existing_path=str(BIN / "temporal-test-server"),
    )
    await env.client.operator_service.add_search_attributes(registration(env.client.namespace))
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{folder}/onego.db")
        create_schema(engine)
        settings = Settings(
            database_url=str(engine.url), scenario_task_queue="record", data_dir=Path(folder)
        )
        async with Workers(env.client, engine, settings, slow_systems):
            start = Starter(env, engine, settings)
            for run in (approved, supplemented, rejected, withdrawn):
                case = await start()
                await run(case)
                await case.env.sleep(timedelta(days=5))  # the slow systems' timers fire
                await case.handle.result()
                history = await case.handle.fetch_history()
                (target / f"{run.__name__}.json").write_text(history.to_json())
                print("recorded", run.__name__)
    await env.shutdown()


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    asyncio.run(main(sys.argv[1]))
