"""A scenario's cross-field rules and its applicant rule, checked on valid field values.

A rule is checked only when every field it names has a valid value (a field with its own
problem, or a conditional one left out, has nothing to compare); its problem is located at
the last field it names and names the others by their labels, in both languages.
"""

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from catalog.models import FieldDef, FieldType, Rule, RuleKind
from domain.text import Text
from forms.messages import Problem
from forms.types import birth_date_of, today


def _date_of(field: FieldDef, value: Any) -> date:
    """A date field's date, or the birth date inside a resident ID number."""
    if field.type is FieldType.resident_id:
        return birth_date_of(value)
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _dated(field: FieldDef) -> Text:
    """How a message names the date a field stands for."""
    if field.type is FieldType.resident_id:
        return Text(
            zh=f"「{field.label.zh}」中的出生日期", en=f"the birth date in {field.label.en}"
        )
    return Text(zh=f"「{field.label.zh}」", en=field.label.en)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _both(first: FieldDef, second: FieldDef) -> Text:
    return Text(
        zh=f"请核对「{first.label.zh}」和「{second.label.zh}」",
        en=f"Check {first.label.en} and {second.label.en}",
    )


def _broken(
    rule: Rule, fields: Mapping[str, FieldDef], values: Mapping[str, Any]
) -> tuple[Text, Text] | None:
    """What is wrong and how to fix it, if the rule does not hold."""
    first, last = fields[rule.fields[0]], fields[rule.fields[-1]]
    if rule.kind is RuleKind.not_future:
        if _date_of(last, values[last.code]) <= today():
            return None
        named = _dated(last)
        return (
            Text(zh=f"{named.zh}晚于今天", en=f"{_capital(named.en)} is in the future"),
            Text(zh="请填写今天或更早的日期", en="Enter today or an earlier date"),
        )
    if rule.kind is RuleKind.before:
        if _date_of(first, values[first.code]) < _date_of(last, values[last.code]):
            return None
        earlier, later = _dated(first), _dated(last)
        message = Text(
            zh=f"{later.zh}应晚于{earlier.zh}",
            en=f"{_capital(later.en)} must be after {earlier.en}",
        )
        return message, _both(first, last)
    if values[first.code] != values[last.code]:
        return None
    message = Text(
        zh=f"「{last.label.zh}」与「{first.label.zh}」相同，应为不同的人或值",
        en=f"{last.label.en} is the same as {first.label.en}; they must differ",
    )
    return message, _both(first, last)


def rule_problems(
    rules: Iterable[Rule], fields: Mapping[str, FieldDef], values: Mapping[str, Any]
) -> list[Problem]:
    """The problems of the rules whose fields all have a valid value in `values`."""
    found = []
    for rule in rules:
        if all(values.get(code) is not None for code in rule.fields):
            broken = _broken(rule, fields, values)
            if broken is not None:
                loc, code = f"form.{rule.fields[-1]}", f"rule_{rule.kind}"
                found.append(Problem(loc=loc, code=code, message=broken[0], fix=broken[1]))
    return found


def applicant_problems(
    applicant_is: Iterable[str],
    fields: Mapping[str, FieldDef],
    clean: Mapping[str, Any],
    resident_id: str | None,
) -> list[Problem]:
    """Problems (one per field) when the applicant's verified resident ID is in none of the
    `applicant_is` fields; none when the account carries no resident ID or there is no rule."""
    codes = list(applicant_is)
    if not codes or not resident_id or any(clean.get(c) == resident_id.upper() for c in codes):
        return []
    labels = [fields[c].label for c in codes]
    zh = "、".join(f"「{label.zh}」" for label in labels)
    en = ", ".join(label.en for label in labels)
    message = Text(
        zh=f"申请人须是表中所列人员之一：{zh}中须有一项是您登录账户的公民身份号码",
        en=f"You must be one of the people named: one of {en} must be your own resident ID "
        "number (the one your account is registered with)",
    )
    fix = Text(
        zh="请在其中一项填写您本人的公民身份号码，或请表中所列的本人登录后申请",
        en="Enter your own resident ID number in one of them, or let one of the people named "
        "sign in and apply",
    )
    return [
        Problem(loc=f"form.{code}", code="applicant_not_named", message=message, fix=fix)
        for code in codes
    ]


def naming_applicant(
    applicant_is: Iterable[str], form: Mapping[str, Any], resident_id: str
) -> dict[str, Any]:
    """`form` with the applicant named in the first `applicant_is` field, unless one of them
    names the applicant already (the simulation's applicants fill in the example this way)."""
    codes = list(applicant_is)
    if not codes or any(form.get(c) == resident_id for c in codes):
        return dict(form)
    return {**form, codes[0]: resident_id}
