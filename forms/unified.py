"""Compile a scenario version into its unified form (一表申报).

The form is the de-duplicated union of the items' fields plus the fields their conditions
ask about. Fields needed only by conditional items are required only when the condition
holds: the pydantic model leaves them optional and `validate_form` adds the conditional
requirement, which the JSON Schema expresses as `allOf: [{if, then}]` for any renderer.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import Enum
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from catalog.loader import Catalog, get_catalog
from catalog.models import Condition, FieldDef, FieldType, Rule, ScenarioSpec
from domain.text import Text
from forms.messages import MESSAGES, Problem, problems_from
from forms.rules import applicant_problems, naming_applicant, rule_problems
from forms.types import (
    BankAccount,
    CreditCode,
    Division,
    MultiLine,
    PastDate,
    Phone,
    ResidentId,
    SingleLine,
)

_TYPES: dict[FieldType, Any] = {
    FieldType.string: SingleLine,
    FieldType.date: date,
    FieldType.boolean: bool,
    FieldType.resident_id: ResidentId,
    FieldType.credit_code: CreditCode,
    FieldType.phone: Phone,
    FieldType.division: Division,
    FieldType.bank_account: BankAccount,
    FieldType.integer: int,
    FieldType.money: Decimal,
}


class UnifiedForm(BaseModel):
    """Base of every compiled form: unknown fields are refused, strings are stripped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class FormInvalid(Exception):
    """The form has problems; `problems` lists every one, located and bilingual."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("; ".join(p.message.en for p in problems))


@dataclass(frozen=True)
class ConditionalPart:
    """Fields required only when `when` holds (the fields of conditional items)."""

    when: Condition
    fields: tuple[str, ...]


@dataclass(frozen=True)
class CompiledForm:
    model: type[UnifiedForm]
    fields: tuple[FieldDef, ...]
    conditional: tuple[ConditionalPart, ...]
    sections: tuple[tuple[str, Text, tuple[str, ...]], ...]
    rules: tuple[Rule, ...] = ()
    applicant_is: tuple[str, ...] = ()
    # The fields rules and `applicant_is` name, to validate them alone when others fail.
    rule_model: type[UnifiedForm] | None = None

    def validate(self, data: dict[str, Any], applicant: str | None = None) -> dict[str, Any]:
        """Validate with the model, the conditional requirements and the scenario's rules;
        return the clean form. `applicant` is the verified resident ID of the applicant's
        account, which the scenario's `applicant_is` fields must name (None: no check)."""
        problems: list[Problem] = []
        clean: dict[str, Any] = {}
        failed: set[str] = set()
        try:
            clean = self.model.model_validate(data).model_dump(mode="json", exclude_none=True)
        except ValidationError as exc:
            errors = exc.errors()
            problems = problems_from(errors)
            failed = {str(err["loc"][0]) for err in errors if err["loc"]}
        message, fix = MESSAGES["missing"]
        for part in self.conditional:
            if part.when.holds(clean or data):
                problems += [
                    Problem(loc=f"form.{f}", code="missing", message=message, fix=fix)
                    for f in part.fields
                    if data.get(f) in (None, "")
                ]
        problems += self._rule_problems(data, failed, applicant)
        if problems:
            raise FormInvalid(problems)
        return clean

    def _rule_problems(
        self, data: dict[str, Any], failed: set[str], applicant: str | None
    ) -> list[Problem]:
        """The rules' problems, on the valid values of the fields they name."""
        if self.rule_model is None:
            return []
        known = {f: data[f] for f in self.rule_model.model_fields if f in data and f not in failed}
        try:
            values = dict(self.rule_model.model_validate(known))
        except ValidationError:  # unreachable: these fields passed the whole form's model
            return []
        definitions = {f.code: f for f in self.fields}
        problems = rule_problems(self.rules, definitions, values)
        if not failed & set(self.applicant_is):
            problems += applicant_problems(self.applicant_is, definitions, values, applicant)
        return problems

    def for_applicant(self, data: dict[str, Any], resident_id: str) -> dict[str, Any]:
        """`data` naming the applicant in the first `applicant_is` field if none does."""
        return naming_applicant(self.applicant_is, data, resident_id)

    def example(self) -> dict[str, Any]:
        """One complete valid filled-in example (every condition answered so that it holds)."""
        return {f.code: f.example for f in self.fields}

    def schema(self) -> dict[str, Any]:
        schema = self.model.model_json_schema()
        if self.conditional:
            schema["allOf"] = [_if_then(part) for part in self.conditional]
        schema["x-sections"] = [
            {"code": code, "label": label.model_dump(), "fields": list(fields)}
            for code, label, fields in self.sections
        ]
        schema["examples"] = [self.example()]
        if self.rules:
            schema["x-rules"] = [rule.model_dump(mode="json") for rule in self.rules]
        if self.applicant_is:
            schema["x-applicant-is"] = list(self.applicant_is)
        return schema


def _if_then(part: ConditionalPart) -> dict[str, Any]:
    field = part.when.field
    if part.when.one_of:
        test: dict[str, Any] = {"enum": part.when.one_of}
    elif part.when.equals is None:
        test = {"not": {"enum": [None, "", False]}}
    else:
        test = {"const": part.when.equals}
    return {
        "if": {"properties": {field: test}, "required": [field]},
        "then": {"required": list(part.fields)},
    }


def _annotation(field: FieldDef) -> Any:
    if field.type is FieldType.enum:
        return Enum(field.code, {key: key for key in field.options}, type=str)
    if field.type is FieldType.date and field.not_in_future:
        return PastDate
    if field.type is FieldType.string and field.multiline:
        return MultiLine
    return _TYPES[field.type]


def _field_info(field: FieldDef, required: bool) -> Any:
    extra: dict[str, Any] = {
        "section": field.section,
        "label_en": field.label.en,
        "pii": field.pii,
    }
    if field.help:
        extra["help"] = field.help.model_dump()
    if field.options:
        extra["option_labels"] = {k: v.model_dump() for k, v in field.options.items()}
    if field.prefill:
        extra["prefill"] = field.prefill.model_dump()
    constraints: dict[str, Any] = {}
    if field.type is FieldType.string:
        constraints = {"min_length": 1, "max_length": field.max_length}
    elif field.type in (FieldType.integer, FieldType.money):
        constraints = {"ge": field.min, "le": field.max}
    return Field(
        ... if required else None,
        title=field.label.zh,
        description=f"{field.help.zh} / {field.help.en}" if field.help else field.label.en,
        examples=[field.example],
        json_schema_extra=extra,
        **constraints,
    )


def _field_codes(spec: ScenarioSpec) -> tuple[dict[str, None], list[ConditionalPart]]:
    """All fields in first-use order (condition fields first) and the conditional parts."""
    always = dict.fromkeys(f for i in spec.items if i.when is None for f in i.fields)
    codes = dict.fromkeys(i.when.field for i in spec.items if i.when)
    parts: dict[str, ConditionalPart] = {}
    for item in spec.items:
        codes.update(dict.fromkeys(item.fields))
        if item.when is None:
            continue
        key = item.when.model_dump_json()
        extra = tuple(f for f in item.fields if f not in always)
        previous = parts.get(key)
        merged = tuple(dict.fromkeys((*(previous.fields if previous else ()), *extra)))
        parts[key] = ConditionalPart(when=item.when, fields=merged)
    return codes, [p for p in parts.values() if p.fields]


@lru_cache(maxsize=256)
def compile_form(code: str, version: int, catalog: Catalog | None = None) -> CompiledForm:
    """The compiled unified form of one scenario version (cached per catalog)."""
    catalog = catalog or get_catalog()
    spec = catalog.spec(code, version)
    scenario = catalog.scenario(code, version)
    if spec is None or scenario is None:
        raise KeyError(f"{code} v{version}")
    codes, conditional = _field_codes(spec)
    optional = {f for part in conditional for f in part.fields}
    fields = tuple(catalog.fields[c] for c in codes)
    definitions: dict[str, Any] = {}
    for f in fields:
        annotation = _annotation(f)
        if f.code in optional:
            annotation = annotation | None
        definitions[f.code] = (annotation, _field_info(f, f.code not in optional))
    model = create_model(
        f"{code.title().replace('_', '')}V{version}Form", __base__=UnifiedForm, **definitions
    )
    sections = tuple(
        (s.code, s.label, tuple(f.code for f in fields if f.section == s.code))
        for s in catalog.sections.values()
        if any(f.section == s.code for f in fields)
    )
    checked = {f for rule in scenario.rules for f in rule.fields} | set(scenario.applicant_is)
    rule_model = None
    if checked:
        alone: dict[str, Any] = {f: (definitions[f][0] | None, None) for f in sorted(checked)}
        rule_model = create_model(f"{model.__name__}Rules", __base__=UnifiedForm, **alone)
    return CompiledForm(
        model=model,
        fields=fields,
        conditional=tuple(conditional),
        sections=sections,
        rules=tuple(scenario.rules),
        applicant_is=tuple(scenario.applicant_is),
        rule_model=rule_model,
    )


def example_form(code: str, version: int, catalog: Catalog | None = None) -> dict[str, Any]:
    """One complete, valid filled-in example built from the dictionary's examples."""
    return compile_form(code, version, catalog).example()


def form_schema(code: str, version: int, catalog: Catalog | None = None) -> dict[str, Any]:
    """JSON Schema of the unified form, with sections, conditions and one valid example."""
    return compile_form(code, version, catalog).schema()
