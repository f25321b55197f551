"""What the clerks, applicants and department systems of the simulation do with an item.

When a reviewed item's task opens, its story is drawn at once from the item's configuration
(simulation/config.py): when a clerk claims it, when and what the clerk decides, and, if a
supplement is asked, when the applicant answers and when the clerk then approves. The driver
turns the story into scheduled updates (`claim`, `decide`, `supplement`). An automatic item's
department system draws when it will issue (`system_ready`) when the workflow first asks it.
"""

import random
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from adapters.simulated import ReadyAt
from catalog.calendar import WorkCalendar
from catalog.models import ResolvedItem, ReviewMode, ScenarioSpec
from simulation.config import ByItem, Review, System
from workflows.models import ItemRequest

CLERKS_PER_DEPARTMENT = 4


class Outcome(StrEnum):
    approve = "approve"
    reject = "reject"
    supplement = "supplement"  # then approved after the answer (or never answered)


@dataclass(frozen=True)
class ReviewStory:
    clerk: str
    pickup: float  # working days from the task opening to the claim
    decision: float  # from the claim to the first decision
    outcome: Outcome
    answer: float | None = None  # from the supplement request to the answer; None: never
    recheck: float | None = None  # from the answer to the approval


def draw_review(review: Review, item: ResolvedItem, rng: random.Random) -> ReviewStory:
    scale = review.scale(item)
    clerk = f"sim-{item.department}-{rng.randrange(CLERKS_PER_DEPARTMENT) + 1}"
    pickup = review.pickup.sample(rng, scale)
    decision = review.decision.sample(rng, scale)
    draw = rng.random()
    if draw < review.reject_rate:
        return ReviewStory(clerk, pickup, decision, Outcome.reject)
    if draw < review.reject_rate + review.supplement_rate:
        answer = review.answer.sample(rng)
        recheck = review.recheck.sample(rng, scale)
        if rng.random() < review.no_answer_rate:
            return ReviewStory(clerk, pickup, decision, Outcome.supplement, None, None)
        return ReviewStory(clerk, pickup, decision, Outcome.supplement, answer, recheck)
    return ReviewStory(clerk, pickup, decision, Outcome.approve)


def system_ready(
    systems: ByItem[System], spec: ScenarioSpec, calendar: WorkCalendar, seed: int
) -> ReadyAt:
    """When the simulated department systems issue the scenario's automatic items: the time
    they were asked plus the drawn working days (a reviewed item is issued once approved)."""

    def ready(request: ItemRequest, asked: datetime) -> datetime | None:
        item = spec.item(request.item)
        if item.mode is ReviewMode.reviewed:
            return None
        system = systems.of(item.code)
        rng = random.Random(f"{seed}:{request.case_id}:{item.code}:system")
        days = system.processing.sample(rng, system.scale(item))
        return calendar.add_working_days(asked, days) if days > 0 else None

    return ready
