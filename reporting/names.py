"""The catalog's names of what the figures are keyed by (a code when the catalog has none)."""

from typing import Any

from catalog.loader import Catalog
from domain.text import Text


def status_text(value: Any) -> str:
    """A status as stored text, whether the driver gave an enum member or its value."""
    return value.value if hasattr(value, "value") else str(value)


def scenario_name(catalog: Catalog | None, code: str) -> Text:
    scenario = catalog.scenario(code) if catalog else None
    return scenario.name if scenario else _code(code)


def item_name(catalog: Catalog | None, code: str) -> Text:
    item = catalog.items.get(code) if catalog else None
    return item.name if item else _code(code)


def department_name(catalog: Catalog | None, code: str) -> Text:
    department = catalog.departments.get(code) if catalog else None
    return department.name if department else _code(code)


def _code(code: str) -> Text:
    return Text(zh=code, en=code)
