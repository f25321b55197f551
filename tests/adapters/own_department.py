"""A department's own adapter, loaded by configuration as `tests.adapters.own_department:make`
(DEPARTMENT_ADAPTERS): its outputs are marked OWN so that a test sees who issued them; and
`make_down`, one that never answers."""

import hashlib
from datetime import UTC, datetime

from adapters.simulated import DepartmentUnavailable
from runtime.settings import Settings
from workflows.models import CompensationRequest, CompensationResult, ItemRequest, ItemResult

ISSUED_AT = datetime(2026, 1, 5, tzinfo=UTC)


class OwnDepartment:
    """Issues a number derived from (case, item, output): idempotent without a ledger."""

    def __init__(self, department: str):
        self.department = department

    async def perform(self, request: ItemRequest) -> ItemResult:
        outputs = {
            o.code: "OWN" + hashlib.sha256(f"{request.case_id}/{o.code}".encode()).hexdigest()[:8]
            for o in request.outputs
        }
        return ItemResult(item=request.item, outputs=outputs, issued_at=ISSUED_AT)

    async def revoke(self, request: CompensationRequest) -> CompensationResult:
        return CompensationResult(item=request.item, revoked=True, revoked_at=ISSUED_AT)


def make(department: str, settings: Settings) -> OwnDepartment:
    return OwnDepartment(department)


class DownDepartment(OwnDepartment):
    """A system that never answers."""

    async def perform(self, request: ItemRequest) -> ItemResult:
        raise DepartmentUnavailable(f"{self.department} is down")


def make_down(department: str, settings: Settings) -> DownDepartment:
    return DownDepartment(department)
