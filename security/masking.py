"""Masking of personal values (minimum necessary, PIPL art. 6 and 51): one rule for the API
and the pages.

Lists, inboxes and case lists show identifiers masked; a value is shown whole only where the
viewer needs it: the task of the item whose fields include it (its department's clerk), and
the applicant's own case page. Which fields are personal comes from the field dictionary
(`pii: personal | sensitive` in catalog/data/fields.yaml); how a value is masked comes from
its type:

    resident ID      500103********1229   first 6 (the division) and last 4
    phone            138****8000          first 3 and last 4
    bank account     ****6789             last 4
    credit code      91****************   first 2 (personal fields only)
    date             1998-**-**           the year
    other text       李*  重****           the first character; at most 4 stars
    other values     ***

Issued outputs identify a person too: a resident-ID output (the newborn's number) is masked
like a resident ID, any other number keeps its prefix and last 4.

`whole_fields` names the personal fields and outputs a response shows whole, so a view can
say so (the audit trail's `task.view` and `case.view` rows, routers/schemas.py `whole`).
"""

from collections.abc import Iterable, Mapping
from typing import Any

from catalog.loader import Catalog
from catalog.models import FieldDef, FieldType, OutputDef, OutputFormat, PiiClass

MAX_STARS = 4


def _keep(text: str, head: int, tail: int, stars: int | None = None) -> str:
    if len(text) <= head + tail:
        return "*" * len(text)
    middle = len(text) - head - tail if stars is None else stars
    return text[:head] + "*" * middle + (text[-tail:] if tail else "")


def mask_text(value: Any, kind: FieldType | str) -> str:
    """`value` masked as a value of type `kind` (a field type, or "text")."""
    text = str(value)
    if kind is FieldType.resident_id:
        return _keep(text, 6, 4)
    if kind is FieldType.phone:
        return _keep(text, 3, 4)
    if kind is FieldType.bank_account:
        return "****" + text[-4:] if len(text) > 4 else "*" * len(text)
    if kind is FieldType.credit_code:
        return _keep(text, 2, 0)
    if kind is FieldType.date:
        return text[:4] + "-**-**" if len(text) >= 10 else "****"
    if kind in (FieldType.string, "text"):
        return text[:1] + "*" * min(max(len(text) - 1, 1), MAX_STARS) if text else ""
    return "***"


def is_personal(definition: FieldDef | None) -> bool:
    return definition is not None and definition.pii is not PiiClass.none


def mask_value(definition: FieldDef | None, value: Any) -> Any:
    """A form value as a list shows it: masked if its field is personal, else as it is."""
    if value is None or value == "" or not is_personal(definition):
        return value
    assert definition is not None
    return mask_text(value, definition.type)


def mask_fields(catalog: Catalog, values: Mapping[str, Any]) -> dict[str, Any]:
    """Form values by field code, the personal ones masked."""
    return {code: mask_value(catalog.fields.get(code), v) for code, v in values.items()}


def output_definitions(catalog: Catalog) -> dict[str, OutputDef]:
    return {o.code: o for item in catalog.items.values() for o in item.outputs}


def mask_output(definition: OutputDef | None, value: str) -> str:
    """An issued number masked: a resident ID as one, others keep prefix and last 4."""
    if not value:
        return value
    if definition is not None and definition.format is OutputFormat.resident_id:
        return mask_text(value, FieldType.resident_id)
    head = len(definition.prefix) if definition is not None else 0
    return _keep(value, head, 4, MAX_STARS)


def mask_outputs(catalog: Catalog, outputs: Mapping[str, str]) -> dict[str, str]:
    """Issued outputs by code, masked."""
    definitions = output_definitions(catalog)
    return {code: mask_output(definitions.get(code), v) for code, v in outputs.items()}


def whole_fields(
    catalog: Catalog, fields: Iterable[str] = (), outputs: Iterable[str] = ()
) -> list[str]:
    """The personal form fields (by code) and the issued outputs among `fields` and
    `outputs` that a response shows whole, sorted: what a view of it disclosed."""
    personal = [code for code in fields if is_personal(catalog.fields.get(code))]
    return sorted({*personal, *outputs})
