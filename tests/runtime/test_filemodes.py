"""Files under the data directory are owner-only: the SQLite read model (and its -wal and
-shm files) is created 0600 in a 0700 folder, and `tighten` closes what was left open.
(`onego run` as a whole, with the dev server's temporal.db: tests/test_run.py.)"""

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from runtime.filemodes import private_folder, tighten
from store.db import create_schema, make_engine


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    """A umask that would leave files readable by all (022), as most shells set it."""
    before = os.umask(0o022)
    yield
    os.umask(before)


def test_sqlite_read_model_is_created_owner_only(tmp_path: Path, open_umask: None) -> None:
    folder = tmp_path / "data"
    engine = make_engine(f"sqlite:///{folder / 'onego.db'}")
    try:
        create_schema(engine)
        with engine.connect() as connection:  # WAL: the -wal and -shm files exist while open
            connection.execute(text('select count(*) from "case"'))
            files = sorted(p.name for p in folder.iterdir())
            assert {"onego.db", "onego.db-wal", "onego.db-shm"} <= set(files)
            for name in files:
                assert mode(folder / name) == 0o600, name
    finally:
        engine.dispose()
    assert mode(folder) == 0o700


def test_tighten_closes_what_was_left_open(tmp_path: Path, open_umask: None) -> None:
    folder = tmp_path / "data"
    folder.mkdir(mode=0o755)
    (folder / "temporal.db").write_text("")
    (folder / "nested").mkdir()
    (folder / "nested" / "keys.json").write_text("{}")
    assert mode(folder / "temporal.db") == 0o644
    private_folder(folder)
    assert tighten(folder) == 3  # the file, the nested folder and its file
    assert mode(folder) == 0o700 and mode(folder / "nested") == 0o700
    assert mode(folder / "temporal.db") == 0o600
    assert mode(folder / "nested" / "keys.json") == 0o600
    assert tighten(folder) == 0
