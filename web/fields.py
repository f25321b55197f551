"""Drawing a compiled unified form as HTML inputs and reading the posted form back.

The inputs come from the same `CompiledForm` the API serves as JSON Schema and validates
with: its sections in order, its fields' labels and help, its conditional parts (written
into `data-when` attributes for the page script). Nothing here validates: the posted values
go to `CompiledForm.validate` (through the submission or the supplement) as they are.
"""

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from catalog.loader import Catalog
from catalog.models import FieldDef, FieldType
from domain.text import Text
from forms.messages import Problem
from forms.unified import CompiledForm

WIDGETS = {
    FieldType.enum: "select",
    FieldType.boolean: "checkbox",
    FieldType.date: "date",
    FieldType.integer: "number",
    FieldType.money: "money",
    FieldType.phone: "tel",
}

CHOICES = {"select", "radio"}  # a required answer is chosen, not typed
REQUIRED = {"missing", "string_too_short"}
# a required answer left blank -> its message: chosen (True) or typed (False)
ASK = {
    chosen: key
    for key, chosen in (
        ("form.err.choose", True),
        ("form.err.enter", False),
    )
}
# a problem's code -> the message naming the field for the rule it breaks
SPECIFIC = {
    code: key
    for key, codes in (
        (
            "form.err.pattern",
            (
                "resident_id_format",
                "credit_code_format",
                "phone_format",
                "string_pattern_mismatch",
                "date_from_datetime_parsing",
                "decimal_parsing",
                "int_parsing",
                "bool_parsing",
                "enum",
            ),
        ),
        (
            "form.err.range",
            ("greater_than_equal", "less_than_equal", "string_too_long", "date_out_of_range"),
        ),
        (
            "form.err.check_digit",
            ("resident_id_checksum", "credit_code_checksum", "bank_account_invalid"),
        ),
    )
    for code in codes
}


@dataclass
class FieldView:
    code: str
    label: Text
    help: Text | None
    widget: str
    options: list[tuple[str, Text]]
    value: Any
    max_length: int | None
    minimum: int | None
    maximum: int | None
    problem: Problem | None = None
    prefilled_from: Text | None = None
    when: str | None = None  # JSON list of conditions: the field shows when any holds

    @property
    def error_key(self) -> str | None:
        """The message naming this field for its problem's rule (`form.err.*`), if the
        rule has one; else the page shows the problem's own message and fix."""
        if self.problem is None:
            return None
        code = self.problem.code
        if code in REQUIRED:
            return ASK[self.widget in CHOICES]
        return SPECIFIC.get(code)

    @property
    def phrase(self) -> Text:
        """The label inside a sentence: "Enter baby's name" (an acronym keeps its case)."""
        en = self.label.en
        if en[:2] != en[:2].upper():
            en = en[:1].lower() + en[1:]
        return Text(zh=self.label.zh, en=en)

    @property
    def describedby(self) -> str:
        """The ids of the help and error lines the page shows (aria-describedby)."""
        shown = [("h", self.help), ("e", self.problem)]
        return " ".join(f"{kind}-{self.code}" for kind, present in shown if present)


@dataclass
class SectionView:
    code: str
    label: Text
    fields: list[FieldView] = field(default_factory=list)


def _view(
    definition: FieldDef,
    value: Any,
    problem: Problem | None,
    prefilled_from: Text | None,
    when: list[dict[str, Any]] | None,
) -> FieldView:
    return FieldView(
        code=definition.code,
        label=definition.label,
        help=definition.help,
        widget="textarea" if definition.multiline else WIDGETS.get(definition.type, "text"),
        options=list(definition.options.items()),
        value=value if value is not None else "",
        max_length=definition.max_length if definition.type is FieldType.string else None,
        minimum=definition.min,
        maximum=definition.max,
        problem=problem,
        prefilled_from=prefilled_from,
        when=json.dumps(when, ensure_ascii=False) if when else None,
    )


def form_sections(
    catalog: Catalog,
    form: CompiledForm,
    values: Mapping[str, Any],
    problems: Iterable[Problem] = (),
    sources: Mapping[str, str] | None = None,
    only: Iterable[str] | None = None,
) -> list[SectionView]:
    """The form's sections in order with their inputs; `only` keeps just those fields
    (a supplement asks for a few), `sources` marks prefilled fields with their registry."""
    located = by_field(problems)[0]
    conditions: dict[str, list[dict[str, Any]]] = {}
    for part in form.conditional:
        for code in part.fields:
            conditions.setdefault(code, []).append(part.when.model_dump(mode="json"))
    keep = set(only) if only is not None else None
    definitions = {f.code: f for f in form.fields}
    sections = []
    for code, label, codes in form.sections:
        section = SectionView(code, label)
        for name in codes:
            if keep is not None and name not in keep:
                continue
            registry = (sources or {}).get(name)
            section.fields.append(
                _view(
                    definitions[name],
                    values.get(name),
                    located.get(name),
                    catalog.registries[registry].name if registry else None,
                    # A supplement shows its fields whatever the conditions.
                    conditions.get(name) if keep is None else None,
                )
            )
        if section.fields:
            sections.append(section)
    return sections


def read_form(
    form: CompiledForm, posted: Mapping[str, Any], only: Iterable[str] | None = None
) -> dict[str, Any]:
    """The posted inputs as the form's raw data: checkboxes as booleans. Blanks are left out
    of a whole form (a required blank is reported as missing); among the `only` fields of a
    supplement they stay blank, so they replace the old value and are reported, not kept."""
    keep = set(only) if only is not None else None
    data: dict[str, Any] = {}
    for definition in form.fields:
        if keep is not None and definition.code not in keep:
            continue
        if definition.type is FieldType.boolean:
            data[definition.code] = posted.get(definition.code) == "true"
            continue
        value = posted.get(definition.code)
        value = value.strip() if isinstance(value, str) else ""
        if value or keep is not None:
            data[definition.code] = value
    return data


def by_field(problems: Iterable[Problem]) -> tuple[dict[str, Problem], list[Problem]]:
    """Problems located at a form field (`form.<code>`), and the others."""
    located: dict[str, Problem] = {}
    general: list[Problem] = []
    for problem in problems:
        head, _, name = problem.loc.partition(".")
        if head == "form" and name and "." not in name:
            located.setdefault(name, problem)
        else:
            general.append(problem)
    return located, general
