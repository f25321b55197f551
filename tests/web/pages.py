"""Helpers of the browser tests: filling a unified form the way an applicant does."""

from datetime import date, timedelta
from typing import Any

from playwright.async_api import Page

from catalog.loader import Catalog
from catalog.models import FieldType
from forms.unified import compile_form


def recent(days: int = 5) -> str:
    """A date a few days ago (dates of birth may not be in the future)."""
    return (date.today() - timedelta(days=days)).isoformat()


async def fill_form(
    page: Page, catalog: Catalog, scenario: str, values: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Fill every visible, enabled input left empty with `values` or the catalog's example
    (prefilled inputs are kept as they are); returns what was typed."""
    form = compile_form(scenario, catalog.scenario(scenario).version, catalog)  # type: ignore[union-attr]
    typed: dict[str, Any] = {}
    for field in form.fields:  # condition fields come first, so parts appear before we fill
        value = (values or {}).get(field.code, field.example)
        box = page.locator(f'.field[data-field="{field.code}"]')
        if not await box.is_visible():
            continue
        element = page.locator(f'[name="{field.code}"]')
        if field.type is FieldType.boolean:
            await element.set_checked(bool(value))
        elif field.type is FieldType.enum:
            if await element.input_value() and field.code not in (values or {}):
                continue
            await element.select_option(str(value))
        else:
            if await element.input_value() and field.code not in (values or {}):
                continue
            await element.fill(str(value))
        typed[field.code] = value
    return typed
