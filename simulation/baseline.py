"""The one-by-one baseline: what the applicant went through before the bundle.

Every item is applied for separately, one after the other in dependency order (an item that
uses another's output is applied for once that output is in hand), with a trip to each
department. Each item takes its processing (a draw around its legal limit) plus the
applicant's visit overhead (a draw around `visit_overhead_days`: the trip, the queue and the
wait before applying for the next item). The expected total is close to the catalog's
deterministic `baseline_days` (catalog/reform.py), which is the sum of the limits and visits.
"""

import random
from dataclasses import dataclass
from graphlib import TopologicalSorter

from catalog.models import ScenarioSpec
from simulation.config import Baseline


@dataclass(frozen=True)
class OneByOne:
    days: float
    items: dict[str, tuple[float, float]]  # item -> (processing, visit), in applying order


def order(spec: ScenarioSpec) -> list[str]:
    """The items in an order an applicant could apply for them one by one."""
    graph = {item.code: set(item.requires) for item in spec.items}
    return list(TopologicalSorter(graph).static_order())


def one_by_one(spec: ScenarioSpec, config: Baseline, rng: random.Random) -> OneByOne:
    """One applicant's one-by-one path through the scenario's items."""
    items: dict[str, tuple[float, float]] = {}
    for code in order(spec):
        item = spec.item(code)
        processing = config.processing_of(code).sample(rng, item.legal_days)
        visit = config.visit_of(code).sample(rng, item.visit_overhead_days)
        items[code] = (processing, visit)
    return OneByOne(sum(p + v for p, v in items.values()), items)


def deterministic(spec: ScenarioSpec) -> float:
    """The catalog's one-by-one days: every limit and visit taken as written."""
    return float(sum(i.legal_days + i.visit_overhead_days for i in spec.items))
