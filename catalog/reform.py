"""The reform's measures computed from the catalog alone (see docs/measuring.md).

materials_baseline counts each item's materials separately (duplicates counted);
materials_asked is what the applicant still provides after merging duplicates and reusing
other items' outputs. Fields likewise. baseline_days is the one-by-one path: every item
applied for separately, in dependency order, each taking its legal limit plus the visit.
"""

from pydantic import BaseModel

from catalog.loader import Catalog
from catalog.models import ScenarioSpec


class ReformFigures(BaseModel):
    materials_baseline: int
    materials_asked: list[str]
    fields_baseline: int
    fields_asked: int
    baseline_days: float
    promised_days: float

    @property
    def material_reduction(self) -> float:
        return (
            1 - len(self.materials_asked) / self.materials_baseline
            if self.materials_baseline
            else 0.0
        )


def reform_figures(catalog: Catalog, spec: ScenarioSpec) -> ReformFigures:
    """Figures for one scenario version."""
    supplied_outputs = {
        m.code: m.supplied_by_output for m in catalog.materials.values() if m.supplied_by_output
    }
    produced = {out.code for item in spec.items for out in item.outputs}
    asked: list[str] = []
    for item in spec.items:
        for material in item.materials:
            if supplied_outputs.get(material) not in produced and material not in asked:
                asked.append(material)
    return ReformFigures(
        materials_baseline=sum(len(item.materials) for item in spec.items),
        materials_asked=asked,
        fields_baseline=sum(len(item.fields) for item in spec.items),
        fields_asked=len({f for item in spec.items for f in item.fields}),
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
