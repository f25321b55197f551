"""Reform measures for managers: per scenario (all time), the dashboard of a period, the
departments' SLA figures and backlog, and one case's SLA trace (reporting/dashboard.py,
reporting/trace.py)."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, status

from cases import view
from catalog.loader import Catalog
from domain.text import Text
from forms.messages import Problem
from middleware.bounds import QueryDay, day_query
from reporting import dashboard as figures
from reporting import trace as traces
from reporting.figures import Dashboard, DepartmentFigures
from reporting.period import Period
from routers.audit import AuditDep
from routers.deps import CaseRef, CatalogDep, SessionDep, require
from routers.responses import SIGNED_IN, api_error, errors
from routers.schemas import ScenarioMetrics
from store.models import Role, User

router = APIRouter(prefix="/metrics", tags=["metrics"], responses=SIGNED_IN)
Manager = Annotated[User, Depends(require(Role.manager, Role.admin))]


@router.get("/scenarios")
def scenario_metrics(user: Manager, session: SessionDep) -> list[ScenarioMetrics]:
    """Per scenario, all time: cases, materials baseline vs provided, one-by-one days vs
    actual days, read from the month rows of the rollups (reporting.dashboard.scenario_totals).

    Time figures use completed cases only; material figures use every submitted case.
    """
    return [ScenarioMetrics(**t.model_dump()) for t in figures.scenario_totals(session)]


DEFAULT_DAYS = 90
MAX_DAYS = 3660
PERIOD = ("from", "to")


def period_of(start: date | None, end: date | None, days: int = DEFAULT_DAYS) -> Period:
    """The period asked for: `from`..`to` (China days, inclusive); `to` defaults to today,
    `from` to `days` days before `to`."""
    end = end or Period.last(1).end
    start = start or Period.last(days, end).start
    if start > end:
        raise period_refused(
            "period_reversed",
            Text(zh="开始日期晚于结束日期", en="`from` is after `to`"),
            Text(zh="请把开始日期改为不晚于结束日期", en="Choose a `from` on or before `to`"),
        )
    if (end - start).days >= MAX_DAYS:
        raise period_refused(
            "period_too_long",
            Text(zh=f"期间最长 {MAX_DAYS} 天", en=f"The period may span at most {MAX_DAYS} days"),
            Text(zh="请缩短期间", en="Choose a shorter period"),
        )
    return Period(start=start, end=end)


def period_refused(code: str, message: Text, fix: Text) -> HTTPException:
    """422 naming both ends of the period (`query.from`, `query.to`)."""
    problems = [Problem(loc=f"query.{end}", code=code, message=message, fix=fix) for end in PERIOD]
    return api_error(status.HTTP_422_UNPROCESSABLE_CONTENT, message, error=code, problems=problems)


def known_scenario(catalog: Catalog, scenario: str | None) -> str | None:
    if scenario and catalog.scenario(scenario) is None:
        raise api_error(404, Text(zh=f"没有该场景：{scenario}", en=f"no such scenario: {scenario}"))
    return scenario or None


From = Annotated[QueryDay, day_query("First day (China time)", alias="from")]
To = Annotated[QueryDay, day_query("Last day, inclusive; default today")]
ScenarioFilter = Annotated[str | None, Query(description="One scenario's code; default all")]


@router.get("/dashboard", responses=errors(404))
def dashboard_metrics(
    user: Manager,
    session: SessionDep,
    catalog: CatalogDep,
    start: From = None,
    to: To = None,
    scenario: ScenarioFilter = None,
) -> Dashboard:
    """The reform dashboard of cases submitted in a period (default: the last 90 days):
    per scenario and in total, each against the city's targets; SLA compliance and backlog
    per department; which items add the most days (docs/dashboard.md)."""
    return figures.dashboard(
        session, period_of(start, to), known_scenario(catalog, scenario), catalog
    )


@router.get("/departments", responses=errors(404))
def department_metrics(
    user: Manager,
    session: SessionDep,
    catalog: CatalogDep,
    start: From = None,
    to: To = None,
    scenario: ScenarioFilter = None,
) -> list[DepartmentFigures]:
    """Per department: SLA compliance of the reviews decided in the period's ended cases,
    their share of the critical path, and the backlog now (open and overdue tasks)."""
    return figures.department_figures(
        session, period_of(start, to), known_scenario(catalog, scenario), catalog
    )


@router.get("/cases/{case_ref}/trace", responses=errors(404))
def case_trace(
    case_ref: CaseRef, user: Manager, session: SessionDep, catalog: CatalogDep, audit: AuditDep
) -> traces.Trace:
    """One case's SLA trace, the case named by its number or id: each item's start, end,
    promised limit and breach, the applicant's supplement waits apart, and the critical
    path (audited: trace.view)."""
    case_id = view.case_id_of(session, case_ref)
    with audit.watched(user, "trace.view", "case", case_id):
        trace = traces.case_trace(session, case_id, catalog)
        if trace is None:
            raise api_error(404, Text(zh="没有该办件", en="no such case"))
    return trace
