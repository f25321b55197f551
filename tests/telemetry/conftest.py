"""A newborn case run through the API on the dev server, with everything it exported."""

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from observability import telemetry
from runtime.settings import Settings
from store.db import make_engine
from store.models import Case, CaseItem, Role, Span
from tests.api.conftest import api, workers  # noqa: F401  (the same fixtures as tests/api)
from tests.conftest import Workers
from tests.helpers import Api, newborn_form, wait_until


@dataclass
class NewbornCase:
    id: str
    form: dict[str, Any]
    case: Case
    items: dict[str, CaseItem]
    spans: list[Span]  # every span exported from the submission to the case span
    logs: Sequence[logging.LogRecord]  # every log record of the same time, DEBUG and up

    def named(self, name: str) -> list[Span]:
        return [s for s in self.spans if s.name == name]


def _business_spans(engine: Engine, case_id: str) -> list[Span]:
    with Session(engine) as session:
        return list(
            session.exec(select(Span).where(Span.trace_id == telemetry.case_trace_hex(case_id)))
        )


@pytest.fixture
async def newborn_case(
    api: Api,  # noqa: F811
    workers: Workers,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> NewbornCase:
    """Submit the catalog's newborn example, approve its household registration, wait for the
    case to complete and for its case span and its workflow's run span to be exported (the
    exporter is flushed)."""
    caplog.set_level(logging.DEBUG)
    form = newborn_form()
    # where the spans go: beside a SQLite read model, a file of their own
    span_store = make_engine(api.settings.resolved_span_store_url)
    with Session(span_store) as session:
        mark = session.exec(select(func.max(Span.id))).one() or 0
    applicant = await api.account(Role.applicant)
    clerk = await api.account(Role.clerk, "public-security")
    created = await api.submit(applicant, form)
    assert created.status_code == 201, created.text
    case_id = created.json()["id"]
    await api.wait_for_review(applicant, case_id)
    await api.approve(clerk, case_id)
    await api.wait_case(applicant, case_id, lambda c: c["status"] == "completed")

    def missing() -> list[str]:
        """Which of the case span (emitted by the case's last read-model write) and the
        workflow's run span (emitted when its first task runs) the store lacks."""
        telemetry.flush()
        with Session(span_store) as session:
            runs = session.exec(
                select(Span).where(
                    Span.name == "RunWorkflow:ScenarioWorkflow",
                    Span.id > mark,  # type: ignore[operator]
                )
            ).all()
        lacking = []
        if not any(s.attributes.get("temporalWorkflowID") == f"case-{case_id}" for s in runs):
            lacking.append("the run span")
        if not any(s.parent_id is None for s in _business_spans(span_store, case_id)):
            lacking.append("the case span")
        return lacking

    try:
        await wait_until(lambda: not missing(), timeout=20, what="the case and run spans")
    except AssertionError as timeout:
        # say which, and what the span store reported (a batch it could not write)
        store = [r.getMessage() for r in caplog.records if r.getMessage().startswith("span store")]
        raise AssertionError(f"{timeout}: {missing()} missing; {store}") from None
    telemetry.flush()
    with Session(api.engine) as session:
        case = session.get(Case, case_id)
        assert case is not None
        items = {
            i.item: i for i in session.exec(select(CaseItem).where(CaseItem.case_id == case_id))
        }
    with Session(span_store) as session:
        spans = list(session.exec(select(Span).where(Span.id > mark)))  # type: ignore[operator]
    return NewbornCase(case_id, form, case, items, spans, list(caplog.records))


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The shared test settings with a span per SQL statement, so that those are checked too."""
    return settings.model_copy(update={"otel_sql_spans": True})
