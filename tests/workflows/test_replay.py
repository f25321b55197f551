"""Stored histories of ScenarioWorkflow replay on the current code (determinism guard).

The stored sets are plain JSON (recorded before payload encryption, and record_histories.py
keeps recording plain: a sealed set would need its key committed beside it). They replay
with the sealed converter in migration mode (`plain_accepted`), the mode a deployment keeps
while cases started before the switch still run; without it they are refused.
"""

import json
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from security.codec import codec_of, sealed_converter
from security.keyring import DataKey, KeyRing
from workflows.scenario import READ_MODEL_BATCHES, ScenarioWorkflow
from workflows.search_attributes import SEARCH_ATTRIBUTES

FOLDER = Path(__file__).parent / "histories"
SETS = sorted(p for p in FOLDER.iterdir() if p.is_dir())
HISTORIES = sorted(FOLDER.glob("*/*.json"))
RUNS = {"approved", "supplemented", "rejected", "withdrawn"}
PATCH = "core_patch"  # the marker that `workflow.patched()` records
_KEY = DataKey.new("SM4-GCM")
RING = KeyRing([_KEY], _KEY.id)


@pytest.mark.parametrize("folder", SETS, ids=[p.name for p in SETS])
def test_histories_are_recorded(folder: Path):
    assert {p.stem for p in folder.glob("*.json")} >= RUNS


def test_the_newest_set_takes_the_newest_code_paths():
    """The newest set was recorded on the newest code: its cases write in batches (a patch)
    and start with their search attributes, so they take no `CASE_SEARCH_ATTRIBUTES` patch
    (set 05 holds the upserts that patch guards)."""
    patches = set()
    for path in SETS[-1].glob("*.json"):
        events = WorkflowHistory.from_json(path.stem, path.read_text()).events
        started = events[0].workflow_execution_started_event_attributes
        assert started.search_attributes.indexed_fields.keys() == {
            key.name for key in SEARCH_ATTRIBUTES
        }
        for event in events:
            marker = event.marker_recorded_event_attributes
            if event.HasField("marker_recorded_event_attributes") and marker.marker_name == PATCH:
                patches.add(json.loads(marker.details["patch-data"].payloads[0].data)["id"])
    assert patches == {READ_MODEL_BATCHES}


@pytest.mark.parametrize("path", HISTORIES, ids=[f"{p.parent.name}/{p.stem}" for p in HISTORIES])
async def test_history_replays(path: Path):
    history = WorkflowHistory.from_json(f"case-{path.stem}", path.read_text())
    replayer = Replayer(
        workflows=[ScenarioWorkflow], data_converter=sealed_converter(RING, plain_accepted=True)
    )
    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None, result.replay_failure


async def test_a_plain_history_is_refused_outside_the_migration_mode():
    """By default a plain payload does not decode: the workflow's plain input is refused."""
    path = SETS[0] / "approved.json"
    history = WorkflowHistory.from_json(f"case-{path.stem}", path.read_text())
    strict = sealed_converter(RING)
    replayer = Replayer(workflows=[ScenarioWorkflow], data_converter=strict)
    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is not None
    assert codec_of(strict).plain_seen > 0


def test_the_newest_set_waits_for_a_department_that_issues_later():
    """Since set 03 the social security card's system takes time: asked twice, once accepted."""
    path = SETS[-1] / "approved.json"
    asked = [
        event.activity_task_scheduled_event_attributes.activity_type.name
        for event in WorkflowHistory.from_json(path.stem, path.read_text()).events
        if event.HasField("activity_task_scheduled_event_attributes")
    ]
    assert asked.count("issue_social_security_card") == 2


def test_the_newest_set_has_its_items_written_done_by_their_departments():
    """Since set 04 a department activity writes its item done and answers `recorded`: the
    workflow writes no item transition for it (a `ready_at` answer is not recorded)."""
    path = SETS[-1] / "approved.json"
    events = WorkflowHistory.from_json(path.stem, path.read_text()).events
    answers = [
        json.loads(event.activity_task_completed_event_attributes.result.payloads[0].data)
        for event in events
        if event.HasField("activity_task_completed_event_attributes")
    ]
    recorded = [a["item"] for a in answers if a["recorded"]]
    assert sorted(recorded) == sorted({a["item"] for a in answers})  # each item once
    assert all(a["recorded"] == (a["ready_at"] is None) for a in answers)
