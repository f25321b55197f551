"""The payload codec: sealed payloads, plain ones refused, rotation, missing keys, and a real
case whose Temporal history holds none of the form's values."""

import asyncio
import base64
import dataclasses
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from google.protobuf.message import Message
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from temporalio.api.common.v1 import Payload
from temporalio.api.failure.v1 import Failure
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DefaultFailureConverterWithEncodedAttributes
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from catalog.loader import get_catalog
from domain.statuses import CaseStatus
from runtime.settings import Settings
from security.codec import (
    CIPHER,
    ENCODING,
    KEY_ID,
    REFUSED,
    SealingCodec,
    codec_of,
    data_converter,
    sealed_converter,
)
from security.keyring import DataKey, KeyRing, KeyRingError, load_keyring, rotate
from store.models import CaseItem, Role
from tests.conftest import Workers
from tests.helpers import Api, newborn_form, running_api
from workflows import case_workflow_id
from workflows.models import Actor, ClaimInput, DecideInput, Decision
from workflows.scenario import ScenarioWorkflow

FORM = newborn_form()
# keys of the payloads Temporal's SDK writes itself (markers, headers), unsealed by design
BOOKKEEPING = {
    "traceparent",
    "tracestate",
    "activation_index",
    "seq",
    "attempt",
    "activity_id",
    "activity_type",
    "complete_time",
    "original_schedule_time",
    "backoff",
    "id",
    "deprecated",
}
SECRET = {"mother_id": FORM["mother_id"], "name": FORM["mother_name"]}


def ring(algorithm: str = "SM4-GCM") -> KeyRing:
    key = DataKey.new(algorithm)  # type: ignore[arg-type]
    return KeyRing([key], key.id)


def plain(value: object) -> Payload:
    return pydantic_data_converter.payload_converter.to_payloads([value])[0]


@pytest.mark.parametrize("algorithm", ["SM4-GCM", "AES-256-GCM"])
async def test_payloads_round_trip_sealed(algorithm: str) -> None:
    keys = ring(algorithm)
    converter = sealed_converter(keys)
    [sealed] = await converter.encode([SECRET])
    assert sealed.metadata["encoding"] == ENCODING
    assert sealed.metadata[KEY_ID] == keys.current.id.encode()
    assert sealed.metadata[CIPHER] == algorithm.encode()
    for value in SECRET.values():
        assert value.encode() not in sealed.SerializeToString()
    assert await converter.decode([sealed], [dict]) == [SECRET]


async def test_failure_messages_are_sealed_too() -> None:
    converter = sealed_converter(ring())
    assert isinstance(converter.failure_converter, DefaultFailureConverterWithEncodedAttributes)
    failure = Failure()
    await converter.encode_failure(ApplicationError(f"no match for {FORM['mother_id']}"), failure)
    assert FORM["mother_id"].encode() not in failure.SerializeToString()
    assert failure.encoded_attributes.metadata["encoding"] == ENCODING
    assert FORM["mother_id"] in str(await converter.decode_failure(failure))


async def test_a_plain_payload_is_refused_by_default(caplog: pytest.LogCaptureFixture) -> None:
    converter = sealed_converter(ring())
    [refused] = await converter.payload_codec.decode([plain(SECRET)])  # type: ignore[union-attr]
    assert refused.metadata["encoding"] == REFUSED and not refused.data
    with pytest.raises(Exception, match="plain-refused"):
        await converter.decode([plain(SECRET)], [dict])
    assert codec_of(converter).plain_seen == 2
    assert "PAYLOAD_PLAIN_ACCEPTED" in caplog.text  # the log names the fix
    assert FORM["mother_id"] not in caplog.text and FORM["mother_name"] not in caplog.text


async def test_the_migration_mode_accepts_plain_payloads_and_logs_each(
    caplog: pytest.LogCaptureFixture,
) -> None:
    converter = data_converter(
        Settings(data_keys=ring().to_json(), payload_plain_accepted=True, _env_file=None)  # type: ignore[call-arg]
    )
    with caplog.at_level(logging.WARNING, "onego.codec"):
        assert await converter.decode([plain(SECRET), plain(SECRET)], [dict, dict]) == [
            SECRET,
            SECRET,
        ]
    warnings = [r for r in caplog.records if r.name == "onego.codec"]
    assert len(warnings) == 2 and "2 so far" in warnings[-1].getMessage()
    assert FORM["mother_id"] not in caplog.text
    [sealed] = await converter.encode([SECRET])  # the migration mode still seals
    assert sealed.metadata["encoding"] == ENCODING


async def test_rotation_keeps_old_payloads_readable(tmp_path: Path) -> None:
    key_file = tmp_path / "keys.json"
    before = load_keyring(key_file)
    old = await sealed_converter(before).encode([SECRET])
    new_key = rotate(key_file)
    after = sealed_converter(load_keyring(key_file))
    assert new_key.id != before.current.id
    assert await after.decode(old, [dict]) == [SECRET]
    [fresh] = await after.encode([SECRET])
    assert fresh.metadata[KEY_ID] == new_key.id.encode()


async def test_a_payload_whose_key_is_missing_fails_loudly(
    caplog: pytest.LogCaptureFixture,
) -> None:
    gone = ring()
    [sealed] = await sealed_converter(gone).encode([SECRET])
    other = sealed_converter(ring())
    with pytest.raises(KeyRingError, match=gone.current.id):
        codec_of(other).open(sealed)
    with pytest.raises(Exception, match="binary/encrypted-unopened"):
        await other.decode([sealed], [dict])
    assert gone.current.id in caplog.text and "not in the key ring" in caplog.text


async def test_a_changed_payload_does_not_open() -> None:
    keys = ring()
    codec = SealingCodec(keys)
    [sealed] = await codec.encode([plain(SECRET)])
    sealed.data = sealed.data[:-1] + bytes([sealed.data[-1] ^ 1])
    with pytest.raises(KeyRingError, match="authentication"):
        codec.open(sealed)
    [unopened] = await codec.decode([sealed])
    assert unopened.metadata["encoding"] == b"binary/encrypted-unopened" and not unopened.data


# -- a real case on the dev server -------------------------------------------------------------
def without_codec(client: Client) -> Client:
    """A client on the same connection that has no key: what a caller of Temporal's port
    (or its Web UI without the codec endpoint) gets."""
    return Client(**{**client.config(), "data_converter": pydantic_data_converter})


def payloads_in(message: Message) -> Iterator[Payload]:
    if isinstance(message, Payload):
        yield message
        return
    for field, value in message.ListFields():
        if field.type != field.TYPE_MESSAGE:
            continue
        if isinstance(value, Message):
            values = [value]
        elif field.message_type.GetOptions().map_entry:
            values = list(value.values())
        else:
            values = list(value)
        for item in values:
            if isinstance(item, Message):
                yield from payloads_in(item)


def words(value: object) -> Iterator[str]:
    if isinstance(value, dict):
        for item in value.values():
            yield from words(item)
    elif isinstance(value, str) and len(value.encode()) >= 4:
        yield value


@pytest.fixture
async def api(dev_env: WorkflowEnvironment, engine: Engine, settings: Settings):  # type: ignore[no-untyped-def]
    async with running_api(settings, dev_env.client, engine) as api:
        yield api


@pytest.fixture
async def workers(dev_env: WorkflowEnvironment, engine: Engine, settings: Settings):  # type: ignore[no-untyped-def]
    async with Workers(dev_env.client, engine, settings) as workers:
        yield workers


@pytest.mark.timeout(120)
async def test_a_case_history_holds_none_of_the_form(api: Api, workers: Workers) -> None:
    applicant = await api.account(Role.applicant)
    clerk = await api.account(Role.clerk, "public-security")
    response = await api.submit(applicant, FORM)
    assert response.status_code == 201, response.text
    case_id = response.json()["id"]
    await api.wait_for_review(applicant, case_id)
    await api.approve(clerk, case_id)
    case = await api.wait_case(applicant, case_id, lambda c: c["status"] == "completed")

    handle = without_codec(api.temporal).get_workflow_handle(case_workflow_id(case_id))
    history = await handle.fetch_history()
    whole = b"".join(event.SerializeToString() for event in history.events)
    secrets = [*words(FORM), *words(case["outputs"]), "民族路", "mother_id", "household_address"]
    assert len(secrets) > 12
    leaked = [i for i, word in enumerate(secrets) if word.encode() in whole]
    assert not leaked, f"{len(leaked)} form values in clear (indexes {leaked})"  # no values
    payloads = [p for e in history.events for p in payloads_in(e)]
    sealed = [p for p in payloads if p.metadata.get("encoding") == ENCODING]
    assert len(sealed) > 20  # the input, every activity's input and result, the decision...
    # Unsealed: only Temporal's own bookkeeping (trace headers, local-activity and patch
    # markers, the patch search attribute), none of it data of the case.
    bookkeeping = [json.loads(p.data) for p in payloads if p not in sealed]
    assert {key for b in bookkeeping if isinstance(b, dict) for key in b} <= BOOKKEEPING
    # The patch ids, then the case's search attributes (workflows/search_attributes.py):
    # its scenario's code, its status and its departments' codes.
    in_clear = {w for b in bookkeeping if isinstance(b, list) for w in b}
    in_clear |= {b for b in bookkeeping if isinstance(b, str)}
    catalog = get_catalog()
    assert in_clear <= {
        "read-model-batches",
        "search-attributes",
        "newborn",
        *(status.value for status in CaseStatus),
        *catalog.departments,
    }
    assert {"newborn", CaseStatus.running} <= in_clear  # set by the start
    with pytest.raises(Exception, match="binary/encrypted"):
        await handle.result()  # without the key the result does not decode


@pytest.mark.timeout(120)
async def test_an_update_sent_without_the_codec_is_refused(api: Api, workers: Workers) -> None:
    """A caller of Temporal's port with a made-up clerk of the right department cannot claim
    or decide: its plain payload is refused before the validator runs, nothing changes, and
    the workflow goes on serving the real clerk."""
    applicant = await api.account(Role.applicant)
    clerk = await api.account(Role.clerk, "public-security")
    case_id = (await api.submit(applicant, FORM)).json()["id"]
    await api.wait_for_review(applicant, case_id)
    forger = without_codec(api.temporal).get_workflow_handle_for(
        ScenarioWorkflow.run, case_workflow_id(case_id)
    )
    made_up = {
        "item": "household_registration",
        "clerk": "mallory",
        "department": "public-security",
    }
    actor = Actor(user_id=1, username="mallory", role="clerk", department="public-security")
    for update, arg in (
        (ScenarioWorkflow.claim, ClaimInput(**made_up, actor=actor)),
        (ScenarioWorkflow.decide, DecideInput(**made_up, decision=Decision.approve, actor=actor)),
    ):
        with pytest.raises(WorkflowUpdateFailedError):
            await forger.execute_update(update, arg)  # type: ignore[arg-type]

    # With the key (a process of onego), the clerk named must be the actor the API signed in.
    sealed = api.temporal.get_workflow_handle_for(ScenarioWorkflow.run, case_workflow_id(case_id))
    real = Actor(
        user_id=clerk.id, username=clerk.user.username, role="clerk", department="public-security"
    )
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await sealed.execute_update(ScenarioWorkflow.claim, ClaimInput(**made_up, actor=real))
    assert isinstance(refused.value.cause, ApplicationError)
    assert refused.value.cause.type == "ActorMismatch"

    task = await api.open_task(clerk, case_id)
    assert (task["status"], task["holder"], task["decided_by"]) == ("open", None, None)
    with Session(api.engine) as session:
        row = session.exec(
            select(CaseItem).where(
                CaseItem.case_id == case_id, CaseItem.item == "household_registration"
            )
        ).one()
        assert (row.holder, row.decided_by, row.status) == (None, None, "awaiting_review")
    await api.approve(clerk, case_id)  # the workflow was not stuck by the refused updates
    case = await api.wait_case(applicant, case_id, lambda c: c["status"] == "completed")
    assert case["status"] == "completed"


def test_onego_keys_rotate_then_list(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`onego keys rotate` adds the encrypting key, `list` shows ids and never a secret."""
    from typer.testing import CliRunner

    from cli import app
    from runtime.settings import get_settings

    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.delenv("DATA_KEYS", raising=False)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        first = load_keyring(tmp_path / "keys.json").current
        rotated = runner.invoke(app, ["keys", "rotate"])
        assert rotated.exit_code == 0, rotated.output
        ring = load_keyring(tmp_path / "keys.json")
        assert set(ring.keys) == {first.id, ring.current.id} and ring.current.id != first.id
        assert ring.current.id in rotated.output
        listed = runner.invoke(app, ["keys", "list"])
        assert listed.exit_code == 0, listed.output
        assert f"* {ring.current.id}" in listed.output and f"  {first.id}" in listed.output
        for key in ring.keys.values():
            assert base64.b64encode(key.secret).decode() not in listed.output + rotated.output
        # Keys from DATA_KEYS: `rotate` prints the rotated ring for the secret store.
        new = runner.invoke(app, ["keys", "new", "--algorithm", "AES-256-GCM"])
        assert new.exit_code == 0, new.output
        configured = KeyRing.from_json(new.output)
        assert configured.current.algorithm == "AES-256-GCM"
        monkeypatch.setenv("DATA_KEYS", configured.to_json())
        get_settings.cache_clear()
        printed = runner.invoke(app, ["keys", "rotate"])
        assert printed.exit_code == 0, printed.stderr
        again = KeyRing.from_json(printed.stdout)
        assert set(again.keys) - set(configured.keys) == {again.current.id}
        assert "DATA_KEYS" in printed.stderr
    finally:
        get_settings.cache_clear()


class Forging(SealingCodec):
    """What a caller without the key can send: `binary/encrypted` with a made-up body."""

    def __init__(self, key_id: str) -> None:
        super().__init__(ring())
        self.key_id = key_id

    def seal(self, payload: Payload) -> Payload:
        body = b"OGS1" + bytes([len(self.key_id)]) + self.key_id.encode() + b"\0" * 40
        return Payload(metadata={"encoding": ENCODING}, data=body)


@pytest.mark.timeout(120)
@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
async def test_a_forged_sealed_update_is_refused(api: Api, workers: Workers) -> None:
    applicant = await api.account(Role.applicant)
    clerk = await api.account(Role.clerk, "public-security")
    case_id = (await api.submit(applicant, FORM)).json()["id"]
    await api.wait_for_review(applicant, case_id)
    current = codec_of(api.temporal.data_converter).ring.current.id
    made_up = {
        "item": "household_registration",
        "clerk": "mallory",
        "department": "public-security",
    }
    for key_id in (current, "k-unknown"):  # a key the ring has, and one it has not
        config = api.temporal.config()
        config["data_converter"] = dataclasses.replace(
            pydantic_data_converter, payload_codec=Forging(key_id)
        )
        forger = Client(**config).get_workflow_handle_for(
            ScenarioWorkflow.run, case_workflow_id(case_id)
        )
        # Rejected at once (the forger cannot even read the worker's sealed refusal), not
        # left pending on a failing workflow task.
        with pytest.raises((WorkflowUpdateFailedError, KeyRingError)):
            await asyncio.wait_for(
                forger.execute_update(ScenarioWorkflow.claim, ClaimInput(**made_up)), 15
            )
    task = await api.open_task(clerk, case_id)
    assert (task["status"], task["holder"]) == ("open", None)
    await api.approve(clerk, case_id)
    await api.wait_case(applicant, case_id, lambda c: c["status"] == "completed")
