"""The cases' search attributes (workflows/search_attributes.py): a real newborn case is found
by scenario, outcome and departments on the dev server, holds no personal data there, and
every server onego starts or documents registers each attribute."""

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy.engine import Engine
from sqlmodel import Session
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client, WorkflowExecution, WorkflowHistory
from temporalio.common import TypedSearchAttributes
from temporalio.converter import decode_typed_search_attributes
from temporalio.testing import WorkflowEnvironment

from cases.submission import submit
from catalog.loader import get_catalog
from cli import dev_server_command
from domain.queues import TaskQueues
from domain.statuses import CaseStatus
from runtime.settings import Settings
from store.models import Role
from store.users import add_user
from tests.conftest import Workers
from tests.helpers import newborn_form, own_queues, unique, wait_until
from tests.workflows.test_scenario import approve, awaiting_review
from workflows import case_workflow_id
from workflows.scenario import CASE_SEARCH_ATTRIBUTES, ScenarioWorkflow
from workflows.search_attributes import (
    DEPARTMENTS,
    OUTCOME,
    SCENARIO,
    SEARCH_ATTRIBUTES,
    registration,
    type_name,
)

ROOT = Path(__file__).resolve().parents[2]
Events = Sequence[HistoryEvent]
RECORDED = Path(__file__).parent / "histories" / "05-search-attributes"


def strings(value: Any) -> set[str]:
    """Every string inside a form value (nested lists and objects included)."""
    if isinstance(value, str):
        return {value}
    if isinstance(value, dict):
        return {s for v in value.values() for s in strings(v)}
    if isinstance(value, list):
        return {s for v in value for s in strings(v)}
    return set()


def by_name(attributes: TypedSearchAttributes) -> dict[str, Any]:
    return {pair.key.name: pair.value for pair in attributes}


def upserted(events: Events) -> list[dict[str, Any]]:
    """Each upsert of search attributes in `events`, by attribute name."""
    return [
        by_name(
            decode_typed_search_attributes(
                event.upsert_workflow_search_attributes_event_attributes.search_attributes
            )
        )
        for event in events
        if event.HasField("upsert_workflow_search_attributes_event_attributes")
    ]


async def listed(client: Client, query: str) -> WorkflowExecution | None:
    """The one execution `query` finds, if any."""
    found = [execution async for execution in client.list_workflows(query)]
    assert len(found) <= 1, found
    return found[0] if found else None


async def shown(client: Client, query: str) -> WorkflowExecution:
    """The one execution `query` finds, once visibility shows it (it lags on the dev server)."""
    execution = await wait_until(lambda: listed(client, query), timeout=30, interval=0.5)
    assert execution is not None
    return execution


async def submitted(
    client: Client, engine: Engine, queues: TaskQueues, form: dict[str, Any]
) -> str:
    """Submit a newborn case as the API does; its workflow id."""
    with Session(engine) as session:
        applicant = add_user(session, unique("applicant"), "pw", Role.applicant)
        assert applicant.id is not None
        row, _ = await submit(
            session, client, get_catalog(), applicant.id, "newborn", form, queues=queues
        )
    return case_workflow_id(row.id)


@pytest.mark.timeout(120)
async def test_a_case_is_found_by_scenario_outcome_and_departments(
    dev_env: WorkflowEnvironment, sqlite_engine: Engine, tmp_path: Path
) -> None:
    client = dev_env.client
    settings = Settings(database_url=str(sqlite_engine.url), **own_queues(), data_dir=tmp_path)
    form = newborn_form()
    async with Workers(client, sqlite_engine, settings):
        workflow_id = await submitted(client, sqlite_engine, settings.queues, form)
        query = f'WorkflowId = "{workflow_id}" AND OnegoScenario = "newborn"'
        handle = client.get_workflow_handle_for(ScenarioWorkflow.run, workflow_id)
        await awaiting_review(handle)
        await shown(client, f'{query} AND OnegoOutcome = "running"')
        await approve(handle)
        assert (await handle.result()).status is CaseStatus.completed

    execution = await shown(client, f'{query} AND OnegoOutcome = "completed"')
    attributes = execution.typed_search_attributes
    spec = get_catalog().spec("newborn")
    assert spec is not None
    departments = sorted({item.department for item in spec.applicable(form).items})
    assert attributes[SCENARIO] == "newborn"
    assert attributes[OUTCOME] == CaseStatus.completed
    assert attributes[DEPARTMENTS] == departments
    assert {"public-security", "health", "tax"} <= set(departments)
    for department in departments:
        assert await listed(client, f'{query} AND OnegoDepartments = "{department}"')
    assert await listed(client, f'{query} AND OnegoOutcome = "running"') is None
    # The start carried them; the workflow upserted the outcome alone, once, without the
    # patch (each upsert is an event and a visibility write on the server; a reviewed item's
    # write makes the read-model patch's own).
    events = (await handle.fetch_history()).events
    started = events[0].workflow_execution_started_event_attributes
    assert by_name(decode_typed_search_attributes(started.search_attributes)) == {
        SCENARIO.name: "newborn",
        DEPARTMENTS.name: departments,
        OUTCOME.name: CaseStatus.running,
    }
    ours = [u for u in upserted(events) if "TemporalChangeVersion" not in u]
    assert ours == [{OUTCOME.name: CaseStatus.completed}]
    patches = [u["TemporalChangeVersion"] for u in upserted(events) if u not in ours]
    assert patches and all(CASE_SEARCH_ATTRIBUTES not in p for p in patches)

    # Search attributes are stored and shown in clear: ours hold only codes and a status, and
    # none (Temporal's own included) holds anything of the form: names, ID numbers, addresses.
    assert strings([attributes[key] for key in SEARCH_ATTRIBUTES]) == {
        "newborn",
        CaseStatus.completed,
        *departments,
    }
    personal = strings(form)
    assert {"李芳", "500103199803071229", "王小明", "13800138000"} <= personal
    shown_values = strings([pair.value for pair in attributes])
    assert not {v for v in shown_values for p in personal if p in v}


def test_onego_run_registers_every_attribute_with_its_dev_server(tmp_path: Path) -> None:
    command = dev_server_command(Settings(data_dir=tmp_path))
    assert command[1:3] == ["server", "start-dev"]
    registered = {
        value
        for flag, value in zip(command, command[1:], strict=False)
        if flag == "--search-attribute"
    }
    assert registered == {f"{key.name}={type_name(key)}" for key in SEARCH_ATTRIBUTES}
    assert registered >= {
        "OnegoScenario=Keyword",
        "OnegoOutcome=Keyword",
        "OnegoDepartments=KeywordList",
    }


def test_the_operator_request_registers_every_attribute_with_its_type() -> None:
    request = registration("onego")
    assert request.namespace == "onego"
    assert {
        name: IndexedValueType.Name(kind) for name, kind in request.search_attributes.items()
    } == {
        "OnegoScenario": "INDEXED_VALUE_TYPE_KEYWORD",
        "OnegoOutcome": "INDEXED_VALUE_TYPE_KEYWORD",
        "OnegoDepartments": "INDEXED_VALUE_TYPE_KEYWORD_LIST",
    }


def test_the_deployment_docs_and_compose_register_every_attribute() -> None:
    docs = (ROOT / "docs" / "deployment.md").read_text()
    services = yaml.safe_load((ROOT / "docker" / "compose.yaml").read_text())["services"]
    compose = " ".join(services["search-attributes"]["entrypoint"])
    for key in SEARCH_ATTRIBUTES:
        assert f"--name {key.name} --type {type_name(key)}" in docs
        assert f"--name={key.name} --type={type_name(key)}" in compose


@pytest.mark.parametrize(
    ("run", "outcome"),
    [
        ("approved", CaseStatus.completed),
        ("supplemented", CaseStatus.completed),
        ("rejected", CaseStatus.rejected),
        ("withdrawn", CaseStatus.withdrawn),
    ],
)
def test_the_recorded_cases_set_their_attributes_at_start_and_end(
    run: str, outcome: CaseStatus
) -> None:
    """The set recorded with the patch (replayed by test_replay.py) sets them twice: scenario,
    departments and `running` first, the outcome last."""
    path = RECORDED / f"{run}.json"
    upserts = upserted(WorkflowHistory.from_json(run, path.read_text()).events)
    ours = [u for u in upserts if OUTCOME.name in u]  # not Temporal's TemporalChangeVersion
    assert [u[OUTCOME.name] for u in ours] == [CaseStatus.running, outcome]
    assert ours[0][SCENARIO.name] == "newborn"
    assert "public-security" in ours[0][DEPARTMENTS.name]
