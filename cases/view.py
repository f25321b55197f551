"""The case as people see it: status, items, progress, outputs, messages and its measures,
and which cases a user may see."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from cases.errors import NotAllowed, case_not_found
from cases.models import CaseItemPublic, CasePublic, Measures, NotificationPublic, Progress
from cases.submission import new_items
from catalog.loader import Catalog
from domain import measures
from domain.statuses import ItemStatus
from domain.text import Text
from security import masking
from store.case_numbers import resolve_case_ref
from store.models import Audience, Case, CaseItem, Certificate, Notification, Role, User

LISTED = 100  # the newest cases a list shows


@dataclass(frozen=True)
class NewItem:
    """An item as a new case stores it (store.models.CaseItem's defaults, not read back)."""

    item: str
    position: int
    department: str
    mode: str
    status: ItemStatus = ItemStatus.pending
    outputs: dict[str, str] = field(default_factory=dict)
    reason: str | None = None
    completed_at: datetime | None = None
    due_at: datetime | None = None
    breached: bool = False
    department_days: float = 0.0
    applicant_days: float = 0.0
    supplement: dict[str, Any] | None = None


def case_measures(case: Case) -> Measures:
    """The reform's measures of one case: materials and fields asked vs the one-by-one
    baseline, actual vs baseline days, the applicant's and the departments' time, breaches."""
    return Measures(
        materials_baseline=case.materials_baseline,
        materials_provided=case.materials_provided,
        material_reduction=measures.rounded(
            measures.material_reduction(case.materials_provided, case.materials_baseline)
        )
        or 0.0,
        fields_baseline=case.fields_baseline,
        fields_typed=case.fields_typed,
        baseline_days=case.baseline_days,
        actual_days=case.actual_days,
        time_reduction=measures.rounded(
            measures.time_reduction(case.actual_days, case.baseline_days)
        ),
        applicant_days=round(case.applicant_days, 6),
        department_days=round(case.department_days, 6),
        breaches=case.breaches,
    )


def case_view(
    catalog: Catalog,
    case: Case,
    items: Sequence[CaseItem | NewItem],
    notifications: list[Notification] | None = None,
    whole: bool = False,
) -> CasePublic:
    """The applicant's view of a case: status, items, progress, outputs and measures. The
    issued outputs are masked (lists, other viewers) unless `whole` (the applicant's own
    case, security/masking.py)."""

    def shown(issued: dict[str, str]) -> dict[str, str]:
        return dict(issued) if whole else masking.mask_outputs(catalog, issued)

    spec = catalog.spec(case.scenario, case.scenario_version)
    assert spec is not None
    done = {i.item for i in items if i.status == "done"}
    public_items = []
    outputs: dict[str, str] = {}
    for row in sorted(items, key=lambda i: i.position):
        item = spec.item(row.item)
        outputs.update(row.outputs)
        public_items.append(
            CaseItemPublic(
                code=row.item,
                name=item.name,
                department=row.department,
                department_name=item.department_name,
                mode=row.mode,
                status=row.status,
                ready=all(r in done for r in item.requires),
                outputs=shown(row.outputs),
                reason=row.reason,
                completed_at=row.completed_at,
                due_at=row.due_at,
                breached=row.breached,
                department_days=row.department_days,
                applicant_days=row.applicant_days,
                supplement=row.supplement if row.status == "awaiting_supplement" else None,
            )
        )
    total = len(items)
    return CasePublic(
        id=case.id,
        number=case.number,
        scenario=case.scenario,
        scenario_version=case.scenario_version,
        status=case.status,
        reason=case.reason,
        submitted_at=case.submitted_at,
        completed_at=case.completed_at,
        progress=Progress(
            done=len(done),
            total=total,
            text={"zh": f"已完成 {len(done)}/{total} 项", "en": f"{len(done)} of {total} done"},
        ),
        items=public_items,
        outputs=shown(outputs),
        whole=masking.whole_fields(catalog, outputs=outputs) if whole else [],
        undone=case.undone,
        notifications=[
            NotificationPublic(
                id=n.id,
                case_id=n.case_id,
                kind=n.kind.value,  # type: ignore[arg-type]
                text=n.text,
                created_at=n.created_at,
            )  # type: ignore[arg-type]
            for n in notifications or []
        ],
        measures=case_measures(case),
    )


def case_items(session: Session, case_id: str) -> list[CaseItem]:
    return list(session.exec(select(CaseItem).where(CaseItem.case_id == case_id)))


def new_case_view(catalog: Catalog, case: Case) -> CasePublic:
    """A case this request has just stored, as its applicant sees it, from what was stored
    (the items of its scenario version that apply to its form) without reading it back."""
    spec = catalog.spec(case.scenario, case.scenario_version)
    assert spec is not None
    rows = new_items(case.id, spec.applicable(case.form))
    items = [NewItem(r["item"], r["position"], r["department"], r["mode"]) for r in rows]
    return case_view(catalog, case, items, whole=True)


def submitted_case(session: Session, catalog: Catalog, case: Case) -> CasePublic:
    """A case submitted earlier (a repeated request), as its applicant sees it now."""
    return case_view(catalog, case, case_items(session, case.id), whole=True)


# Newest first; the id breaks ties (synthetic cases share their times), so lists are stable.
NEWEST_FIRST = (col(Case.submitted_at).desc(), col(Case.id).desc())


def list_cases(session: Session, catalog: Catalog, user: User) -> list[CasePublic]:
    """The applicant's own cases (managers and admins: every case), newest first; issued
    numbers masked (the case itself shows its applicant them whole)."""
    query = select(Case).order_by(*NEWEST_FIRST)
    if user.role is Role.applicant:
        query = query.where(Case.applicant_id == user.id)
    elif user.role not in (Role.manager, Role.admin):
        raise NotAllowed(Text(zh="申请人或管理者可查看办件", en="applicants and managers only"))
    cases = session.exec(query.limit(LISTED))
    return [case_view(catalog, c, case_items(session, c.id)) for c in cases]


def own_case(session: Session, ref: str, user: User) -> Case:
    """The user's own case, by its number or id; `NotFound` for any other."""
    case = resolve_case_ref(session, ref)
    if case is None or case.applicant_id != user.id:
        raise case_not_found()
    return case


def case_id_of(session: Session, ref: str) -> str:
    """The id of the case a number or id names (what the audit trail records), or `ref`
    itself when it names none."""
    case = resolve_case_ref(session, ref)
    return case.id if case is not None else ref


def visible(session: Session, ref: str, user: User) -> Case:
    """The case a number or id names, if `user` may see it (its applicant, managers and
    admins); `NotFound` for anyone else."""
    case = resolve_case_ref(session, ref)
    own = case is not None and case.applicant_id == user.id
    if case is None or not (own or user.role in (Role.manager, Role.admin)):
        raise case_not_found()
    return case


def visible_case(session: Session, catalog: Catalog, ref: str, user: User) -> CasePublic:
    """The case as `user` may see it, by its number or id: whole for its applicant, masked
    for managers and admins, `NotFound` for anyone else (not audited: callers that show it
    record the view)."""
    case = visible(session, ref, user)
    notifications = list(
        session.exec(
            select(Notification)
            .where(Notification.case_id == case.id, Notification.audience == Audience.applicant)
            .order_by(col(Notification.id))
        )
    )
    whole = case.applicant_id == user.id
    view = case_view(catalog, case, case_items(session, case.id), notifications, whole=whole)
    if whole:
        view.certificates = certified_outputs(session, case.id)
    return view


def certified_outputs(session: Session, case_id: str) -> list[str]:
    """The case's outputs issued as electronic certificates (receipts/certificate.py)."""
    return list(
        session.exec(
            select(Certificate.output)
            .where(Certificate.case_id == case_id)
            .order_by(col(Certificate.output))
        )
    )
