"""Load the catalog's YAML files, check every cross-reference and resolve scenario versions.

Every problem is collected with its location (file, entry, what is wrong) so one lint run
shows them all; loading at start-up raises `CatalogError` carrying that list.
"""

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from functools import lru_cache
from graphlib import CycleError, TopologicalSorter
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from catalog.calendar import WorkCalendar
from catalog.models import (
    RULE_ARITY,
    Department,
    FieldDef,
    FieldType,
    Item,
    Material,
    Registry,
    ResolvedItem,
    ReviewPolicy,
    RuleKind,
    Scenario,
    ScenarioSpec,
    Section,
)
from domain.queues import DEFAULT_QUEUES

DATA_DIR = Path(__file__).parent / "data"
M = TypeVar("M", bound=BaseModel)
K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class Problem:
    file: str
    entry: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.entry}: {self.message}"


class CatalogError(Exception):
    """The catalog is broken; `problems` lists every located problem."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class Catalog:
    """The validated catalog: look-ups by code and resolved scenario versions."""

    def __init__(
        self,
        *,
        departments: dict[str, Department],
        fields: dict[str, FieldDef],
        materials: dict[str, Material],
        items: dict[str, Item],
        scenarios: dict[tuple[str, int], Scenario],
        registries: dict[str, Registry],
        sections: dict[str, Section],
        review: ReviewPolicy,
        calendar: WorkCalendar,
        subjects: dict[str, str] | None = None,
    ):
        self.calendar = calendar
        # scenario -> the form field naming whom or what its cases are about (subjects.yaml)
        self.subjects = subjects or {}
        self.registries = registries
        self.sections = sections
        self.review = review
        self.departments = departments
        self.fields = fields
        self.materials = materials
        self.items = items
        self.scenarios = scenarios
        self._specs = {key: self._resolve(s) for key, s in scenarios.items()}

    def latest_versions(self) -> list[Scenario]:
        """The newest version of every scenario, ordered by code."""
        latest: dict[str, Scenario] = {}
        for (code, _version), scenario in sorted(self.scenarios.items()):
            latest[code] = scenario
        return list(latest.values())

    def scenario(self, code: str, version: int | None = None) -> Scenario | None:
        if version is None:
            versions = [v for (c, v) in self.scenarios if c == code]
            if not versions:
                return None
            version = max(versions)
        return self.scenarios.get((code, version))

    def spec(self, code: str, version: int | None = None) -> ScenarioSpec | None:
        scenario = self.scenario(code, version)
        return self._specs[(scenario.code, scenario.version)] if scenario else None

    def _resolve(self, scenario: Scenario) -> ScenarioSpec:
        producers = {
            out.code: entry.item
            for entry in scenario.items
            for out in self.items[entry.item].outputs
        }
        resolved = []
        for entry in scenario.items:
            item = self.items[entry.item]
            requires = sorted({producers[o] for o in item.uses_outputs} | set(entry.after))
            department = self.departments[item.department]
            resolved.append(
                ResolvedItem(
                    **item.model_dump(),
                    requires=requires,
                    task_queue=DEFAULT_QUEUES.department(department.code),
                    department_name=department.name,
                    when=entry.when,
                    on_reject=entry.on_reject,
                )
            )
        return ScenarioSpec(
            code=scenario.code, version=scenario.version, name=scenario.name, items=resolved
        )


def _read_list(path: Path, model: type[M], problems: list[Problem]) -> dict[str, M]:
    """Parse a YAML list of entries into models keyed by code, noting every bad entry."""
    return _read_keyed(path, model, problems, _code)


def _read_scenarios(path: Path, problems: list[Problem]) -> dict[tuple[str, int], Scenario]:
    """Like `_read_list`, for scenarios: keyed by (code, version)."""
    return _read_keyed(path, Scenario, problems, lambda s: (s.code, s.version))


def _read_keyed(
    path: Path, model: type[M], problems: list[Problem], key_of: Callable[[M], K]
) -> dict[K, M]:
    raw: Any = _yaml(path, problems) or []
    entries = raw if isinstance(raw, list) else [raw]
    result: dict[K, M] = {}
    for index, entry in enumerate(entries):
        name = entry.get("code", f"#{index + 1}") if isinstance(entry, dict) else f"#{index + 1}"
        try:
            parsed = model.model_validate(entry)
        except ValidationError as exc:
            for err in exc.errors():
                where = ".".join(str(p) for p in err["loc"])
                problems.append(Problem(path.name, str(name), f"{where}: {err['msg']}"))
            continue
        key = key_of(parsed)
        if key in result:
            problems.append(Problem(path.name, str(name), "duplicated code"))
        result[key] = parsed
    return result


def _code(entry: BaseModel) -> str:
    return entry.code  # type: ignore[attr-defined]  # every model read by _read_list has one


def _check_references(
    departments: dict[str, Department],
    fields: dict[str, FieldDef],
    materials: dict[str, Material],
    items: dict[str, Item],
    scenarios: dict[tuple[str, int], Scenario],
    registries: dict[str, Registry],
) -> list[Problem]:
    problems: list[Problem] = []
    outputs = {o.code for item in items.values() for o in item.outputs}
    for field in fields.values():
        if field.prefill and field.prefill.registry not in registries:
            problems.append(
                Problem(
                    "fields.yaml",
                    field.code,
                    f"prefill from unknown registry '{field.prefill.registry}'",
                )
            )
    for material in materials.values():
        if material.registry and material.registry not in registries:
            problems.append(
                Problem("materials.yaml", material.code, f"unknown registry '{material.registry}'")
            )
        if material.never_asked and not (material.registry or material.supplied_by_output):
            problems.append(
                Problem(
                    "materials.yaml",
                    material.code,
                    "marked never_asked but no registry or item output supplies it",
                )
            )
    for material in materials.values():
        if material.supplied_by_output and material.supplied_by_output not in outputs:
            problems.append(
                Problem(
                    "materials.yaml",
                    material.code,
                    f"supplied_by_output '{material.supplied_by_output}': no item produces it",
                )
            )
    for item in items.values():
        where = ("items.yaml", item.code)
        if item.department not in departments:
            problems.append(Problem(*where, f"unknown department '{item.department}'"))
        problems += [
            Problem(*where, f"unknown field '{f}'") for f in item.fields if f not in fields
        ]
        problems += [
            Problem(*where, f"unknown material '{m}'") for m in item.materials if m not in materials
        ]
        problems += [
            Problem(*where, f"uses output '{o}' that no item produces")
            for o in item.uses_outputs
            if o not in outputs
        ]
    for scenario in scenarios.values():
        problems += _check_scenario(scenario, departments, items, fields)
        problems += _check_rules(scenario, items, fields)
    return problems


DATED = {FieldType.date, FieldType.resident_id}  # what `before` and `not_future` compare


def _check_rules(
    scenario: Scenario, items: dict[str, Item], fields: dict[str, FieldDef]
) -> list[Problem]:
    """Every rule and `applicant_is` field: known, on this scenario's form, of a fitting type."""
    where = (f"scenarios/{scenario.code}.yaml", f"{scenario.code} v{scenario.version}")
    on_form = {f for e in scenario.items if e.item in items for f in items[e.item].fields}
    on_form |= {e.when.field for e in scenario.items if e.when}

    def unusable(code: str, what: str, types: set[FieldType]) -> str | None:
        if code not in fields:
            return f"{what}: unknown field '{code}'"
        if code not in on_form:
            return f"{what}: field '{code}' is not on this scenario's form"
        if fields[code].type not in types:
            kinds = " or ".join(sorted(types))
            return f"{what}: field '{code}' is {fields[code].type}, not {kinds}"
        return None

    found: list[str | None] = []
    for number, rule in enumerate(scenario.rules, 1):
        what = f"rule #{number} ({rule.kind})"
        if len(rule.fields) != RULE_ARITY[rule.kind]:
            found.append(f"{what}: takes {RULE_ARITY[rule.kind]} field(s), not {len(rule.fields)}")
            continue
        types = DATED if rule.kind is not RuleKind.different else set(FieldType)
        found += [unusable(code, what, types) for code in rule.fields]
        known = [fields[c].type for c in rule.fields if c in fields]
        if rule.kind is RuleKind.different and len(set(known)) > 1:
            found.append(f"{what}: compares fields of different types")
    found += [
        unusable(code, "applicant_is", {FieldType.resident_id}) for code in scenario.applicant_is
    ]
    return [Problem(*where, message) for message in found if message]


def _check_scenario(
    scenario: Scenario,
    departments: dict[str, Department],
    items: dict[str, Item],
    fields: dict[str, FieldDef],
) -> list[Problem]:
    where = (f"scenarios/{scenario.code}.yaml", f"{scenario.code} v{scenario.version}")
    problems: list[Problem] = []
    if scenario.lead_department not in departments:
        problems.append(Problem(*where, f"unknown department '{scenario.lead_department}'"))
    codes = [entry.item for entry in scenario.items]
    problems += [Problem(*where, f"unknown item '{c}'") for c in codes if c not in items]
    problems += [
        Problem(*where, f"item '{c}' listed twice")
        for c in sorted(set(codes))
        if codes.count(c) > 1
    ]
    if problems:
        return problems
    producers: dict[str, str] = {}
    for code in codes:
        for out in items[code].outputs:
            producers.setdefault(out.code, code)
    conditions = {entry.item: entry.when for entry in scenario.items}
    graph: dict[str, set[str]] = {}
    for entry in scenario.items:
        needs = set(entry.after)
        if entry.when and entry.when.field not in fields:
            problems.append(
                Problem(
                    *where, f"item '{entry.item}' applies when unknown field '{entry.when.field}'"
                )
            )
        for used in items[entry.item].uses_outputs:
            if used not in producers:
                problems.append(
                    Problem(
                        *where,
                        f"item '{entry.item}' uses output '{used}' "
                        "that no item of this scenario produces",
                    )
                )
                continue
            needs.add(producers[used])
            producer_when = conditions[producers[used]]
            if producer_when is not None and producer_when != entry.when:
                problems.append(
                    Problem(
                        *where,
                        f"item '{entry.item}' uses output '{used}' of conditional item "
                        f"'{producers[used]}' that may not apply; give it the same condition",
                    )
                )
        problems += [
            Problem(*where, f"item '{entry.item}' waits for '{a}' which is not in the scenario")
            for a in entry.after
            if a not in codes
        ]
        graph[entry.item] = needs
    try:
        tuple(TopologicalSorter(graph).static_order())
    except CycleError as exc:
        cycle = " -> ".join(exc.args[1])
        problems.append(Problem(*where, f"dependency cycle: {cycle}"))
    return problems


def load_catalog(data_dir: Path = DATA_DIR) -> Catalog:
    """Read and validate the catalog under `data_dir`; raise `CatalogError` listing problems."""
    problems: list[Problem] = []
    registries = _read_list(data_dir / "registries.yaml", Registry, problems)
    sections = _read_list(data_dir / "sections.yaml", Section, problems)
    departments = _read_list(data_dir / "departments.yaml", Department, problems)
    fields = _read_list(data_dir / "fields.yaml", FieldDef, problems)
    materials = _read_list(data_dir / "materials.yaml", Material, problems)
    items = _read_list(data_dir / "items.yaml", Item, problems)
    scenarios: dict[tuple[str, int], Scenario] = {}
    scenario_files = sorted((data_dir / "scenarios").glob("*.yaml"))
    for path in scenario_files:
        found = _read_scenarios(path, problems)
        for key in found.keys() & scenarios.keys():
            problems.append(Problem(path.name, f"{key[0]} v{key[1]}", "duplicated code"))
        scenarios.update(found)
    unreadable = any(p.message.startswith(("not valid YAML", "file is missing")) for p in problems)
    if not unreadable:  # references into a file that did not load would all look broken
        problems += _check_references(departments, fields, materials, items, scenarios, registries)
    problems += [
        Problem("fields.yaml", f.code, f"unknown section '{f.section}'")
        for f in fields.values()
        if f.section not in sections
    ]
    problems += [
        Problem("fields.yaml", f.code, f"multiline on a {f.type} field (only string fields)")
        for f in fields.values()
        if f.multiline and f.type is not FieldType.string
    ]
    review = _read_one(data_dir / "review.yaml", ReviewPolicy, problems)
    calendar = _read_one(data_dir / "calendar.yaml", WorkCalendar, problems)
    subjects = _read_subjects(data_dir / "subjects.yaml", problems)
    if not unreadable:
        # a scenario file that did not load is known by its name
        known = {code for code, _ in scenarios} | {p.stem for p in scenario_files}
        problems += _check_subjects(subjects, known, fields)
    if problems:
        raise CatalogError(problems)
    return Catalog(
        departments=departments,
        fields=fields,
        materials=materials,
        items=items,
        scenarios=scenarios,
        registries=registries,
        sections=sections,
        review=review,
        calendar=calendar,
        subjects=subjects,
    )


def _read_subjects(path: Path, problems: list[Problem]) -> dict[str, str]:
    """subjects.yaml (optional: a scenario about the applicant alone has no subject): scenario
    code -> a field of its form naming whom or what its cases are about."""
    if not path.exists():
        return {}
    subjects = _yaml(path, problems) or {}
    if not isinstance(subjects, dict):
        problems.append(Problem(path.name, "-", "a mapping of scenario code to field code"))
        return {}
    return {str(k): str(v) for k, v in subjects.items()}


def _check_subjects(
    subjects: dict[str, str], codes: set[str], fields: dict[str, FieldDef]
) -> list[Problem]:
    return [
        Problem("subjects.yaml", scenario, "unknown scenario")
        if scenario not in codes
        else Problem("subjects.yaml", scenario, f"unknown field '{field}'")
        for scenario, field in subjects.items()
        if scenario not in codes or field not in fields
    ]


def _read_one(path: Path, model: type[M], problems: list[Problem]) -> M:
    """Parse a YAML mapping into one model, noting its problems (then a default is used)."""
    try:
        return model.model_validate(_yaml(path, problems) or {})
    except ValidationError as exc:
        problems += [
            Problem(path.name, ".".join(map(str, e["loc"])) or "-", e["msg"]) for e in exc.errors()
        ]
        return model.model_construct()


def _yaml(path: Path, problems: list[Problem]) -> Any:
    """The file's YAML, or None with a located problem if it is missing or not YAML."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        problems.append(Problem(path.name, "-", "file is missing"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "-"
        problems.append(
            Problem(path.name, where, f"not valid YAML: {getattr(exc, 'problem', exc)}")
        )
    return None


@lru_cache
def get_catalog(data_dir: Path | None = None) -> Catalog:
    """The catalog under `data_dir` (default: the packaged one), loaded once per process."""
    return load_catalog(data_dir or DATA_DIR)
