"""The reform's measures computed from the catalog alone (see docs/measuring.md).

materials_baseline counts each item's materials separately (duplicates counted);
materials_asked is what the applicant still provides after merging duplicates and reusing
other items' outputs. Fields likewise. baseline_days is the one-by-one path: every item
applied for separately, in dependency order, each taking its legal limit plus the visit.
"""

from pydantic import BaseModel

from catalog.loader import Catalog
from catalog.models import ScenarioSpec
from domain import measures


class ReformFigures(BaseModel):
    materials_baseline: int
    materials_asked: list[str]
    materials_fetched: list[str]
    fields_baseline: int
    fields_asked: int
    fields_prefilled: int
    baseline_days: float
    promised_days: float

    @property
    def material_reduction(self) -> float:
        return (
            measures.material_reduction(len(self.materials_asked), self.materials_baseline) or 0.0
        )

    @property
    def field_reduction(self) -> float:
        return measures.field_reduction(self.fields_asked, self.fields_baseline) or 0.0


def material_sources(catalog: Catalog, spec: ScenarioSpec) -> dict[str, str | None]:
    """Each distinct material of the scenario -> the registry that may hold it, or None if
    the applicant provides it; materials another item's output supplies are left out."""
    produced = {out.code for item in spec.items for out in item.outputs}
    sources: dict[str, str | None] = {}
    for code in dict.fromkeys(m for item in spec.items for m in item.materials):
        material = catalog.materials[code]
        if material.supplied_by_output not in produced:
            sources[code] = material.registry
    return sources


def reform_figures(catalog: Catalog, spec: ScenarioSpec) -> ReformFigures:
    """Figures for one scenario version, assuming the registries hold the applicant's data."""
    sources = material_sources(catalog, spec)
    fields = {f for item in spec.items for f in item.fields}
    prefilled = {f for f in fields if catalog.fields[f].prefill}
    return ReformFigures(
        materials_baseline=sum(len(item.materials) for item in spec.items),
        materials_asked=[m for m, registry in sources.items() if registry is None],
        materials_fetched=[m for m, registry in sources.items() if registry is not None],
        fields_baseline=sum(len(item.fields) for item in spec.items),
        fields_asked=len(fields - prefilled),
        fields_prefilled=len(prefilled),
        baseline_days=sum(item.legal_days + item.visit_overhead_days for item in spec.items),
        promised_days=_critical_path(spec),
    )


def _critical_path(spec: ScenarioSpec) -> float:
    """Longest chain of promised limits through the dependency graph (the bundled promise)."""
    finish: dict[str, float] = {}
    remaining = list(spec.items)
    while remaining:
        for item in list(remaining):
            if all(r in finish for r in item.requires):
                finish[item.code] = max((finish[r] for r in item.requires), default=0.0) + (
                    item.promised_days
                )
                remaining.remove(item)
    return max(finish.values(), default=0.0)
