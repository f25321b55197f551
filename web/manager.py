"""The manager's pages (issues 5 and 14): the reform dashboard of a period (an overview, one
scenario's view, its tables as CSV and Excel files) and one case's SLA trace.

Figures come from reporting/dashboard.py and reporting/trace.py, the same functions as
GET /api/v1/metrics/dashboard and /metrics/cases/{id}/trace; charts are inline SVG drawn here
by web/charts.py; the exported tables are web/dashboard_tables.py's.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response
from markupsafe import Markup

from catalog.loader import Catalog
from domain import measures
from domain.text import Text
from middleware.bounds import FIRST_DAY, LAST_DAY
from reporting import dashboard as figures
from reporting import exports
from reporting.figures import Dashboard, DepartmentFigures
from reporting.period import Period
from reporting.trace import Trace, case_trace
from routers.audit import Auditor
from routers.deps import CatalogDep, SessionDep
from routers.metrics import MAX_DAYS, known_scenario, period_of
from routers.schemas import ErrorResponse
from store.case_numbers import resolve_case_ref
from store.models import Role, User
from web import charts
from web.common import PageError, days, local_time, redirect, refusal, render, signed_in
from web.dashboard_tables import TableName, scenario_rows, table
from web.i18n import both, lang_of, pick, translate

router = APIRouter(include_in_schema=False)
Manager = Annotated[User, Depends(signed_in(Role.manager, Role.admin))]
PRESETS = (30, 90, 365, 730)
# The period's days as typed (checked here, so that a wrong one is answered on the form).
FromDay = Annotated[str, Query(alias="from", max_length=32)]
ToDay = Annotated[str, Query(max_length=32)]
Scenario = Annotated[str, Query(max_length=100)]
Format = Literal["csv", "xlsx"]


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _refusal(exc: HTTPException) -> PageError:
    return PageError(exc.status_code, refusal(exc))


@dataclass
class PeriodForm:
    """The period form as asked: its values, and per field what is wrong with them (the
    message on the first field a problem names, the others only marked invalid)."""

    start: str
    end: str
    scenario: str
    errors: dict[str, Text | None] = field(default_factory=dict)
    period: Period | None = None


def _day(raw: str, name: str, errors: dict[str, Text | None]) -> date | None:
    if not raw.strip():
        return None
    try:
        day = date.fromisoformat(raw.strip())
    except ValueError:
        errors[name] = both("dash.period_invalid_day")
        return None
    if not FIRST_DAY <= day <= LAST_DAY:
        errors[name] = both("dash.period_out_of_range", first=FIRST_DAY, last=LAST_DAY)
    return day


def _period_form(start: str, end: str, scenario: str | None) -> PeriodForm:
    """The form's period (None with `errors` when it cannot be one): the same rules as the
    API's (routers.metrics.period_of), its refusals put next to the fields they name."""
    form = PeriodForm(start, end, scenario or "")
    first, last = _day(start, "from", form.errors), _day(end, "to", form.errors)
    if form.errors:
        return form
    try:
        form.period = period_of(first, last)
    except HTTPException as exc:
        for problem in ErrorResponse.model_validate(exc.detail).problems:
            name = problem.loc.rsplit(".", 1)[-1]
            shown = problem.message in form.errors.values()
            form.errors[name] = None if shown else problem.message
        return form
    form.start, form.end = form.period.start.isoformat(), form.period.end.isoformat()
    return form


def _scenario(catalog: Catalog, scenario: str | None) -> str | None:
    try:
        return known_scenario(catalog, scenario)
    except HTTPException as exc:
        raise _refusal(exc) from None


def _query(form: PeriodForm, **more: str) -> str:
    """The query of the period (and scenario) of `form`, with `more`."""
    values = {"from": form.start, "to": form.end, "scenario": form.scenario, **more}
    return urlencode({k: v for k, v in values.items() if v})


@router.get("/dashboard")
def dashboard_page(
    request: Request,
    user: Manager,
    session: SessionDep,
    catalog: CatalogDep,
    start: FromDay = "",
    to: ToDay = "",
    scenario: Scenario = "",
) -> Response:
    """The reform dashboard: the overview of a period (a row per scenario against the
    city's targets, the departments' SLA compliance and backlog, what drives the remaining
    days), or one scenario's details and charts (`?scenario=code`). A period that cannot be
    one is answered on the form (422)."""
    code = _scenario(catalog, scenario)
    form = _period_form(start, to, code)
    lang = lang_of(request)
    context: dict[str, Any] = {
        "form": form,
        "scenarios": catalog.latest_versions(),
        "presets": [(n, Period.last(n, form.period.end if form.period else None)) for n in PRESETS],
        "max_days": MAX_DAYS,
        "percent": _percent,
        "query": lambda **more: _query(form, **more),
        "export_query": _query(form, lang=lang),
    }
    if form.period is None:
        return render(request, "dashboard.html", {**context, "board": None}, 422, user=user)
    board = figures.dashboard(session, form.period, code, catalog)
    context |= {
        "board": board,
        "rows": scenario_rows(board),
        "slowest": figures.slowest_cases(session, form.period, code, catalog),
        "charts": _dashboard_charts(board, lang),
        "overall_sla": _overall_sla(board.departments),
        "overdue": sum(d.overdue for d in board.departments),
    }
    return render(request, "dashboard.html", context, user=user)


@router.get("/dashboard/export/{name}.{fmt}")
def export_table(
    name: TableName,
    fmt: Format,
    request: Request,
    user: Manager,
    session: SessionDep,
    catalog: CatalogDep,
    start: FromDay = "",
    to: ToDay = "",
    scenario: Scenario = "",
) -> Response:
    """One of the dashboard's tables as a CSV or Excel file: the same period, scenario and
    figures as the page, its headers in the page's language (docs/dashboard.md)."""
    code = _scenario(catalog, scenario)
    form = _period_form(start, to, code)
    if form.period is None:
        message = next(m for m in form.errors.values() if m is not None)
        raise PageError(422, message)
    board = figures.dashboard(session, form.period, code, catalog)
    data = table(board, name, lang_of(request))
    stem = "-".join(["onego", name, form.start, form.end, *([code] if code else [])])
    return Response(
        exports.encode(data, fmt),
        media_type=exports.MEDIA[fmt],
        headers={"Content-Disposition": f'attachment; filename="{stem}.{fmt}"'},
    )


@router.get("/dashboard/trace")
def find_trace(user: Manager, case: str = "") -> Response:
    """The case look-up form on the dashboard."""
    return redirect(f"/dashboard/cases/{case.strip()}" if case.strip() else "/dashboard")


@router.get("/dashboard/cases/{case_id}")
def trace_page(
    case_id: str, request: Request, user: Manager, session: SessionDep, catalog: CatalogDep
) -> Response:
    """One case's SLA trace (by its number or id): a Gantt of its items across departments
    (a list of them on a narrow screen)."""
    case = resolve_case_ref(session, case_id)
    case_id = case.id if case else case_id
    with Auditor(request, session).watched(user, "trace.view", "case", case_id):
        trace = case_trace(session, case_id, catalog) if case else None
        if trace is None:
            raise PageError(404, Text(zh="没有该办件", en="There is no such case"))
    lang = lang_of(request)
    rows = _gantt_rows(trace, lang)
    context = {
        "trace": trace,
        "number": case.number if case else None,
        "gantt": _gantt(trace, rows, catalog, lang),
        # the narrow screen's list: each item with its note and its bar on the case's time
        "listed": list(
            zip(trace.items, rows, charts.strips(rows, trace.submitted_at, trace.now), strict=True)
        ),
        "percent": _percent,
    }
    return render(request, "trace.html", context, user=user)


def _overall_sla(departments: list[DepartmentFigures]) -> float | None:
    reviewed = sum(d.reviewed for d in departments)
    breached = sum(d.breached for d in departments)
    return measures.rounded(measures.sla_compliance(breached, reviewed))


Translate = Callable[..., str]


def _dashboard_charts(board: Dashboard, lang: str) -> dict[str, Any]:
    """The dashboard's charts (None for a chart with nothing to draw): the departments' and
    the drivers' on the overview, a scenario's reductions and days on its own view too."""

    def t(key: str, **values: Any) -> str:
        return translate(lang, key, **values)

    detail = board.scenario is not None
    return {
        "reductions": _reductions_chart(board, lang, t) if detail else None,
        "days": _days_chart(board, lang, t) if detail else None,
        "departments": _sla_chart(board, lang, t),
        "drivers": _drivers_chart(board, lang, t),
    }


def _reductions_chart(board: Dashboard, lang: str, t: Translate) -> Markup | None:
    """Material and time reduction of the scenario against the targets."""
    groups = [
        charts.Group(
            pick(s.name, lang),
            [
                _reduction_bar(t("dash.materials"), s.material_reduction, s.meets_material_target),
                _reduction_bar(t("dash.time"), s.time_reduction, s.meets_time_target),
            ],
        )
        for s in board.scenarios
    ]
    if not groups:
        return None
    target_m, target_t = board.targets.material_reduction, board.targets.time_reduction
    return charts.bars(
        groups,
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


def _reduction_bar(label: str, reduction: float | None, meets: bool | None) -> charts.Bar:
    return charts.Bar(
        label,
        [
            charts.Segment(
                max(0.0, (reduction or 0.0) * 100), "c-good" if meets else "c-short", label
            )
        ],
        _percent(reduction),
    )


def _days_chart(board: Dashboard, lang: str, t: Translate) -> Markup | None:
    """One-by-one days against the median and p90 of the scenario's completed cases."""
    groups = [
        charts.Group(
            pick(s.name, lang),
            [
                _days_bar(t("dash.one_by_one"), s.baseline_days, "c-base"),
                _days_bar(t("dash.median"), s.median_days, "c-actual"),
                _days_bar(t("dash.ninetieth"), s.p90_days, "c-p90"),
            ],
        )
        for s in board.scenarios
        if s.completed
    ]
    if not groups:
        return None
    return charts.bars(
        groups,
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


def _days_bar(label: str, value: float | None, kind: str) -> charts.Bar:
    return charts.Bar(label, [charts.Segment(value or 0.0, kind)], days(value))


def _sla_chart(board: Dashboard, lang: str, t: Translate) -> Markup | None:
    """SLA compliance per department, with its overdue tasks."""
    groups = [
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
    if not groups:
        return None
    return charts.bars(
        groups,
        title=t("dash.chart_sla"),
        description=t("dash.chart_sla_desc"),
        unit="%",
        scale_max=100,
        label_width=200,
        chart_id="chart-sla",
    )


def _drivers_chart(board: Dashboard, lang: str, t: Translate) -> Markup | None:
    """The ten items that add the most days, department and applicant time apart."""
    total_days = (board.total.actual_days or 0.0) * board.total.completed or 1.0
    groups = [
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
                    _percent(d.share_of_days),
                )
            ],
            sublabel=pick(d.department_name, lang),
        )
        for d in board.drivers[:10]
        if d.critical
    ]
    if not groups:
        return None
    return charts.bars(
        groups,
        title=t("dash.chart_drivers"),
        description=t("dash.chart_drivers_desc"),
        unit=t("dash.share_unit"),
        legend=[
            ("c-dept", t("dash.department_time")),
            ("c-wait", t("dash.applicant_time")),
        ],
        chart_id="chart-drivers",
    )


def _gantt_rows(trace: Trace, lang: str) -> list[charts.Row]:
    """The trace's items as the Gantt's rows (and the narrow screen's list)."""

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
    return rows


def _gantt(trace: Trace, rows: list[charts.Row], catalog: Catalog, lang: str) -> Markup:
    def t(key: str, **values: Any) -> str:
        return translate(lang, key, **values)

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
