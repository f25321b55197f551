"""The reference department's SQLite ledger: exactly one issue per (case, item), and the
nonces seen within the replay window."""

import json
import sqlite3
import time
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS issue (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id TEXT NOT NULL,
    item TEXT NOT NULL,
    outputs TEXT NOT NULL,
    issued_at TEXT NOT NULL,
    ready_at TEXT,
    revoked_at TEXT,
    revoke_reason TEXT,
    UNIQUE (case_id, item)
);
CREATE TABLE IF NOT EXISTS nonce (nonce TEXT PRIMARY KEY, seen_at REAL NOT NULL);
"""
COLUMNS = "id, outputs, issued_at, ready_at, revoked_at"


@dataclass(frozen=True)
class Issue:
    id: int
    outputs: dict[str, str]
    issued_at: datetime
    ready_at: datetime | None
    revoked_at: datetime | None


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _issue(row: tuple) -> Issue:
    id_, outputs, issued_at, ready_at, revoked_at = row
    return Issue(
        id_,
        json.loads(outputs),
        datetime.fromisoformat(issued_at),
        _time(ready_at),
        _time(revoked_at),
    )


class Ledger:
    """Blocking calls: the service runs them in a thread."""

    def __init__(self, path: Path):
        self._path = path
        with closing(self._connect()) as connection:
            connection.execute("PRAGMA journal_mode=wal")
            connection.executescript(SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self._path, timeout=10, isolation_level=None)

    def issue_once(
        self,
        case_id: str,
        item: str,
        outputs: dict[str, str],
        ready_at: datetime | None,
        again: bool = False,
    ) -> Issue:
        """The issue of (case, item): this one if it is the first, else the first one.
        `again` (the deliberately broken variant) replaces the first issue with this one."""
        issued_at = ready_at or datetime.now(UTC)
        verb = "INSERT OR REPLACE" if again else "INSERT OR IGNORE"
        with closing(self._connect()) as connection:
            connection.execute(
                f"{verb} INTO issue (case_id, item, outputs, issued_at, ready_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (
                    case_id,
                    item,
                    json.dumps(outputs),
                    issued_at.isoformat(),
                    ready_at.isoformat() if ready_at else None,
                ),
            )
            return self._find(connection, case_id, item)  # type: ignore[return-value]

    def revoke_once(self, case_id: str, item: str, reason: str) -> Issue | None:
        """Revoke the issue of (case, item), once: a second revocation changes nothing."""
        with closing(self._connect()) as connection:
            connection.execute(
                "UPDATE issue SET revoked_at = ?, revoke_reason = ? "
                "WHERE case_id = ? AND item = ? AND revoked_at IS NULL",
                (datetime.now(UTC).isoformat(), reason[:500], case_id, item),
            )
            return self._find(connection, case_id, item)

    def remember_nonce(self, nonce: str, window: int) -> bool:
        """Record `nonce`; False when it was seen within the window (a replay)."""
        now = time.time()
        with closing(self._connect()) as connection:
            # nonces older than the window can go: their timestamps are refused anyway
            connection.execute("DELETE FROM nonce WHERE seen_at < ?", (now - 2 * window,))
            try:
                connection.execute("INSERT INTO nonce VALUES (?, ?)", (nonce, now))
            except sqlite3.IntegrityError:
                return False
        return True

    @staticmethod
    def _find(connection: sqlite3.Connection, case_id: str, item: str) -> Issue | None:
        query = f"SELECT {COLUMNS} FROM issue WHERE case_id = ? AND item = ?"
        row = connection.execute(query, (case_id, item)).fetchone()
        return _issue(row) if row else None
