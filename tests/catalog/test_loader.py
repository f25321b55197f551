"""Catalog lint: each kind of broken catalog is refused with a located problem (file, entry,
what is wrong), by `load_catalog` and by `onego catalog lint`."""

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from catalog.loader import DATA_DIR, CatalogError, Problem, load_catalog
from cli import app


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A copy of the shipped catalog to break."""
    copy = tmp_path / "catalog"
    shutil.copytree(DATA_DIR, copy)
    return copy


def edit(path: Path, change: Callable[[Any], Any]) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data = change(data) or data
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def edit_item(data_dir: Path, code: str, change: Callable[[dict[str, Any]], None]) -> None:
    def apply(items: list[dict[str, Any]]) -> None:
        change(next(i for i in items if i["code"] == code))

    edit(data_dir / "items.yaml", apply)


def problems_of(data_dir: Path) -> list[Problem]:
    with pytest.raises(CatalogError) as broken:
        load_catalog(data_dir)
    return broken.value.problems


def lint(data_dir: Path) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["catalog", "lint", "--data-dir", str(data_dir)])
    return result.exit_code, result.output


def squeeze(text: str) -> str:
    """Text without whitespace: the console wraps long lines."""
    return "".join(text.split())


def test_the_shipped_catalog_is_clean(data_dir: Path) -> None:
    catalog = load_catalog(data_dir)
    spec = catalog.spec("newborn")
    assert spec is not None and len(spec.items) == 10
    code, output = lint(data_dir)
    assert code == 0, output
    assert "✓" in output


def test_unknown_field(data_dir: Path) -> None:
    edit_item(data_dir, "childbirth_registration", lambda i: i["fields"].append("no_such_field"))
    expected = Problem("items.yaml", "childbirth_registration", "unknown field 'no_such_field'")
    assert expected in problems_of(data_dir)
    code, output = lint(data_dir)
    assert code == 1
    assert squeeze(str(expected)) in squeeze(output)
    assert "problem(s)" in output


def test_unknown_department(data_dir: Path) -> None:
    edit_item(data_dir, "household_registration", lambda i: i.update(department="public-safety"))
    expected = Problem("items.yaml", "household_registration", "unknown department 'public-safety'")
    assert expected in problems_of(data_dir)


def test_dependency_cycle(data_dir: Path) -> None:
    # Each of the two items now needs the other's output.
    edit_item(
        data_dir,
        "childbirth_registration",
        lambda i: i.setdefault("uses_outputs", []).append("birth_certificate_no"),
    )
    edit_item(
        data_dir,
        "birth_medical_certificate",
        lambda i: i.setdefault("uses_outputs", []).append("childbirth_registration_no"),
    )
    cycles = [
        p
        for p in problems_of(data_dir)
        if (p.file, p.entry) == ("scenarios/newborn.yaml", "newborn v1")
        and p.message.startswith("dependency cycle")
    ]
    assert len(cycles) == 1, cycles
    assert "childbirth_registration" in cycles[0].message
    assert "birth_medical_certificate" in cycles[0].message


def test_output_nobody_produces(data_dir: Path) -> None:
    edit_item(
        data_dir,
        "vaccination_certificate",
        lambda i: i.setdefault("uses_outputs", []).append("ghost_certificate_no"),
    )
    found = problems_of(data_dir)
    assert (
        Problem(
            "items.yaml",
            "vaccination_certificate",
            "uses output 'ghost_certificate_no' that no item produces",
        )
        in found
    )
    assert any(p.entry == "newborn v1" and "'ghost_certificate_no'" in p.message for p in found), (
        found
    )


def test_duplicated_item_code(data_dir: Path) -> None:
    items = yaml.safe_load((data_dir / "items.yaml").read_text(encoding="utf-8"))
    edit(data_dir / "items.yaml", lambda entries: [*entries, dict(items[0])])
    expected = Problem("items.yaml", items[0]["code"], "duplicated code")
    assert expected in problems_of(data_dir)


def test_duplicated_scenario_version(data_dir: Path) -> None:
    shutil.copy(data_dir / "scenarios" / "newborn.yaml", data_dir / "scenarios" / "zz_copy.yaml")
    found = problems_of(data_dir)
    assert [p for p in found if p.message == "duplicated code"] == [
        Problem("zz_copy.yaml", "newborn v1", "duplicated code")
    ]


def test_every_problem_is_listed_at_once(data_dir: Path) -> None:
    edit_item(data_dir, "childbirth_registration", lambda i: i["fields"].append("no_such_field"))
    edit_item(data_dir, "household_registration", lambda i: i.update(department="public-safety"))
    found = problems_of(data_dir)
    assert {(p.entry, p.message) for p in found} >= {
        ("childbirth_registration", "unknown field 'no_such_field'"),
        ("household_registration", "unknown department 'public-safety'"),
    }
    code, output = lint(data_dir)
    assert code == 1
    for problem in found:
        assert squeeze(str(problem)) in squeeze(output)
    assert f"{len(found)} problem(s)" in output


def test_subjects_are_read_from_the_catalog_in_use(data_dir: Path) -> None:
    """A catalog of its own names its scenarios' subjects; a broken entry is located."""
    edit(data_dir / "subjects.yaml", lambda subjects: subjects.update(newborn="mother_name"))
    assert load_catalog(data_dir).subjects["newborn"] == "mother_name"
    edit(data_dir / "subjects.yaml", lambda s: s.update(no_such_scenario="baby_name", newborn="x"))
    assert {
        Problem("subjects.yaml", "no_such_scenario", "unknown scenario"),
        Problem("subjects.yaml", "newborn", "unknown field 'x'"),
    } <= set(problems_of(data_dir))
    (data_dir / "subjects.yaml").unlink()  # optional: every scenario about the applicant alone
    assert load_catalog(data_dir).subjects == {}
