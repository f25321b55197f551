"""The manager's pages (issue 5): the reform dashboard of a period and one case's SLA trace.

Figures come from store/dashboard.py, the same functions as GET /api/v1/metrics/dashboard and
/metrics/cases/{id}/trace; charts are inline SVG drawn here by web/charts.py.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response

from catalog.loader import Catalog
from middleware.bounds import QueryDay, day_query
from reporting import dashboard as figures
from routers.audit import Auditor
from routers.deps import CatalogDep, SessionDep
from routers.metrics import MAX_DAYS, known_scenario, period_of
from store.models import Role, User
from web import charts
from web.common import PageError, days, local_time, redirect, refusal, render, signed_in
from web.i18n import lang_of, pick, split_bilingual, translate

router = APIRouter(include_in_schema=False)
Manager = Annotated[User, Depends(signed_in(Role.manager, Role.admin))]
PRESETS = (30, 90, 365, 730)


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _refusal(exc: HTTPException) -> PageError:
    return PageError(exc.status_code, refusal(exc))


@router.get("/dashboard")
def dashboard_page(
    request: Request,
    user: Manager,
    session: SessionDep,
    catalog: CatalogDep,
    start: Annotated[QueryDay, day_query("First day", alias="from")] = None,
    to: Annotated[QueryDay, day_query("Last day")] = None,
    scenario: str | None = None,
) -> Response:
    """The reform dashboard: a period's figures per scenario against the city's targets,
    the departments' SLA compliance and backlog, and what drives the remaining days."""
    try:
        period = period_of(start, to)
        code = known_scenario(catalog, scenario)
    except HTTPException as exc:
        raise _refusal(exc) from None
    board = figures.dashboard(session, period, code, catalog)
    slowest = figures.slowest_cases(session, period, code, catalog)
    lang = lang_of(request)
    context: dict[str, Any] = {
        "board": board,
        "slowest": slowest,
        "percent": _percent,
        "scenarios": catalog.latest_versions(),
        "presets": [(n, figures.Period.last(n, period.end)) for n in PRESETS],
        "max_days": MAX_DAYS,
        "charts": _dashboard_charts(board, lang),
        "overall_sla": _overall_sla(board.departments),
        "overdue": sum(d.overdue for d in board.departments),
    }
    return render(request, "dashboard.html", context, user=user)


@router.get("/dashboard/trace")
def find_trace(user: Manager, case: str = "") -> Response:
    """The case look-up form on the dashboard."""
    return redirect(f"/dashboard/cases/{case.strip()}" if case.strip() else "/dashboard")


@router.get("/dashboard/cases/{case_id}")
def trace_page(
    case_id: str, request: Request, user: Manager, session: SessionDep, catalog: CatalogDep
) -> Response:
    """One case's SLA trace: a Gantt of its items across departments."""
    with Auditor(request, session).watched(user, "trace.view", "case", case_id):
        trace = figures.case_trace(session, case_id, catalog)
        if trace is None:
            raise PageError(404, split_bilingual("没有该办件 / There is no such case"))
    lang = lang_of(request)
    context = {
        "trace": trace,
        "gantt": _gantt(trace, catalog, lang),
        "percent": _percent,
    }
    return render(request, "trace.html", context, user=user)


def _overall_sla(departments: list[figures.DepartmentFigures]) -> float | None:
    reviewed = sum(d.reviewed for d in departments)
    breached = sum(d.breached for d in departments)
    return round(1 - breached / reviewed, 4) if reviewed else None


def _dashboard_charts(board: figures.Dashboard, lang: str) -> dict[str, Any]:
    def t(key: str, **values: Any) -> str:
        return translate(lang, key, **values)

    rows = [*board.scenarios, board.total] if len(board.scenarios) > 1 else board.scenarios
    target_m, target_t = board.targets.material_reduction, board.targets.time_reduction
    reductions = [
        charts.Group(
            pick(s.name, lang),
            [
                charts.Bar(
                    t("dash.materials"),
                    [
                        charts.Segment(
                            max(0.0, (s.material_reduction or 0.0) * 100),
                            "c-good" if s.meets_material_target else "c-short",
                            t("dash.materials"),
                        )
                    ],
                    _percent(s.material_reduction),
                ),
                charts.Bar(
                    t("dash.time"),
                    [
                        charts.Segment(
                            max(0.0, (s.time_reduction or 0.0) * 100),
                            "c-good" if s.meets_time_target else "c-short",
                            t("dash.time"),
                        )
                    ],
                    _percent(s.time_reduction),
                ),
            ],
            href=_scenario_href(board, s.scenario),
        )
        for s in rows
    ]
    day_groups = [
        charts.Group(
            pick(s.name, lang),
            [
                charts.Bar(
                    t("dash.one_by_one"),
                    [charts.Segment(s.baseline_days or 0.0, "c-base")],
                    days(s.baseline_days),
                ),
                charts.Bar(
                    t("dash.median"),
                    [charts.Segment(s.median_days or 0.0, "c-actual")],
                    days(s.median_days),
                ),
                charts.Bar(
                    t("dash.ninetieth"),
                    [charts.Segment(s.p90_days or 0.0, "c-p90")],
                    days(s.p90_days),
                ),
            ],
            href=_scenario_href(board, s.scenario),
        )
        for s in rows
        if s.completed
    ]
    departments = [
        charts.Group(
            pick(d.name, lang),
            [
                charts.Bar(
                    "",
                    [charts.Segment((d.sla_compliance or 0.0) * 100, "c-actual")],
                    _percent(d.sla_compliance)
                    + (f" · {t('dash.overdue_n', n=d.overdue)}" if d.overdue else ""),
                )
            ],
        )
        for d in board.departments
        if d.reviewed
    ]
    total_days = (board.total.actual_days or 0.0) * board.total.completed or 1.0
    drivers = [
        charts.Group(
            pick(d.name, lang),
            [
                charts.Bar(
                    "",
                    [
                        charts.Segment(
                            (d.critical_days - d.critical_applicant_days) / total_days * 100,
                            "c-dept",
                            t("dash.department_time"),
                        ),
                        charts.Segment(
                            d.critical_applicant_days / total_days * 100,
                            "c-wait",
                            t("dash.applicant_time"),
                        ),
                    ],
                    f"{_percent(d.share_of_days)} · {pick(d.department_name, lang)}",
                )
            ],
        )
        for d in board.drivers[:10]
        if d.critical
    ]
    return {
        "reductions": charts.bars(
            reductions,
            title=t("dash.chart_reductions"),
            description=t("dash.chart_reductions_desc"),
            unit="%",
            scale_max=100,
            markers=[
                charts.Marker(target_m * 100, t("dash.target_materials", p=round(target_m * 100))),
                charts.Marker(target_t * 100, t("dash.target_time", p=round(target_t * 100))),
            ],
            legend=[("c-good", t("dash.meets")), ("c-short", t("dash.misses"))],
            chart_id="chart-reductions",
        )
        if reductions
        else None,
        "days": charts.bars(
            day_groups,
            title=t("dash.chart_days"),
            description=t("dash.chart_days_desc"),
            unit=t("dash.working_days"),
            legend=[
                ("c-base", t("dash.one_by_one")),
                ("c-actual", t("dash.median")),
                ("c-p90", t("dash.ninetieth")),
            ],
            chart_id="chart-days",
        )
        if day_groups
        else None,
        "departments": charts.bars(
            departments,
            title=t("dash.chart_sla"),
            description=t("dash.chart_sla_desc"),
            unit="%",
            scale_max=100,
            label_width=200,
            chart_id="chart-sla",
        )
        if departments
        else None,
        "drivers": charts.bars(
            drivers,
            title=t("dash.chart_drivers"),
            description=t("dash.chart_drivers_desc"),
            unit=t("dash.share_unit"),
            legend=[
                ("c-dept", t("dash.department_time")),
                ("c-wait", t("dash.applicant_time")),
            ],
            chart_id="chart-drivers",
        )
        if drivers
        else None,
    }


def _scenario_href(board: figures.Dashboard, code: str) -> str | None:
    if not code or board.scenario:
        return None
    return f"/dashboard?from={board.period.start}&to={board.period.end}&scenario={code}"


def _gantt(trace: figures.Trace, catalog: Catalog, lang: str) -> Any:
    def t(key: str, **values: Any) -> str:
        return translate(lang, key, **values)

    rows = []
    for item in trace.items:
        if item.start is None:
            note = t("item_status." + item.status)
        elif item.end is not None and item.due_at is None:
            note = t("dash.working_days_n", n=days(item.days))
        elif item.end is None:
            note = t("item_status." + item.status) + f" · {days(item.days)}"
        else:
            note = t("trace.days_of", days=days(item.days), limit=days(item.promised_days))
        rows.append(
            charts.Row(
                label=pick(item.name, lang),
                sublabel=pick(item.department_name, lang),
                start=item.start,
                end=item.end,
                due=item.due_at,
                waits=[
                    charts.Span(
                        w.start,
                        w.end or trace.now,
                        t("trace.wait_title", days=days(w.days)),
                    )
                    for w in item.waits
                ],
                critical=item.critical,
                breached=item.breached,
                status=item.status,
                note=note,
                title=t(
                    "trace.bar_title",
                    start=local_time(item.start),
                    end=local_time(item.end),
                    days=days(item.days),
                ),
            )
        )
    return charts.gantt(
        rows,
        begin=trace.submitted_at,
        now=trace.now,
        is_working_day=catalog.calendar.is_working_day,
        title=t("trace.chart", name=pick(trace.name, lang)),
        description=t("trace.chart_desc"),
        labels={
            "bar": t("trace.legend_bar"),
            "wait": t("trace.legend_wait"),
            "limit": t("trace.legend_limit"),
            "breached": t("trace.legend_breached"),
            "critical": t("trace.legend_critical"),
            "rest": t("trace.legend_rest"),
            "now": t("trace.now"),
        },
        chart_id="gantt",
    )
