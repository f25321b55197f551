"""The whole scenario catalog: every scenario compiles to a form whose example validates and
whose broken example is refused with located problems; every entry is sourced or marked
illustrative; reduction figures add up
(three of them counted by hand) and docs/reductions.md is the report's current output."""

from pathlib import Path
from typing import Any

import pytest
import yaml

from catalog.loader import get_catalog
from catalog.models import Audience, FieldDef, FieldType, Source
from catalog.reform import reform_figures
from catalog.report import reduction_markdown
from forms.unified import FormInvalid, compile_form
from registries.embedded import DATA_DIR as REGISTRY_DATA

ROOT = Path(__file__).resolve().parents[2]
CATALOG = get_catalog()
SCENARIOS = [s.code for s in CATALOG.latest_versions()]

# A value of the wrong type (or shape) for each field type.
WRONG = {
    FieldType.string: 12345,
    FieldType.date: "not-a-date",
    FieldType.enum: "no_such_option",
    FieldType.boolean: "perhaps",
    FieldType.resident_id: "123456",
    FieldType.credit_code: "123456",
    FieldType.phone: "12",
    FieldType.division: "999999",
    FieldType.bank_account: "1234",
    FieldType.integer: "many",
    FieldType.money: "a lot",
}


def locations(form: Any, data: dict[str, Any]) -> set[str]:
    with pytest.raises(FormInvalid) as invalid:
        form.validate(data)
    return {p.loc for p in invalid.value.problems}


def test_the_catalog_has_twenty_scenarios_for_both_audiences() -> None:
    assert len(SCENARIOS) >= 20
    audiences = {CATALOG.scenario(code).audience for code in SCENARIOS}
    assert audiences == {Audience.individual, Audience.business}


# Scenarios made only of automatic items (即办件): the card services are issued on the spot
# and the listing check is a data check behind a report that is "立等可取".
WITHOUT_REVIEW = {"social_security_card_services", "listing_compliance_check"}


@pytest.mark.parametrize("code", SCENARIOS)
def test_scenario_shape(code: str) -> None:
    scenario = CATALOG.scenario(code)
    assert 3 <= len(scenario.items) <= (10 if code == "newborn" else 8)
    assert scenario.stage.zh and scenario.stage.en
    assert scenario.eligibility, "eligibility conditions are listed"
    assert scenario.lead_department in CATALOG.departments
    reviewed = [e.item for e in scenario.items if CATALOG.items[e.item].mode == "reviewed"]
    assert bool(reviewed) == (code not in WITHOUT_REVIEW), (code, reviewed)


@pytest.mark.parametrize("code", SCENARIOS)
def test_the_example_validates(code: str) -> None:
    form = compile_form(code, CATALOG.scenario(code).version)
    example = form.example()
    clean = form.validate(example)
    assert set(clean) == set(example)


@pytest.mark.parametrize("code", SCENARIOS)
def test_a_broken_example_is_refused_with_located_problems(code: str) -> None:
    form = compile_form(code, CATALOG.scenario(code).version)
    required = form.model.model_json_schema()["required"]
    data = form.example()
    missing = required[0]
    del data[missing]
    wrong = next(f for f in form.fields if f.code != missing and f.section != "choices")
    data[wrong.code] = WRONG[wrong.type]
    found = locations(form, data)
    assert {f"form.{missing}", f"form.{wrong.code}"} <= found, found


@pytest.mark.parametrize("code", SCENARIOS)
def test_conditional_parts_are_required_only_when_they_apply(code: str) -> None:
    form = compile_form(code, CATALOG.scenario(code).version)
    for part in form.conditional:
        data = {k: v for k, v in form.example().items() if k not in part.fields}
        assert locations(form, data) == {f"form.{f}" for f in part.fields}
        condition = CATALOG.fields[part.when.field]
        if condition.type is FieldType.boolean and part.when.equals is True:
            # Answer "no": the part's fields may be left out (unless another part needs them).
            mine = [p for p in form.conditional if p.when.field == part.when.field]
            needed = {f for p in form.conditional if p not in mine for f in p.fields}
            drop = {f for p in mine for f in p.fields} - needed
            data = {k: v for k, v in form.example().items() if k not in drop}
            data[part.when.field] = False
            form.validate(data)


def test_at_least_four_scenarios_have_conditional_items() -> None:
    conditional = [c for c in SCENARIOS if any(e.when for e in CATALOG.scenario(c).items)]
    assert len(conditional) >= 4, conditional


def test_conditions_ask_choice_fields_with_valid_values() -> None:
    for code in SCENARIOS:
        for entry in CATALOG.scenario(code).items:
            if entry.when is None:
                continue
            field = CATALOG.fields[entry.when.field]
            where = f"{code}: {entry.item} when {field.code}"
            assert field.section == "choices", where
            assert field.type in (FieldType.boolean, FieldType.enum), where
            values = entry.when.one_of or [entry.when.equals]
            for value in values:
                if field.type is FieldType.enum:
                    assert value in field.options, where
                else:
                    assert isinstance(value, bool), where
            example_holds = entry.when.holds({field.code: field.example})
            assert example_holds, f"{where}: the example answers so that it applies"


def test_nothing_waits_for_an_item_that_may_not_apply() -> None:
    """`after` a conditional item would wait for an item the case may not have."""
    for code in SCENARIOS:
        entries = {e.item: e for e in CATALOG.scenario(code).items}
        for entry in entries.values():
            for before in entry.after:
                when = entries[before].when
                assert when is None or when == entry.when, f"{code}: {entry.item} after {before}"


def test_item_codes_are_unique_and_shared_items_are_reused() -> None:
    raw = yaml.safe_load((ROOT / "catalog/data/items.yaml").read_text(encoding="utf-8"))
    codes = [entry["code"] for entry in raw]
    assert len(codes) == len(set(codes))
    uses: dict[str, int] = {}
    for code in SCENARIOS:
        for entry in CATALOG.scenario(code).items:
            uses[entry.item] = uses.get(entry.item, 0) + 1
    assert set(uses) == set(CATALOG.items), "every item belongs to some scenario"
    assert {"business_licence_verification", "ss_card_application"} <= {
        i for i, n in uses.items() if n > 1
    }


def sourced(source: Source) -> bool:
    return bool(source.citation and source.url) or source.illustrative


def test_every_entry_cites_a_source_or_is_illustrative() -> None:
    entries: list[tuple[str, Source]] = [
        *((f"department {d.code}", d.source) for d in CATALOG.departments.values()),
        *((f"item {i.code}", i.source) for i in CATALOG.items.values()),
        *((f"material {m.code}", m.source) for m in CATALOG.materials.values()),
        *((f"scenario {s.code}", s.source) for s in CATALOG.scenarios.values()),
    ]
    unsourced = [name for name, source in entries if not sourced(source)]
    assert not unsourced, unsourced


def test_never_asked_materials_have_a_supplier_in_every_scenario_using_them() -> None:
    for code in SCENARIOS:
        spec = CATALOG.spec(code)
        produced = {o.code for item in spec.items for o in item.outputs}
        for item in spec.items:
            for m in item.materials:
                material = CATALOG.materials[m]
                if material.never_asked:
                    supplied = material.registry or material.supplied_by_output in produced
                    assert supplied, f"{code}: {item.code} needs {m} and nobody supplies it"


@pytest.mark.parametrize("code", SCENARIOS)
def test_reduction_figures_are_consistent(code: str) -> None:
    figures = reform_figures(CATALOG, CATALOG.spec(code))
    asked = len(figures.materials_asked)
    assert figures.materials_baseline >= asked + len(figures.materials_fetched)
    assert figures.fields_baseline >= figures.fields_asked + figures.fields_prefilled
    assert 0 < figures.promised_days <= figures.baseline_days


# Counted by hand from items.yaml (materials per item; distinct ones; limits + visits).
HAND_COUNTED = {
    # licence 2 + food 5 + fire 5 + signboard 3 + tobacco 3 = 18; asked: premises proof,
    # layout, food safety rules, fire commitment, fire acceptance record, signboard design;
    # fetched: business licence (legal entities), legal representative's ID (e-licences).
    # Days (1+1)+(10+3)+(10+2)+(20+2)+(20+2) = 71; promised 0 then max(5, 3, 5, 5) = 5.
    "open_restaurant": (18, 6, 2, 32, 5, 71.0, 5.0),
    # tax 4 + transfer 5 + 4 utilities x 2 = 17; asked: sale contract, buyer's ID card;
    # fetched: property certificate, seller's ID card; the tax certificate and the new
    # property certificate come from outputs. Days 7 + 32 + 4 x 6 = 63; promised 1+5+1 = 7.
    "second_hand_home_transfer": (17, 2, 2, 35, 8, 63.0, 7.0),
    # drafting 0 + registration 5 + 4 x 2 (tax, insurance, medical, fund) + seal 3 = 16;
    # asked: power of attorney only. Days 0 + 5 + 4 x 6 + 2 = 31; promised 0+1+1 = 2.
    "company_information_change": (16, 1, 2, 30, 2, 31.0, 2.0),
}


@pytest.mark.parametrize("code", sorted(HAND_COUNTED))
def test_reduction_figures_match_hand_counts(code: str) -> None:
    figures = reform_figures(CATALOG, CATALOG.spec(code))
    assert (
        figures.materials_baseline,
        len(figures.materials_asked),
        len(figures.materials_fetched),
        figures.fields_baseline,
        figures.fields_asked,
        figures.baseline_days,
        figures.promised_days,
    ) == HAND_COUNTED[code]


def test_newborn_figures_are_unchanged() -> None:
    spec = CATALOG.spec("newborn")
    figures = reform_figures(CATALOG, spec)
    assert len(spec.items) == 10
    assert figures.materials_baseline == 31
    assert figures.baseline_days == 80


def registry_records() -> dict[str, list[dict[str, Any]]]:
    return {
        path.stem: list((yaml.safe_load(path.read_text(encoding="utf-8")) or {}).values())
        for path in REGISTRY_DATA.glob("*.yaml")
    }


def test_every_prefill_attribute_is_held_by_some_registry_record() -> None:
    records = registry_records()
    fields: list[FieldDef] = [f for f in CATALOG.fields.values() if f.prefill]
    for field in fields:
        assert field.prefill is not None
        held = records.get(field.prefill.registry, [])
        assert any(field.prefill.attribute in r for r in held), field.code


def test_docs_reductions_is_the_current_report() -> None:
    shipped = (ROOT / "docs/reductions.md").read_text(encoding="utf-8")
    assert shipped == reduction_markdown(CATALOG), (
        "regenerate it: onego catalog report > docs/reductions.md"
    )
