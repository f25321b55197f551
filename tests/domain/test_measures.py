"""The reform's measures have one definition (domain/measures.py): checked against the
catalog's own figures for every scenario, and against the reductions docs/reductions.md
publishes for the newborn bundle."""

from pathlib import Path

import pytest

from catalog.loader import Catalog, get_catalog
from catalog.reform import reform_figures
from catalog.report import scenario_rows
from domain import measures

REDUCTIONS = Path(__file__).parents[2] / "docs" / "reductions.md"


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return get_catalog()


def test_each_scenarios_reductions_are_the_share_saved(catalog: Catalog) -> None:
    """Material, field and time reduction of every scenario: what the reform saved over
    what one-by-one took, written out here as (before - after) / before."""
    for scenario in catalog.latest_versions():
        spec = catalog.spec(scenario.code, scenario.version)
        assert spec is not None
        figures = reform_figures(catalog, spec)
        asked, typed = len(figures.materials_asked), figures.fields_asked
        saved = {
            "material": (figures.materials_baseline - asked) / figures.materials_baseline,
            "field": (figures.fields_baseline - typed) / figures.fields_baseline,
            "time": (figures.baseline_days - figures.promised_days) / figures.baseline_days,
        }
        found = {
            "material": measures.material_reduction(asked, figures.materials_baseline),
            "field": measures.field_reduction(typed, figures.fields_baseline),
            "time": measures.time_reduction(figures.promised_days, figures.baseline_days),
        }
        assert found == pytest.approx(saved, rel=1e-12), scenario.code
        assert figures.material_reduction == found["material"]
        assert figures.field_reduction == found["field"]


def test_the_newborn_bundle_saves_what_the_reductions_table_publishes(catalog: Catalog) -> None:
    """31 materials one by one, 4 still asked; 48 fields, 6 typed; 80 working days one by
    one, 6 promised: 87 %, 88 % and 92 % in docs/reductions.md."""
    row = {r.label.split("`")[1]: r for _, r in scenario_rows(catalog)}["newborn"]
    assert (row.materials_baseline, row.materials_asked) == (31, 4)
    assert (row.fields_baseline, row.fields_typed) == (48, 6)
    assert (row.baseline_days, row.promised_days) == (80, 6)
    assert measures.rounded(measures.material_reduction(4, 31)) == 0.871
    assert measures.rounded(measures.field_reduction(6, 48)) == 0.875
    assert measures.rounded(measures.time_reduction(6, 80)) == 0.925
    published = next(line for line in REDUCTIONS.read_text().splitlines() if "`newborn`" in line)
    cells = [cell.strip() for cell in published.strip("|").split("|")]
    assert cells[5] == "87 %" and cells[8] == "88 %" and cells[11] == "92 %"
    assert (row.material_reduction, row.field_reduction, row.time_reduction) == (
        measures.material_reduction(4, 31),
        measures.field_reduction(6, 48),
        measures.time_reduction(6, 80),
    )


def test_a_measure_without_a_baseline_is_unknown() -> None:
    """Nothing to save from (no materials, no decided review, a case not ended) is None,
    never a division by zero; the catalog shows such a reduction as 0."""
    assert measures.material_reduction(0, 0) is None
    assert measures.time_reduction(None, 80) is None
    assert measures.time_reduction(3, 0) is None
    assert measures.sla_compliance(0, 0) is None
    assert measures.share(5, 0) is None
    assert measures.rounded(None) is None


def test_sla_compliance_and_shares() -> None:
    assert measures.sla_compliance(1, 4) == 0.75  # one of four decided reviews breached
    assert measures.sla_compliance(0, 7) == 1.0
    assert measures.share(1, 8) == 0.125
    assert measures.rounded(2 / 3) == 0.6667
