"""Fixtures of the read model's tests."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from tests.conftest import DB_BACKENDS, fresh_database


@pytest.fixture(params=DB_BACKENDS)
def own_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A read model of this test alone, at the current migration, on each backend (for tests
    that migrate it, or change rows other tests would read)."""
    with fresh_database(request.param, tmp_path) as engine:
        yield engine
