"""The API of one test: the real app against the dev server and the test's database."""

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.engine import Engine
from temporalio.testing import WorkflowEnvironment

from runtime.settings import Settings
from tests.conftest import Workers
from tests.helpers import Api, running_api


@pytest.fixture
async def api(
    dev_env: WorkflowEnvironment, engine: Engine, settings: Settings
) -> AsyncIterator[Api]:
    """`create_app(settings, temporal=dev_env.client)` with its lifespan, and an httpx client."""
    async with running_api(settings, dev_env.client, engine) as api:
        yield api


@pytest.fixture
async def workers(
    dev_env: WorkflowEnvironment, engine: Engine, settings: Settings
) -> AsyncIterator[Workers]:
    """The scenario and department workers of this test, on the dev server."""
    async with Workers(dev_env.client, engine, settings) as workers:
        yield workers
