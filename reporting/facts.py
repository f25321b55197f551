"""What the rollups read of a case and of its items: one plain record of each.

The dashboard's reference path (reporting/case_tables.py) reads them from the case tables,
the seeder (simulation/seed.py) makes them, extended with what it writes besides; a stored
`Case` or `CaseItem` row carries the same fields, so `CaseLike` and `ItemLike` take either.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.statuses import CaseStatus
from store.models import Case, CaseItem


@dataclass(slots=True)
class CaseFacts:
    id: str
    scenario: str
    scenario_version: int
    status: CaseStatus
    submitted_at: datetime
    completed_at: datetime | None = None
    materials_baseline: int = 0
    materials_provided: int = 0
    baseline_days: float = 0.0
    actual_days: float | None = None
    applicant_days: float = 0.0
    department_days: float = 0.0
    breaches: int = 0


@dataclass(slots=True)
class ItemFacts:
    item: str
    department: str
    mode: str
    status: Any  # an ItemStatus, or its stored text
    opened_at: datetime | None = None
    completed_at: datetime | None = None
    department_days: float = 0.0
    applicant_days: float = 0.0
    breached: bool = False
    decided_by: str | None = None
    elapsed_days: float | None = None


CaseLike = CaseFacts | Case
ItemLike = ItemFacts | CaseItem
# the item columns in ItemFacts' order (a row of them makes one positionally)
ITEM_FACTS = tuple(ItemFacts.__dataclass_fields__)
