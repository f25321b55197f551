"""The department's pages (issue 4): the inbox, the team backlog, one task and its decisions.

Tasks come from the case service, `cases.tasks` (the same queries and the same "only this
item's data" projection as GET /api/v1/tasks); claims and decisions go to the case's
workflow through `cases.review` (Temporal updates), whose validators are the authority: a
refusal is shown in both languages, with the API's status, and changes nothing.
"""

from collections import Counter
from collections.abc import Iterable
from functools import partial
from typing import Any, get_args
from urllib.parse import parse_qsl, urlencode, urlsplit

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import ValidationError
from sqlmodel import col, select

from cases import review
from cases.errors import CaseError, NotFound
from cases.models import DecisionCreate
from cases.tasks import DEFAULT_SORT, TaskSort, TaskStatus, department_task, department_tasks
from catalog.loader import Catalog
from catalog.models import FieldType
from documents.records import readable
from documents.vault import get_opened, store_of
from domain.text import Text
from forms.messages import problems_from
from middleware.bounds import RowId
from routers.audit import Auditor
from routers.deps import CatalogDep, SessionDep, SettingsDep, TemporalDep
from routers.documents import content_response
from routers.errors import status_of
from routers.tasks import CasePrefix, Page
from store import sealed
from store.models import Audience, Case, CaseItem, Notification, Role, User
from web.common import STAFF, Staff, not_found, redirect, render
from web.i18n import LANGS, both, translate
from web.notice import build_notice
from workflows.models import Decision

router = APIRouter(include_in_schema=False)
TABS: tuple[TaskStatus, ...] = get_args(TaskStatus)
# Decision form inputs -> their labels, for problems found before the workflow is asked.
INPUT_LABELS = {"note": "task.supplement_note", "reason": "task.reject_text"}
PER_PAGE = 50
# The orders a tab offers (label, sort); closed tasks also by the day they were decided.
SORTS = (
    ("inbox.sort_due", "due"),
    ("inbox.sort_newest", "-opened"),
    ("inbox.sort_oldest", "opened"),
    ("inbox.sort_decided", "-decided"),
    ("inbox.sort_case", "case"),
)
UNDECIDED_TABS = ("open", "overdue", "waiting")
LISTING = ("status", "case", "sort", "page")  # the inbox's query: the list on the screen
# Decisions that end the task: the clerk ticks "I have checked..." first (no script needed).
CONFIRMED = (Decision.approve, Decision.reject)


def _department_name(catalog: Catalog, user: User) -> Text:
    department = catalog.departments.get(user.department or "")
    return department.name if department else Text(zh=user.department or "", en="")


def _notifications(session: SessionDep, user: User) -> list[Notification]:
    audiences = [Audience.department]
    if user.role is Role.supervisor:
        audiences.append(Audience.supervisor)
    query = (
        select(Notification)
        .where(Notification.department == user.department)
        .where(col(Notification.audience).in_(audiences))
        .order_by(col(Notification.id).desc())
        .limit(20)
    )
    return list(session.exec(query))


def _numbers(session: SessionDep, case_ids: set[str]) -> dict[str, str]:
    """The numbers of these cases (those that have one)."""
    query = select(Case.id, Case.number).where(col(Case.id).in_(case_ids))
    return {case_id: number for case_id, number in session.exec(query) if number}


def _staff(session: SessionDep, department: str) -> list[User]:
    query = select(User).where(
        User.department == department, col(User.role).in_(STAFF), col(User.disabled).is_(False)
    )
    return list(session.exec(query.order_by(col(User.display_name), col(User.username))))


def _names(session: SessionDep, usernames: Iterable[str | None]) -> dict[str, str]:
    """The display names of these users (holders, deciders), by username."""
    wanted = {name for name in usernames if name}
    query = select(User.username, User.display_name).where(col(User.username).in_(wanted))
    return {username: shown or username for username, shown in session.exec(query)}


def _inbox_url(status: str, case: str, sort: str | None, page: int = 1) -> str:
    """A link of the inbox that keeps its tab, search and order."""
    query = {"status": status, "case": case, "sort": sort, "page": page if page > 1 else None}
    return "/inbox?" + urlencode({name: value for name, value in query.items() if value})


def _back_to_inbox(back: str, message: str) -> str | None:
    """The inbox list a form was sent from (its tab, search, order and page: only these are
    kept, so it is never another site) with `message` shown; None if it was not the inbox."""
    parts = urlsplit(back)
    if parts.scheme or parts.netloc or parts.path != "/inbox":
        return None
    query = [(name, value) for name, value in parse_qsl(parts.query) if name in LISTING]
    return "/inbox?" + urlencode([*query, ("msg", message)])


@router.get("/inbox")
def inbox(
    request: Request,
    user: Staff,
    session: SessionDep,
    catalog: CatalogDep,
    status: TaskStatus = "open",
    case: CasePrefix = "",
    sort: TaskSort | None = None,
    page: Page = 1,
) -> Response:
    """The department's tasks by tab, `PER_PAGE` at a time: open ones by deadline with the
    working time left, closed ones last decided first with their outcome; a case number or
    its beginning finds its tasks. A supervisor also sees the team's backlog by holder, the
    overdue tasks and can assign tasks."""
    department = user.department or ""
    order = sort or DEFAULT_SORT[status]
    tasks = department_tasks(
        session,
        catalog,
        department,
        status,
        limit=PER_PAGE + 1,  # one more tells whether there is a next page
        offset=(page - 1) * PER_PAGE,
        sort=order,
        case=case,
    )
    notifications = _notifications(session, user)
    context: dict[str, Any] = {
        "department": _department_name(catalog, user),
        "tasks": tasks[:PER_PAGE],
        "tab": status,
        "tabs": TABS,
        "case": case,
        "sort": order,
        "sorts": [s for s in SORTS if status not in UNDECIDED_TABS or s[1] != "-decided"],
        "page": page,
        "listing": _inbox_url(status, case, sort, page),
        "previous": _inbox_url(status, case, sort, page - 1) if page > 1 else None,
        "next": _inbox_url(status, case, sort, page + 1) if len(tasks) > PER_PAGE else None,
        "notifications": notifications,
        "numbers": _numbers(session, {n.case_id for n in notifications}),
    }
    shown = [name for task in tasks for name in (task.holder, task.decided_by)]
    if user.role is Role.supervisor:
        backlog = department_tasks(session, catalog, department, "open", limit=500)
        holders = Counter(t.holder for t in backlog if t.holder)
        context["team"] = {
            "open": len(backlog),
            "overdue": sum(t.overdue for t in backlog),
            "unassigned": sum(t.holder is None for t in backlog),
            "by_holder": sorted(holders.items()),
        }
        context["staff"] = _staff(session, department)
        shown.extend(holders)
    context["names"] = _names(session, shown)
    return render(request, "inbox.html", context, user=user)


def _value(catalog: Catalog, code: str, value: Any) -> Text:
    definition = catalog.fields[code]
    if definition.type is FieldType.boolean:
        return both("form.yes") if value else both("form.no")
    if option := definition.options.get(str(value)):
        return option
    return Text(zh=str(value), en=str(value))


def _task_page(
    request: Request,
    user: User,
    session: SessionDep,
    catalog: Catalog,
    task_id: int,
    message: Text | None = None,
    status_code: int = 200,
    problems: dict[str, Text] | None = None,
    typed: dict[str, str] | None = None,
) -> Response:
    """The task page; after a refused decision, `problems` (input -> message) are shown
    next to their inputs and what the clerk `typed` is kept."""
    with Auditor(request, session).watched(user, "task.view", "task", str(task_id)):
        try:
            task = department_task(session, catalog, task_id, user.department)
        except NotFound:
            raise not_found() from None
    case = session.get(Case, task.case_id)
    assert case is not None
    spec = catalog.spec(case.scenario, case.scenario_version)
    assert spec is not None
    item = spec.item(task.item)
    scenario = catalog.scenario(case.scenario, case.scenario_version)
    assert scenario is not None
    notice = build_notice(catalog, scenario)
    output_labels = {o.code: o.label for i in spec.items for o in i.outputs}
    context = {
        "task": task,
        "scenario": scenario,
        # The item's materials as the notice lists them: asked, fetched or from another item.
        "materials": next(n.materials for n in notice.items if n.item.code == task.item),
        "fields": [
            (catalog.fields[code].label, _value(catalog, code, value))
            for code, value in task.fields.items()
        ],
        "upstream": [(output_labels.get(code), value) for code, value in task.upstream.items()],
        "item_fields": [(code, catalog.fields[code].label) for code in item.fields],
        "item_materials": [(code, catalog.materials[code].name) for code in item.materials],
        "reasons": list(catalog.review.reject_reasons.items()),
        "staff": _staff(session, user.department or "") if user.role is Role.supervisor else [],
        "message": message,
        "problems": problems or {},
        "typed": typed or {},
        "held": task.holder == user.username,
        "names": _names(session, (task.holder, task.decided_by)),
    }
    return render(request, "task.html", context, status_code, user)


@router.get("/inbox/tasks/{task_id}")
def task_page(
    task_id: RowId, request: Request, user: Staff, session: SessionDep, catalog: CatalogDep
) -> Response:
    """One task: the case data its item needs and nothing more, and the decision forms."""
    return _task_page(request, user, session, catalog, task_id)


@router.get("/inbox/tasks/{task_id}/documents/{document_id}")
def task_document(
    task_id: RowId,
    document_id: str,
    request: Request,
    user: Staff,
    session: SessionDep,
    catalog: CatalogDep,
    settings: SettingsDep,
) -> Response:
    """A document the task's item reviews (the task page lists them), as GET
    /api/v1/documents/{id} answers it; recorded in the audit trail (document.view)."""
    with Auditor(request, session).watched(user, "document.view", "document", document_id):
        try:
            task = department_task(session, catalog, task_id, user.department)
        except NotFound:
            raise not_found() from None
        document = readable(session, catalog, document_id, user)
        if document is None or document_id not in {d.id for d in task.documents}:
            raise not_found()
        data = get_opened(store_of(settings), sealed.keyring(), document.sha256)
    return content_response(document, data)


def _own_row(session: SessionDep, task_id: int, user: User) -> CaseItem:
    try:
        row = review.review_row(session, task_id)
    except NotFound:
        raise not_found() from None
    if row.department != user.department:
        raise not_found()
    return row


@router.post("/inbox/tasks/{task_id}/claim")
async def claim(
    task_id: RowId,
    request: Request,
    user: Staff,
    session: SessionDep,
    temporal: TemporalDep,
    catalog: CatalogDep,
) -> Response:
    """Claim the task, or (supervisors) assign it to a clerk of the department."""
    posted = await request.form()
    assignee = str(posted.get("assignee") or "").strip() or None
    row = await run_in_threadpool(_own_row, session, task_id, user)
    again = partial(_task_page, request, user, session, catalog, task_id)
    try:
        await review.claim(Auditor(request, session), temporal, row, user, assignee)
    except CaseError as exc:
        return await run_in_threadpool(again, exc.message, status_of(exc))
    if assignee and (back := _back_to_inbox(str(posted.get("back") or ""), "assigned")):
        return redirect(back)
    return redirect(f"/inbox/tasks/{task_id}?msg={'assigned' if assignee else 'claimed'}")


def _decision(posted: Any) -> DecisionCreate:
    decision = str(posted.get("decision") or "")
    body: dict[str, Any] = {"decision": decision}
    if decision == "reject":
        body["reason_code"] = str(posted.get("reason_code") or "") or None
        body["reason"] = str(posted.get("reason") or "")
    elif decision == "supplement":
        note = str(posted.get("note") or "").strip()
        body["supplement"] = {
            "fields": [str(f) for f in posted.getlist("fields")],
            "materials": [str(m) for m in posted.getlist("materials")],
            "note": note,
        }
        body["reason"] = note or None  # the applicant's notification quotes it
    return DecisionCreate.model_validate(body)


def _unanswered(posted: Any) -> dict[str, Text]:
    """What the clerk left out of an approval or a rejection (input -> message), told in
    plain words next to the input before the workflow is asked: the confirmation, and a
    rejection's reason and its explanation."""
    decision = str(posted.get("decision") or "")
    if decision not in CONFIRMED:
        return {}
    missing = {}
    if decision == Decision.reject:
        if not str(posted.get("reason_code") or ""):
            missing["reason_code"] = both("task.reason_code_missing")
        if not str(posted.get("reason") or "").strip():
            missing["reason"] = both("task.reason_missing")
    if posted.get("confirmed") != "yes":
        missing[f"{decision}_confirmed"] = both("task.confirm_missing")
    return missing


def _input_problems(exc: ValidationError) -> Text:
    texts = {}
    for lang in LANGS:
        parts = []
        for problem in problems_from(exc.errors(), prefix=None):
            name = problem.loc.rsplit(".", 1)[-1]
            label = translate(lang, INPUT_LABELS[name]) if name in INPUT_LABELS else name
            parts.append(f"{label}{translate(lang, 'ui.colon')}{getattr(problem.message, lang)}")
        problems = translate(lang, "ui.list_sep").join(parts)
        texts[lang] = translate(lang, "task.decision_problems", problems=problems)
    return Text(**texts)


@router.post("/inbox/tasks/{task_id}/decide")
async def decide(
    task_id: RowId,
    request: Request,
    user: Staff,
    session: SessionDep,
    temporal: TemporalDep,
    catalog: CatalogDep,
) -> Response:
    """Approve, reject (reason code and explanation) or ask for a supplement; approving and
    rejecting are confirmed first (a ticked "I have checked..." box)."""
    posted = await request.form()
    row = await run_in_threadpool(_own_row, session, task_id, user)
    again = partial(_task_page, request, user, session, catalog, task_id)
    if missing := _unanswered(posted):
        typed = {name: str(posted.get(name) or "") for name in ("reason_code", "reason")}
        refusal = both("task.decision_incomplete")
        return await run_in_threadpool(again, refusal, 422, missing, typed)
    try:
        body = _decision(posted)
    except ValidationError as exc:
        return await run_in_threadpool(again, _input_problems(exc), 422)
    try:
        await review.decide(Auditor(request, session), temporal, row, user, body)
    except CaseError as exc:
        return await run_in_threadpool(again, exc.message, status_of(exc))
    return redirect(f"/inbox?msg={body.decision.value}")
