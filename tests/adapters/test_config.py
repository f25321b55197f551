"""Each department's adapter chosen by configuration: simulated by default, `http` with its
URL and secret, or a department's own `module:factory`; always behind the breaker."""

import uuid
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from temporalio.testing import ActivityEnvironment

from adapters import config
from adapters.http import HttpDepartment
from adapters.resilience import CircuitOpen
from adapters.simulated import DepartmentUnavailable
from catalog.loader import get_catalog
from runtime.settings import Settings
from store.models import SimulatedIssue
from tests.examples.service import reference_service
from workflows.models import ItemRequest, ItemResult

OWN = "tests.adapters.own_department:make"
DEPARTMENTS = sorted(get_catalog().departments)


def request(item_code: str) -> ItemRequest:
    item = get_catalog().items[item_code]
    return ItemRequest(
        case_id=str(uuid.uuid4()),
        scenario="newborn",
        item=item.code,
        department=item.department,
        fields={},
        outputs=item.outputs,
    )


async def perform(engine: Engine, settings: Settings, item_request: ItemRequest) -> ItemResult:
    adapter = config.adapter_for(item_request.department, engine, settings)
    return await ActivityEnvironment().run(adapter.perform, item_request)


def ledger(engine: Engine, case_id: str) -> list[SimulatedIssue]:
    with Session(engine) as session:
        return list(session.exec(select(SimulatedIssue).where(SimulatedIssue.case_id == case_id)))


async def test_a_department_not_named_is_simulated(settings: Settings, engine: Engine) -> None:
    settings = settings.model_copy(update={"department_adapters": {"tax": OWN}})
    premium = request("medical_insurance_payment")  # tax: its own adapter
    certificate = request("birth_medical_certificate")  # health: not named
    own = await perform(engine, settings, premium)
    simulated = await perform(engine, settings, certificate)
    assert own.outputs["premium_receipt_no"].startswith("OWN")
    assert ledger(engine, premium.case_id) == []
    (row,) = ledger(engine, certificate.case_id)
    assert row.outputs == simulated.outputs and simulated.outputs["birth_certificate_no"]


async def test_every_adapter_is_behind_the_configured_breaker(
    settings: Settings, engine: Engine
) -> None:
    down = {"department_adapters": {"health": f"{OWN}_down"}, "breaker_failures": 2}
    adapter = config.adapter_for("health", engine, settings.model_copy(update=down))
    certificate = request("birth_medical_certificate")
    env = ActivityEnvironment()
    for _ in range(2):
        with pytest.raises(DepartmentUnavailable, match="health is down"):
            await env.run(adapter.perform, certificate)
    with pytest.raises(CircuitOpen):
        await env.run(adapter.perform, certificate)


def test_http_builds_the_http_adapter_with_its_url_secret_and_signature(
    sqlite_engine: Engine,
) -> None:
    settings = Settings(
        department_adapters="tax=http, customs=http",
        department_urls="tax=https://tax.example.gov.cn/onego customs=https://customs.example",
        department_secrets="tax=s3cret customs=other",
        department_signing="tax=hmac-sm3",
    )
    tax = config.adapter_for("tax", sqlite_engine, settings)._inner
    assert isinstance(tax, HttpDepartment)
    assert str(tax.client.base_url) == "https://tax.example.gov.cn/onego/"
    assert (tax.signer.department, tax.signer.secret) == ("tax", b"s3cret")
    assert tax.signer.algorithm == "hmac-sm3"
    customs = config.adapter_for("customs", sqlite_engine, settings)._inner
    assert customs.signer.algorithm == "hmac-sha256"


async def test_http_reaches_the_department_system(sqlite_engine: Engine, tmp_path: Path) -> None:
    """Through the configuration, the reference department service (a separate process)."""
    engine = sqlite_engine
    with reference_service(tmp_path, department="health") as service:
        settings = Settings(
            department_adapters="health=http",
            department_urls=f"health={service.url}",
            department_secrets=f"health={service.secret}",
        )
        certificate = request("birth_medical_certificate")
        issued = await perform(engine, settings, certificate)
        assert issued.outputs["birth_certificate_no"].startswith("Q")
        assert await perform(engine, settings, certificate) == issued  # idempotent
    assert ledger(engine, certificate.case_id) == []  # not the simulated back-end


def test_http_without_its_url_or_secret_is_refused(sqlite_engine: Engine) -> None:
    for missing in ("department_urls", "department_secrets"):
        settings = Settings(
            department_adapters="tax=http",
            **{"department_urls": "tax=https://tax.example", "department_secrets": "tax=s"}
            | {missing: ""},
        )
        with pytest.raises(config.AdapterConfigError, match="DEPARTMENT_URLS and"):
            config.adapter_for("tax", sqlite_engine, settings)


@pytest.mark.parametrize(
    ("settings", "error"),
    [
        (Settings(department_adapters="taxx=http"), "DEPARTMENT_ADAPTERS: no department taxx"),
        (Settings(department_urls="court=https://court.example, tx=x"), "DEPARTMENT_URLS: no"),
        (Settings(department_adapters="tax=soap"), "tax=soap is not simulated, http or module"),
        (Settings(department_adapters="tax=http"), "tax=http needs its DEPARTMENT_URLS"),
        (
            Settings(department_adapters="tax=http", department_urls="tax=https://tax.example"),
            "tax=http needs its DEPARTMENT_URLS and DEPARTMENT_SECRETS",
        ),
        (  # personal data in clear over a network
            Settings(
                department_adapters="tax=http",
                department_urls="tax=http://tax.example.gov.cn/onego",
                department_secrets="tax=s",
            ),
            "tax=http://tax.example.gov.cn... must be an https:// URL",
        ),
        (
            Settings(
                department_adapters="tax=http",
                department_urls="tax=ftp://127.0.0.1/onego",
                department_secrets="tax=s",
            ),
            "must be an https:// URL",
        ),
    ],
)
def test_settings_naming_an_unknown_department_or_adapter_are_refused(
    settings: Settings, error: str
) -> None:
    with pytest.raises(config.AdapterConfigError, match=error):
        config.check(settings, DEPARTMENTS)


def test_a_factory_that_cannot_be_loaded_is_refused(sqlite_engine: Engine) -> None:
    settings = Settings(department_adapters="tax=tests.adapters.nowhere:make")
    config.check(settings, DEPARTMENTS, serving=["customs"])  # another process serves tax
    with pytest.raises(config.AdapterConfigError, match="cannot load tests.adapters.nowhere"):
        config.check(settings, DEPARTMENTS, serving=["tax"])  # at start, before any call
    with pytest.raises(config.AdapterConfigError, match="cannot load tests.adapters.nowhere"):
        config.adapter_for("tax", sqlite_engine, settings)


def test_entries_come_from_the_environment_and_errors_never_repeat_a_secret(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DEPARTMENT_ADAPTERS", f"tax=http,\ncustoms={OWN}")
    monkeypatch.setenv("DEPARTMENT_SECRETS", "tax=s3cret")
    monkeypatch.setenv("DEPARTMENT_URLS", "tax=https://tax.example")
    settings = Settings()
    assert settings.department_adapters == {"tax": "http", "customs": OWN}
    assert "s3cret" not in repr(settings)
    config.check(settings, DEPARTMENTS)
    for broken in ("tax=s3cret customs", "tax=s3cret,tax=s3cret2", "=s3cret"):
        monkeypatch.setenv("DEPARTMENT_SECRETS", broken)
        with pytest.raises(ValidationError, match="is not a new code=value") as refused:
            Settings()
        assert "s3cret" not in str(refused.value)


def test_a_refused_url_is_not_repeated_whole() -> None:
    settings = Settings(
        department_adapters="tax=http",
        department_urls="tax=http://onego:p4ssw0rd@tax.example.gov.cn/onego?token=t0ken",
        department_secrets="tax=s",
    )
    with pytest.raises(config.AdapterConfigError) as refused:
        config.check(settings, DEPARTMENTS)
    assert "p4ssw0rd" not in str(refused.value) and "t0ken" not in str(refused.value)


def test_https_anywhere_and_plain_http_to_this_machine_only_are_accepted() -> None:
    for url in ("https://tax.example.gov.cn/onego", "http://127.0.0.1:8700", "http://[::1]:1"):
        settings = Settings(
            department_adapters="tax=http", department_urls=f"tax={url}", department_secrets="tax=s"
        )
        config.check(settings, DEPARTMENTS)
