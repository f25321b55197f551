"""The dashboard's tables as rows of figures, for the CSV and Excel exports (reporting/exports.py
writes the files): the same figures as the page's tables, headers in the page's language.

Percentages are numbers of percent and days numbers of working days, rounded as the page
shows them (53.2 for "53.2%"), so that a spreadsheet can compute with them. Every table
holds aggregates and the catalog's names only: no personal data, so an export is not audited.
"""

from collections.abc import Callable
from decimal import Decimal
from typing import Any, Literal

from reporting.exports import Cell, Table
from reporting.figures import Dashboard
from web.i18n import pick, translate

TableName = Literal["scenarios", "departments", "drivers"]
Unit = Literal["", "percent", "days"]
# (header key, unit, the figure of a row in a language)
Column = tuple[str, Unit, Callable[[Any, str], Cell]]


def percent(value: float | None) -> float | None:
    return None if value is None else round(value * 100, 1)


def working_days(value: float | None) -> float | None:
    """One decimal as the page writes it (Babel rounds the decimal text, half to even), not
    as `round` does the binary float: 0.15 is 0.1499… in binary, `round` gives 0.1 while the
    page shows 0.2."""
    return None if value is None else float(round(Decimal(str(value)), 1))


SCENARIOS: list[Column] = [
    ("dash.code", "", lambda s, _: s.scenario or "total"),
    ("dash.scenario", "", lambda s, lang: pick(s.name, lang)),
    ("dash.cases", "", lambda s, _: s.cases),
    ("dash.in_progress", "", lambda s, _: s.in_progress),
    ("dash.completion", "percent", lambda s, _: percent(s.completion_rate)),
    ("dash.materials_baseline", "", lambda s, _: s.materials_baseline),
    ("dash.materials_provided", "", lambda s, _: s.materials_provided),
    ("dash.material_reduction", "percent", lambda s, _: percent(s.material_reduction)),
    ("dash.one_by_one", "days", lambda s, _: working_days(s.baseline_days)),
    ("dash.median", "days", lambda s, _: working_days(s.median_days)),
    ("dash.ninetieth", "days", lambda s, _: working_days(s.p90_days)),
    ("dash.time_reduction", "percent", lambda s, _: percent(s.time_reduction)),
    ("dash.applicant_days", "days", lambda s, _: working_days(s.applicant_days)),
]
DEPARTMENTS: list[Column] = [
    ("dash.code", "", lambda d, _: d.department),
    ("dash.department", "", lambda d, lang: pick(d.name, lang)),
    ("dash.reviewed", "", lambda d, _: d.reviewed),
    ("dash.breached", "", lambda d, _: d.breached),
    ("dash.sla", "percent", lambda d, _: percent(d.sla_compliance)),
    ("dash.mean_item_days", "days", lambda d, _: working_days(d.mean_item_days)),
    ("dash.share_of_days", "percent", lambda d, _: percent(d.share_of_days)),
    ("dash.open_now", "", lambda d, _: d.open),
    ("dash.waiting_applicant", "", lambda d, _: d.awaiting_supplement),
    ("dash.overdue", "", lambda d, _: d.overdue),
]
DRIVERS: list[Column] = [
    ("dash.code", "", lambda d, _: d.item),
    ("dash.item", "", lambda d, lang: pick(d.name, lang)),
    ("dash.department", "", lambda d, lang: pick(d.department_name, lang)),
    ("dash.items", "", lambda d, _: d.items),
    ("dash.mean_item_days", "days", lambda d, _: working_days(d.mean_days)),
    ("dash.critical", "", lambda d, _: d.critical),
    ("dash.critical_days", "days", lambda d, _: working_days(d.mean_critical_days)),
    ("dash.share_of_days", "percent", lambda d, _: percent(d.share_of_days)),
]


def _header(key: str, unit: Unit, lang: str) -> str:
    """A column's header with its unit: "材料精简（%）", "Fewer materials (%)"."""
    text = translate(lang, key)
    if unit == "percent":
        return translate(lang, "dash.in_percent", header=text)
    if unit == "days":
        return translate(lang, "dash.in_days", header=text)
    return text


def scenario_rows(board: Dashboard) -> list[Any]:
    """The scenarios' rows as the page lists them: the total after them when there are
    several."""
    return [*board.scenarios, board.total] if len(board.scenarios) > 1 else board.scenarios


def table(board: Dashboard, name: TableName, lang: str) -> Table:
    """One of the dashboard's tables in `lang`."""
    columns, rows = {
        "scenarios": (SCENARIOS, scenario_rows(board)),
        "departments": (DEPARTMENTS, board.departments),
        "drivers": (DRIVERS, board.drivers),
    }[name]
    return Table(
        name=name,
        headers=[_header(key, unit, lang) for key, unit, _ in columns],
        rows=[[value(row, lang) for _, _, value in columns] for row in rows],
    )
