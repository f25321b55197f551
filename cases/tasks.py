"""A department's review tasks: which there are, and each as its department sees it (only
the form fields, materials and outputs its item declares)."""

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Literal

from sqlmodel import Session, col, select

from cases.errors import NotAllowed, task_not_found
from cases.models import DocumentRef, TaskPublic
from catalog.loader import Catalog
from catalog.models import ResolvedItem
from documents.records import case_documents
from domain.statuses import ItemStatus
from domain.text import Text
from security import masking
from store.models import Case, CaseItem, User

OPEN = (ItemStatus.awaiting_review,)
WAITING = (ItemStatus.awaiting_supplement,)
STATUS_NAMES = {ItemStatus.awaiting_review: "open", ItemStatus.awaiting_supplement: "waiting"}
TaskStatus = Literal["open", "overdue", "waiting", "closed", "all"]
# A list's order: by deadline, by the day the task opened, by case number or by the day it was
# decided; a leading "-" is newest (or last) first.
TaskSort = Literal["due", "-due", "opened", "-opened", "case", "-case", "decided", "-decided"]
SORT_COLUMNS = {
    "due": CaseItem.due_at,
    "opened": CaseItem.opened_at,
    "case": Case.number,
    "decided": CaseItem.completed_at,
}
# Each list's own order unless one is asked: what is due first, what was decided last.
DEFAULT_SORT: dict[str, TaskSort] = {
    "open": "due",
    "overdue": "due",
    "waiting": "due",
    "closed": "-decided",
    "all": "-opened",
}
MAX_PER_PAGE = 500
MAX_PAGE = 10_000
# A case number or its beginning, as searched (store/case_numbers.py: CQ-20261201-000042);
# empty is no search.
CASE_PREFIX = r"^[A-Za-z0-9-]{0,32}$"


def _task(
    catalog: Catalog,
    row: CaseItem,
    case: Case,
    outputs: dict[str, str],
    now: datetime,
    whole: bool = False,
) -> TaskPublic:
    """The task with only the form fields, materials and outputs its item declares: the
    personal ones whole on the task itself (`whole`), masked in lists (security/masking.py)."""
    spec = catalog.spec(case.scenario, case.scenario_version)
    assert spec is not None
    item = spec.item(row.item)
    remaining = None
    if row.due_at is not None:
        remaining = (
            catalog.calendar.working_days_between(now, row.due_at)
            if row.due_at >= now
            else -catalog.calendar.working_days_between(row.due_at, now)
        )
    is_open = row.status in OPEN
    if row.status not in OPEN + WAITING:  # closed: its outcome and dates, no time left
        remaining = None
    fields = {f: case.form[f] for f in item.fields if f in case.form}
    upstream = {o: outputs[o] for o in item.uses_outputs if o in outputs}
    return TaskPublic(
        id=row.id,  # type: ignore[arg-type]
        case_id=row.case_id,
        case_number=case.number,
        item=row.item,
        item_name=item.name,
        department=row.department,
        status=STATUS_NAMES.get(row.status, row.status.value),
        opened_at=row.opened_at,
        due_at=row.due_at,
        decided_at=row.completed_at,
        remaining_working_days=round(remaining, 3) if remaining is not None else None,
        overdue=bool(is_open and remaining is not None and remaining < 0),
        breached=row.breached,
        holder=row.holder,
        decided_by=row.decided_by,
        reason_code=row.reason_code,
        reason=row.reason,
        supplement=row.supplement,
        department_days=row.department_days,
        applicant_days=row.applicant_days,
        fields=fields if whole else masking.mask_fields(catalog, fields),
        upstream=upstream if whole else masking.mask_outputs(catalog, upstream),
        materials=[catalog.materials[m].name for m in item.materials],
        whole=masking.whole_fields(catalog, fields, upstream) if whole else [],
    )


def department_tasks(
    session: Session,
    catalog: Catalog,
    department: str,
    status: TaskStatus = "open",
    holder: str | None = None,
    limit: int = 100,
    *,
    offset: int = 0,
    sort: TaskSort | None = None,
    case: str | None = None,
) -> list[TaskPublic]:
    """A department's review tasks (the API and the inbox pages): `limit` of them after
    `offset`, in the `sort` order (by default the list's own, `DEFAULT_SORT`), only the cases
    whose number is or begins with `case` if given.

    `open`: waiting for the department; `overdue`: open and past the promised limit;
    `waiting`: waiting for the applicant's supplement; `closed`: decided or cancelled.
    """
    query = (
        select(CaseItem, Case)
        .join(Case)
        .where(
            CaseItem.department == department,
            CaseItem.mode == "reviewed",
            col(CaseItem.opened_at).is_not(None),
        )
    )
    now = datetime.now(UTC)
    if status in ("open", "overdue"):
        query = query.where(col(CaseItem.status).in_(OPEN))
    if status == "overdue":
        query = query.where(col(CaseItem.due_at) < now)
    elif status == "waiting":
        query = query.where(col(CaseItem.status).in_(WAITING))
    elif status == "closed":
        query = query.where(col(CaseItem.status).not_in(OPEN + WAITING))
    if holder:
        query = query.where(CaseItem.holder == holder)
    if case:
        query = query.where(col(Case.number).startswith(case.strip().upper(), autoescape=True))
    query = query.order_by(*_order(sort or DEFAULT_SORT[status]))
    rows = session.exec(query.offset(offset).limit(limit)).all()
    return _tasks(session, catalog, rows, now)


def _order(sort: TaskSort) -> tuple[Any, ...]:
    """The ORDER BY of `sort`: its column (unknown values last), then the task's id."""
    column = col(SORT_COLUMNS[sort.removeprefix("-")])
    if sort.startswith("-"):
        return column.desc().nulls_last(), col(CaseItem.id).desc()
    return column.asc().nulls_last(), col(CaseItem.id)


def listed_department(user: User, department: str | None) -> str:
    """The department whose tasks `user` asks for (their own when none is named); a clerk
    may list only their own department's (one without a department lists nothing)."""
    department = department or user.department
    if department is None or department != user.department:
        raise NotAllowed(
            Text(
                zh=f"只能查看本部门（{user.department}）的任务",
                en=f"you may list only your department's tasks ({user.department})",
            )
        )
    return department


def department_task(
    session: Session, catalog: Catalog, task_id: int, department: str | None
) -> TaskPublic:
    """One review task of `department` with the data its item needs shown whole
    (`TaskPublic.whole` names the personal ones); `NotFound` for any other task."""
    row = session.get(CaseItem, task_id)
    if (
        row is None
        or row.mode != "reviewed"
        or row.opened_at is None
        or row.department != department
    ):
        raise task_not_found()
    case = session.get(Case, row.case_id)
    assert case is not None
    task = _tasks(session, catalog, [(row, case)], datetime.now(UTC), whole=True)[0]
    spec = catalog.spec(case.scenario, case.scenario_version)
    assert spec is not None
    task.documents = item_documents(session, catalog, case.id, spec.item(row.item))
    return task


def item_documents(
    session: Session, catalog: Catalog, case_id: str, item: ResolvedItem
) -> list[DocumentRef]:
    """The documents an item reviews: those of the form handed in as one of its materials,
    and those of its own supplements (the rule documents.records.readable applies)."""
    return [
        DocumentRef(
            id=d.id,
            name=d.name,
            material=d.material,
            material_name=catalog.materials[d.material].name
            if d.material in catalog.materials
            else None,
            content_type=d.content_type,
            size=d.size,
            supplement=d.item is not None,
        )
        for d in case_documents(session, case_id)
        if d.item == item.code or (d.item is None and d.material in item.materials)
    ]


def _tasks(
    session: Session,
    catalog: Catalog,
    rows: Sequence[tuple[CaseItem, Case]],
    now: datetime,
    whole: bool = False,
) -> list[TaskPublic]:
    outputs: dict[str, dict[str, str]] = {}
    case_ids = {case.id for _, case in rows}
    for other in session.exec(select(CaseItem).where(col(CaseItem.case_id).in_(case_ids))):
        outputs.setdefault(other.case_id, {}).update(other.outputs)
    return [_task(catalog, row, case, outputs.get(case.id, {}), now, whole) for row, case in rows]
