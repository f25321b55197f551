"""Helpers shared by the tests: polling, the API client of one test, form and ID builders."""

import asyncio
import inspect
import os
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select
from stdnum.cn import ric
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from api import create_app
from cases.submission import CASE_NAMESPACE
from forms.unified import example_form
from runtime.settings import Settings
from store.models import Case, Role, User
from store.users import add_user
from workflows import case_workflow_id

T = TypeVar("T")
# Newborn items that do not wait for household registration (the reviewed item).
INDEPENDENT_OF_REGISTRATION = {
    "childbirth_registration",
    "birth_medical_certificate",
    "vaccination_certificate",
    "maternity_medical_reimbursement",
    "maternity_allowance",
}
PASSWORD = "correct horse battery staple"


async def wait_until(
    predicate: Callable[[], T | Awaitable[T]],
    timeout: float = 20.0,
    interval: float = 0.05,
    what: str = "",
) -> T:
    """Poll `predicate` (sync or async) until it returns something truthy; return that."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        last = predicate()
        if inspect.isawaitable(last):
            last = await last
        if last:
            return last
        if time.monotonic() > deadline:
            raise AssertionError(
                f"timed out after {timeout:.0f}s waiting for {what or predicate}; last: {last!r}"
            )
        await asyncio.sleep(interval)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def own_queues() -> dict[str, str]:
    """Settings for task queues of one test alone: the tests of a run share each Temporal
    server, and a worker another test left behind (one that timed out) must not take these
    tasks."""
    tag = uuid.uuid4().hex[:12]
    return {"scenario_task_queue": f"scenarios-{tag}", "department_queue_prefix": f"dept-{tag}-"}


def newborn_form(**changes: Any) -> dict[str, Any]:
    """The catalog's complete valid example of the newborn form, with `changes` applied."""
    return {**example_form("newborn", 1), **changes}


def resident_id(division: str, birth: str, sequence: int) -> str:
    """A resident ID number with a correct check digit (birth as YYYYMMDD, may be invalid)."""
    body = f"{division}{birth}{sequence:03d}"
    return body + ric.calc_check_digit(body + "0")


def case_id_for(applicant_id: int, idempotency_key: str) -> str:
    """The case id the API derives from an applicant's Idempotency-Key."""
    return str(uuid.uuid5(CASE_NAMESPACE, f"{applicant_id}/{idempotency_key}"))


async def workflow_exists(client: Client, case_id: str) -> bool:
    """Whether the case's workflow was ever started (describe is strongly consistent)."""
    try:
        await client.get_workflow_handle(case_workflow_id(case_id)).describe()
    except RPCError as err:
        if err.status is RPCStatusCode.NOT_FOUND:
            return False
        raise
    return True


def count_cases(engine: Engine, applicant_id: int | None = None) -> int:
    with Session(engine) as session:
        query = select(func.count()).select_from(Case)
        if applicant_id is not None:
            query = query.where(Case.applicant_id == applicant_id)
        return session.exec(query).one()


@dataclass
class Account:
    user: User
    password: str
    headers: dict[str, str]

    @property
    def id(self) -> int:
        assert self.user.id is not None
        return self.user.id


class Api:
    """The real app of one test behind an httpx client, with helpers for its users and cases."""

    def __init__(
        self, client: httpx.AsyncClient, engine: Engine, settings: Settings, temporal: Client
    ):
        self.http = client
        self.engine = engine
        self.settings = settings
        self.temporal = temporal

    async def login(self, username: str, password: str) -> dict[str, str]:
        response = await self.http.post(
            "/api/v1/auth/token", data={"username": username, "password": password}
        )
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    async def account(self, role: Role, department: str | None = None) -> Account:
        """A new user with a unique name (the PostgreSQL database is shared), logged in."""
        username = unique(f"{role.value}-{department or 'x'}")
        with Session(self.engine) as session:
            user = add_user(session, username, PASSWORD, role, department)
        return Account(user, PASSWORD, await self.login(username, PASSWORD))

    async def submit(
        self,
        who: Account,
        form: dict[str, Any] | None = None,
        key: str | None = None,
        scenario: str = "newborn",
    ) -> httpx.Response:
        headers = dict(who.headers)
        if key is not None:
            headers["Idempotency-Key"] = key
        body = {"scenario": scenario, "form": newborn_form() if form is None else form}
        return await self.http.post("/api/v1/cases", json=body, headers=headers)

    async def case(self, who: Account, case_id: str) -> dict[str, Any]:
        response = await self.http.get(f"/api/v1/cases/{case_id}", headers=who.headers)
        assert response.status_code == 200, response.text
        return response.json()

    async def wait_case(
        self,
        who: Account,
        case_id: str,
        predicate: Callable[[dict[str, Any]], bool],
        timeout: float = 30.0,
        what: str = "",
    ) -> dict[str, Any]:
        async def check() -> dict[str, Any] | None:
            case = await self.case(who, case_id)
            return case if predicate(case) else None

        return await wait_until(check, timeout, what=what or f"case {case_id}")

    async def wait_for_review(self, who: Account, case_id: str) -> dict[str, Any]:
        """Wait until household registration waits for its clerk and every item that does
        not need it is done (nothing else is in flight then)."""
        return await self.wait_case(
            who,
            case_id,
            lambda c: (
                item_status(c, "household_registration") == "awaiting_review"
                and c["progress"]["done"] == len(INDEPENDENT_OF_REGISTRATION)
            ),
            what="household_registration awaiting review, the independent items done",
        )

    async def open_task(self, clerk: Account, case_id: str) -> dict[str, Any]:
        """The clerk's open review task of this case."""
        response = await self.http.get("/api/v1/tasks?status=open&limit=500", headers=clerk.headers)
        assert response.status_code == 200, response.text
        tasks = [t for t in response.json() if t["case_id"] == case_id]
        assert len(tasks) == 1, f"expected one open task of {case_id}: {response.json()}"
        return tasks[0]

    async def claim(self, clerk: Account, task_id: int) -> httpx.Response:
        return await self.http.post(
            f"/api/v1/tasks/{task_id}/claim", json={}, headers=clerk.headers
        )

    async def decide(
        self,
        clerk: Account,
        task_id: int,
        decision: str,
        reason: str | None = None,
        reason_code: str | None = None,
    ) -> httpx.Response:
        body = {"decision": decision, "reason": reason, "reason_code": reason_code}
        return await self.http.post(
            f"/api/v1/tasks/{task_id}/decision", json=body, headers=clerk.headers
        )

    async def approve(self, clerk: Account, case_id: str) -> dict[str, Any]:
        """Find the case's open task, claim it and approve it; return the task."""
        task = await self.open_task(clerk, case_id)
        claimed = await self.claim(clerk, task["id"])
        assert claimed.status_code == 200, claimed.text
        approved = await self.decide(clerk, task["id"], "approve")
        assert approved.status_code == 200, approved.text
        return task


def item_status(case: dict[str, Any], item: str) -> str:
    return next(i["status"] for i in case["items"] if i["code"] == item)


@asynccontextmanager
async def running_api(
    settings: Settings, temporal: Client, engine: Engine, reconcile: bool = True
) -> AsyncIterator[Api]:
    """`create_app(settings, temporal)` with its lifespan running, behind an httpx client.

    `reconcile=False` keeps the API's reconciler off every stored case (its passes take only
    cases older than its period): an API on the time-skipping server must not start there
    the cases other tests left `submitted` in the shared read model, as a workflow task that
    nobody polls on that server keeps its clock from skipping."""
    if not reconcile:
        settings = settings.model_copy(update={"reconcile_seconds": 10.0**9})
    app = create_app(settings, temporal=temporal)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://onego.test", timeout=60
        ) as client:
            yield Api(client, engine, settings, temporal)


def process_env(settings: Settings, temporal_address: str, namespace: str = "default") -> dict:
    """The environment of a worker or API process (`worker.py`, uvicorn) of these settings."""
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "TEMPORAL_ADDRESS": temporal_address,
        "TEMPORAL_NAMESPACE": namespace,
        "DATABASE_URL": settings.database_url,
        "SCENARIO_TASK_QUEUE": settings.scenario_task_queue,
        "DEPARTMENT_QUEUE_PREFIX": settings.department_queue_prefix,
        "SIM_LATENCY_MS": str(settings.sim_latency_ms),
        "DATA_DIR": str(settings.data_dir),
        "DATA_KEYS": settings.data_keys,
        "SECRET_KEY": settings.secret_key,
        "DEMO_USERS": "false",
    }
    env.pop("CATALOG_DIR", None)
    return env
