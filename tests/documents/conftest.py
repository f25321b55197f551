"""The API of one documents test, on the time-skipping server (no workflow runs), with
small limits: 64 KiB per document, three uploads pending per applicant."""

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.engine import Engine
from temporalio.testing import WorkflowEnvironment

from runtime.settings import Settings
from tests.helpers import Api, running_api

MAX_BYTES = 64 * 1024
MAX_PENDING = 3


@pytest.fixture
async def api(
    time_skipping_env: WorkflowEnvironment, engine: Engine, settings: Settings
) -> AsyncIterator[Api]:
    limited = settings.model_copy(
        update={"document_max_bytes": MAX_BYTES, "document_max_pending": MAX_PENDING}
    )
    async with running_api(limited, time_skipping_env.client, engine, reconcile=False) as api:
        yield api
