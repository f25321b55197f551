"""Validation at the domain level: control characters, the birth dates inside resident ID
numbers, county-level division codes, the catalog's cross-field rules and applicant rule,
and the lint of bad rules. Every refusal is located at its field, bilingual, with a fix."""

import shutil
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from stdnum import numdb

from catalog.loader import DATA_DIR, CatalogError, get_catalog, load_catalog
from catalog.models import FieldType
from forms.divisions import DATA_FILE, counties, write_file
from forms.messages import Problem
from forms.types import today
from forms.unified import FormInvalid, compile_form
from tests.helpers import newborn_form, resident_id

MOTHER = newborn_form()["mother_id"]
FATHER = newborn_form()["father_id"]
CATALOG = get_catalog()


def refused(form: dict[str, Any], code: str = "newborn", **kwargs: Any) -> list[Problem]:
    with pytest.raises(FormInvalid) as invalid:
        compile_form(code, CATALOG.scenario(code).version).validate(form, **kwargs)
    for problem in invalid.value.problems:
        for text in (problem.message, problem.fix):
            assert text.zh and text.en and text.zh != text.en, problem
            assert "{" not in text.zh + text.en, f"unfilled placeholder: {problem}"
    return invalid.value.problems


def found(problems: list[Problem]) -> list[tuple[str, str]]:
    return [(p.loc, p.code) for p in problems]


# -- control characters ----------------------------------------------------------------------
@pytest.mark.parametrize("char", ["\x00", "\x1b", "\x07", "\x7f", "\x85", "\t"])
def test_a_control_character_is_refused_naming_the_field(char: str) -> None:
    problems = refused(newborn_form(mother_name=f"李{char}芳"))
    assert found(problems) == [("form.mother_name", "control_character")]
    assert f"U+{ord(char):04X}" in problems[0].fix.en


def test_a_lone_surrogate_is_refused() -> None:
    problems = refused(newborn_form(mother_name="李\ud800芳"))
    assert found(problems) == [("form.mother_name", "string_unicode")]


@pytest.mark.parametrize("brk", ["\n", "\r\n", "\r", "\u2028"])
def test_a_line_break_in_a_one_line_field_is_refused(brk: str) -> None:
    problems = refused(newborn_form(household_address=f"重庆市渝中区{brk}民族路100号"))
    assert found(problems) == [("form.household_address", "line_break")]


def test_every_free_text_field_of_every_scenario_refuses_nul() -> None:
    checked = 0
    for scenario in CATALOG.latest_versions():
        form = compile_form(scenario.code, scenario.version)
        for field in form.fields:
            if field.type is FieldType.string:
                text = str(field.example)[: field.max_length - 1]
                data = {**form.example(), field.code: f"{text}\x00"}
                assert found(refused(data, scenario.code)) == [
                    (f"form.{field.code}", "control_character")
                ], (scenario.code, field.code)
                checked += 1
    assert checked > 50


def test_a_multi_line_field_keeps_lines_and_tabs_but_not_other_controls() -> None:
    assert CATALOG.fields["business_scope"].multiline
    form = compile_form("open_company", CATALOG.scenario("open_company").version)
    clean = form.validate({**form.example(), "business_scope": "餐饮服务\r\n食品销售\t零售"})
    assert clean["business_scope"] == "餐饮服务\n食品销售\t零售"
    problems = refused({**form.example(), "business_scope": "餐饮服务\n\x1b[31m"}, "open_company")
    assert found(problems) == [("form.business_scope", "control_character")]


# -- resident ID birth dates -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("birth", "code"),
    [
        ("20990307", "resident_id_birth_future"),
        ((today() + timedelta(days=1)).strftime("%Y%m%d"), "resident_id_birth_future"),
        ("18991231", "resident_id_birth_too_early"),
        ("19980230", "resident_id_birth_date"),
    ],
)
def test_an_id_number_born_in_the_future_or_before_1900_is_refused(birth: str, code: str) -> None:
    number = resident_id("110105", birth, 122)
    assert found(refused(newborn_form(mother_id=number))) == [("form.mother_id", code)]


def test_an_id_number_born_in_1900_or_today_is_accepted() -> None:
    form = compile_form("newborn", 1)
    form.validate(newborn_form(mother_id=resident_id("110105", "19000101", 122)))
    born_today = resident_id("500103", today().strftime("%Y%m%d"), 122)
    problems = refused(newborn_form(mother_id=born_today))  # valid, but not before the baby
    assert found(problems) == [("form.baby_birth_date", "rule_before")]


# -- division codes --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("division", "code"),
    [
        ("500000", "division_not_county"),  # 重庆市 (province level)
        ("510100", "division_not_county"),  # 成都市 (prefecture level)
        ("510101", "division_unknown"),  # 市辖区, a placeholder, not a county
        ("999999", "division_unknown"),
        ("500105", "division_abolished"),  # 江北区, in use until 2025 (stdnum's data)
        ("50010３", "division_unknown"),
    ],
)
def test_a_division_that_is_not_a_current_county_is_refused(division: str, code: str) -> None:
    problems = refused(newborn_form(household_division=division))
    assert found(problems) == [("form.household_division", code)]


def test_current_county_level_codes_are_accepted() -> None:
    form = compile_form("newborn", 1)
    for division in ("500103", "500157", "110105", "429004", "659012"):
        assert form.validate(newborn_form(household_division=division))


def test_the_division_file_is_stdnums_county_list_with_source_and_date(tmp_path: Path) -> None:
    header = [
        line for line in DATA_FILE.read_text(encoding="utf-8").splitlines() if line[:1] == "#"
    ]
    assert any("python-stdnum" in line and "loc.dat" in line for line in header)
    assert any("Derived on 20" in line for line in header)
    current = [c for c in counties().values() if c.current]
    assert 2800 <= len(current) <= 2900  # China has about 2,850 county-level divisions
    loc = numdb.get("cn/loc")
    for county in current:
        assert not county.code.endswith("00")
        parts = loc.info(county.code)
        assert len(parts) == 2 and county.name in parts[1][1]["county"], county
    # The file is what the script derives from the installed python-stdnum (date aside).
    write_file(tmp_path / "again.tsv")
    again = (tmp_path / "again.tsv").read_text(encoding="utf-8").splitlines()
    kept = DATA_FILE.read_text(encoding="utf-8").splitlines()
    assert [x for x in again if "Derived on" not in x] == [x for x in kept if "Derived on" not in x]


# -- cross-field rules -----------------------------------------------------------------------
def test_a_baby_born_before_its_parents_is_refused_naming_both() -> None:
    problems = refused(newborn_form(baby_birth_date="1950-01-01"))
    assert found(problems) == [("form.baby_birth_date", "rule_before")] * 2
    assert "母亲公民身份号码" in problems[0].message.zh
    assert "Mother's resident ID number" in problems[0].message.en
    assert "Father's resident ID number" in problems[1].message.en


def test_the_father_and_the_mother_are_different_people() -> None:
    problems = refused(newborn_form(father_id=MOTHER))
    assert found(problems) == [("form.father_id", "rule_different")]
    lower = newborn_form(mother_id="11010519880312009x", father_id="11010519880312009X")
    assert ("form.father_id", "rule_different") in found(refused(lower))


def test_the_form_schema_carries_the_rules() -> None:
    schema = compile_form("newborn", 1).schema()
    assert {"kind": "different", "fields": ["mother_id", "father_id"]} in schema["x-rules"]
    assert schema["x-applicant-is"] == ["mother_id", "father_id"]
    assert "x-rules" not in compile_form("retirement", 1).schema()


def test_a_rule_is_checked_only_on_valid_values() -> None:
    # The mother's ID has its own problem: only the father's rule compares with the baby.
    problems = refused(newborn_form(mother_id=MOTHER[:-1] + "8", baby_birth_date="1950-01-01"))
    assert found(problems) == [
        ("form.mother_id", "resident_id_checksum"),
        ("form.baby_birth_date", "rule_before"),
    ]
    # A future birth date is refused once, by the field, not again by the rule.
    tomorrow = (today() + timedelta(days=1)).isoformat()
    assert found(refused(newborn_form(baby_birth_date=tomorrow))) == [
        ("form.baby_birth_date", "date_in_future")
    ]


def _catalog_copy(tmp_path: Path, scenario: dict[str, Any] | None = None) -> Path:
    data = tmp_path / "catalog"
    shutil.copytree(DATA_DIR, data)
    if scenario is not None:
        path = data / "scenarios" / "newborn.yaml"
        original = yaml.safe_load(path.read_text(encoding="utf-8"))
        path.write_text(yaml.safe_dump({**original, **scenario}, allow_unicode=True), "utf-8")
    return data


def test_a_not_future_rule_on_a_date_without_its_own_check(tmp_path: Path) -> None:
    data = _catalog_copy(
        tmp_path, {"rules": [{"kind": "not_future", "fields": ["baby_birth_date"]}]}
    )
    fields = data / "fields.yaml"
    fields.write_text(
        fields.read_text(encoding="utf-8").replace("  not_in_future: true\n", ""), "utf-8"
    )
    form = compile_form("newborn", 1, load_catalog(data))
    tomorrow = (today() + timedelta(days=1)).isoformat()
    with pytest.raises(FormInvalid) as invalid:
        form.validate(newborn_form(baby_birth_date=tomorrow))
    assert found(invalid.value.problems) == [("form.baby_birth_date", "rule_not_future")]
    assert form.validate(newborn_form(baby_birth_date=today().isoformat()))


def test_bad_rules_are_located_problems_of_the_lint(tmp_path: Path) -> None:
    rules = [
        {"kind": "before", "fields": ["mother_id", "no_such_field"]},
        {"kind": "before", "fields": ["mother_name", "baby_birth_date"]},
        {"kind": "different", "fields": ["mother_id"]},
        {"kind": "not_future", "fields": ["student_id"]},
    ]
    data = _catalog_copy(tmp_path, {"rules": rules, "applicant_is": ["mother_name"]})
    with pytest.raises(CatalogError) as broken:
        load_catalog(data)
    messages = {(p.file, p.entry, p.message) for p in broken.value.problems}
    where = ("scenarios/newborn.yaml", "newborn v1")
    assert messages == {
        (*where, "rule #1 (before): unknown field 'no_such_field'"),
        (*where, "rule #2 (before): field 'mother_name' is string, not date or resident_id"),
        (*where, "rule #3 (different): takes 2 field(s), not 1"),
        (*where, "rule #4 (not_future): field 'student_id' is not on this scenario's form"),
        (*where, "applicant_is: field 'mother_name' is string, not resident_id"),
    }

    unknown_kind = _catalog_copy(tmp_path / "kind", {"rules": [{"kind": "after", "fields": ["x"]}]})
    with pytest.raises(CatalogError) as broken:
        load_catalog(unknown_kind)
    [problem] = broken.value.problems
    assert (problem.file, problem.entry) == ("newborn.yaml", "newborn")
    assert problem.message.startswith("rules.0.kind:")


# -- the applicant rule ----------------------------------------------------------------------
def test_the_applicant_must_be_the_mother_or_the_father() -> None:
    form = compile_form("newborn", 1)
    assert form.validate(newborn_form(), applicant=MOTHER)
    assert form.validate(newborn_form(), applicant=FATHER)
    assert form.validate(newborn_form(), applicant=None)  # an account without a resident ID
    stranger = resident_id("110105", "19640815", 3)
    problems = refused(newborn_form(), applicant=stranger)
    assert found(problems) == [
        ("form.mother_id", "applicant_not_named"),
        ("form.father_id", "applicant_not_named"),
    ]
    assert stranger not in problems[0].model_dump_json()
    named = form.for_applicant(newborn_form(), stranger)
    assert named["mother_id"] == stranger and named["father_id"] == FATHER
    assert form.for_applicant(newborn_form(), FATHER) == newborn_form()


def test_other_scenarios_have_no_applicant_rule() -> None:
    form = compile_form("retirement", CATALOG.scenario("retirement").version)
    assert form.validate(form.example(), applicant=resident_id("110105", "19640815", 3))


def test_the_demo_applicant_is_the_mother_of_the_example() -> None:
    from store.users import DEMO_IDENTITIES

    assert DEMO_IDENTITIES["applicant"]["resident_id"] == MOTHER
    assert date.fromisoformat(newborn_form()["baby_birth_date"]) <= today()
