"""Compile a scenario version into its unified form: the de-duplicated union of its fields."""

from datetime import date
from enum import Enum
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, create_model

from catalog.loader import Catalog, get_catalog
from catalog.models import FieldDef, FieldType, ScenarioSpec
from forms.types import BankAccount, Division, PastDate, Phone, ResidentId

_TYPES: dict[FieldType, Any] = {
    FieldType.string: str,
    FieldType.date: date,
    FieldType.resident_id: ResidentId,
    FieldType.phone: Phone,
    FieldType.division: Division,
    FieldType.bank_account: BankAccount,
    FieldType.integer: int,
}


class UnifiedForm(BaseModel):
    """Base of every compiled form: unknown fields are refused, strings are stripped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def form_fields(catalog: Catalog, spec: ScenarioSpec) -> list[FieldDef]:
    """The de-duplicated union of the items' fields, in first-use order."""
    codes = dict.fromkeys(code for item in spec.items for code in item.fields)
    return [catalog.fields[code] for code in codes]


def _annotation(field: FieldDef) -> Any:
    if field.type is FieldType.enum:
        return Enum(field.code, {key: key for key in field.options}, type=str)
    if field.type is FieldType.date and field.not_in_future:
        return PastDate
    return _TYPES[field.type]


def _field_info(field: FieldDef) -> Any:
    extra: dict[str, Any] = {"section": field.section, "label_en": field.label.en, "pii": field.pii}
    if field.options:
        extra["option_labels"] = {k: v.model_dump() for k, v in field.options.items()}
    if field.registry:
        extra["registry"] = field.registry
    constraints: dict[str, Any] = {}
    if field.type is FieldType.string:
        constraints = {"min_length": 1, "max_length": field.max_length}
    elif field.type is FieldType.integer:
        constraints = {"ge": field.min, "le": field.max}
    return Field(
        title=field.label.zh,
        description=f"{field.help.zh} / {field.help.en}" if field.help else field.label.en,
        examples=[field.example],
        json_schema_extra=extra,
        **constraints,
    )


@lru_cache(maxsize=256)
def form_model(code: str, version: int, catalog: Catalog | None = None) -> type[UnifiedForm]:
    """The pydantic model of one scenario version's unified form (cached per catalog)."""
    catalog = catalog or get_catalog()
    spec = catalog.spec(code, version)
    if spec is None:
        raise KeyError(f"{code} v{version}")
    definitions: dict[str, Any] = {
        f.code: (_annotation(f), _field_info(f)) for f in form_fields(catalog, spec)
    }
    model = create_model(
        f"{code.title().replace('_', '')}V{version}Form", __base__=UnifiedForm, **definitions
    )
    return model


def example_form(code: str, version: int, catalog: Catalog | None = None) -> dict[str, Any]:
    """One complete, valid filled-in example built from the dictionary's examples."""
    catalog = catalog or get_catalog()
    spec = catalog.spec(code, version)
    assert spec is not None
    return {f.code: f.example for f in form_fields(catalog, spec)}


def form_schema(code: str, version: int, catalog: Catalog | None = None) -> dict[str, Any]:
    """JSON Schema of the unified form, with one valid example under `examples`."""
    schema = form_model(code, version, catalog).model_json_schema()
    schema["examples"] = [example_form(code, version, catalog)]
    return schema
