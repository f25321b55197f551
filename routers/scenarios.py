"""The public catalog: scenarios, their items and their unified forms."""

from typing import Any

from fastapi import APIRouter

from cases.submission import unknown_scenario
from catalog.loader import Catalog
from catalog.models import Scenario
from catalog.reform import reform_figures
from forms.prefill import Prefilled, prefill
from forms.unified import form_schema
from routers.deps import CatalogDep, CurrentUser, RegistriesDep, identity_of
from routers.responses import api_error, errors
from routers.schemas import (
    ItemSummary,
    MaterialSummary,
    Reduction,
    ScenarioDetail,
    ScenarioSummary,
)

router = APIRouter(prefix="/scenarios", tags=["scenarios"])


def _scenario(catalog: Catalog, code: str) -> Scenario:
    scenario = catalog.scenario(code)
    if scenario is None:
        problem = unknown_scenario(code, catalog)
        raise api_error(404, problem.message, error="unknown_scenario", problems=[problem])
    return scenario


def _summary(scenario: Scenario) -> dict[str, Any]:
    return {
        "code": scenario.code,
        "version": scenario.version,
        "name": scenario.name,
        "description": scenario.description,
        "items": len(scenario.items),
    }


@router.get("")
def list_scenarios(catalog: CatalogDep) -> list[ScenarioSummary]:
    """Every scenario (一件事) in its newest version."""
    return [ScenarioSummary(**_summary(s)) for s in catalog.latest_versions()]


@router.get("/{code}", responses=errors(404))
def get_scenario(code: str, catalog: CatalogDep) -> ScenarioDetail:
    """A scenario's items (department, review mode, time limits) and its reduction figures."""
    scenario = _scenario(catalog, code)
    spec = catalog.spec(scenario.code, scenario.version)
    assert spec is not None
    figures = reform_figures(catalog, spec)
    fetched = set(figures.materials_fetched)
    return ScenarioDetail(
        **_summary(scenario),
        lead_department=scenario.lead_department,
        items_detail=[
            ItemSummary(
                code=i.code,
                name=i.name,
                department=i.department,
                department_name=i.department_name,
                mode=i.mode.value,
                requires=i.requires,
                legal_days=i.legal_days,
                promised_days=i.promised_days,
                outputs=[o.code for o in i.outputs],
            )
            for i in spec.items
        ],
        materials_asked=[catalog.materials[m].name for m in figures.materials_asked],
        materials_fetched=[catalog.materials[m].name for m in figures.materials_fetched],
        materials=[
            MaterialSummary(code=m, name=catalog.materials[m].name, fetched=m in fetched)
            for m in (*figures.materials_asked, *figures.materials_fetched)
        ],
        reduction=Reduction(
            materials_baseline=figures.materials_baseline,
            materials_asked=len(figures.materials_asked),
            materials_fetched=len(figures.materials_fetched),
            fields_prefilled=figures.fields_prefilled,
            material_reduction=round(figures.material_reduction, 4),
            fields_baseline=figures.fields_baseline,
            fields_asked=figures.fields_asked,
            field_reduction=round(figures.field_reduction, 4),
            baseline_days=figures.baseline_days,
            promised_days=figures.promised_days,
        ),
    )


@router.get("/{code}/prefill", responses=errors(401, 404))
async def get_prefill(
    code: str, user: CurrentUser, catalog: CatalogDep, registries: RegistriesDep
) -> Prefilled:
    """What shared registries hold for the signed-in applicant (一次提交, once-only).

    Values are for the applicant to confirm; `fetched_materials` are not asked. A registry
    that misses or is down leaves its fields and materials to the applicant.
    """
    scenario = _scenario(catalog, code)
    spec = catalog.spec(scenario.code, scenario.version)
    assert spec is not None
    return await prefill(catalog, spec, registries, identity_of(user))


@router.get("/{code}/form", responses=errors(404))
def get_form(code: str, catalog: CatalogDep) -> dict[str, Any]:
    """The unified form as JSON Schema, with one complete valid example under `examples`."""
    scenario = _scenario(catalog, code)
    return form_schema(scenario.code, scenario.version, catalog)
