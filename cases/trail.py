"""Where the case service records what users do: the audit trail of the request
(`routers.audit.Auditor`, for the API and the pages alike)."""

from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

from sqlmodel import Session

from store.models import User


class Trail(Protocol):
    """Records a user's actions. An action's own changes are made in `session` and commit
    with its audit row; a refused action's changes are rolled back and its refusal recorded."""

    session: Session

    def record(self, user: User | None, action: str, **kw: Any) -> None: ...

    def add(self, user: User | None, action: str, **kw: Any) -> None:
        """Add the row to `session` without committing: it commits with the action."""
        ...

    def awatched(
        self, user: User | None, action: str, object_type: str, object_id: str, detail: str = ""
    ) -> AbstractAsyncContextManager[None]: ...
