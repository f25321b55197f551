"""The simulation's configuration: arrivals, clerks' and applicants' behaviour per reviewed
item, the department systems' time per automatic item, and the one-by-one baseline
(docs/simulation.md lists every key).

The defaults are in `simulation/defaults.yaml`, each with its source or marked illustrative.
A user's file (`onego simulate --config FILE`) holds only what it changes; it is merged into
the defaults key by key (mappings merge; distributions and other values replace), then
validated: a misspelt key or an impossible value is an error that names its place.
"""

from pathlib import Path
from typing import Any, Generic, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from catalog.models import ResolvedItem, Source
from simulation.distributions import Dist

DEFAULTS = Path(__file__).parent / "defaults.yaml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Arrivals(_Strict):
    """Cases arrive as a Poisson process at `per_working_day` cases per working day: given
    their number, uniformly over the period that rate gives them."""

    per_working_day: float = Field(gt=0, description="Arrival rate: cases per working day.")
    source: Source = Source(illustrative=True)

    def period(self, cases: int) -> float:
        """Working days over which `cases` cases arrive."""
        return cases / self.per_working_day


class Clerks(_Strict):
    office_hours: tuple[int, int] | None = Field(
        None, description="Clerks act only between these hours (China time) of working days."
    )
    source: Source = Source(illustrative=True)

    @model_validator(mode="after")
    def _hours(self) -> "Clerks":
        if self.office_hours and not 0 <= self.office_hours[0] < self.office_hours[1] <= 24:
            raise ValueError("office_hours is [open, close] hours with 0 <= open < close <= 24")
        return self


class Applicants(_Strict):
    registry_hit_rate: float = Field(
        ge=0, le=1, description="Share of applicants whose records the shared registries hold."
    )
    source: Source = Source(illustrative=True)


class SupplementAsk(_Strict):
    """What a clerk asks the applicant to correct (补正); empty: the item's first field."""

    fields: list[str] = Field(default_factory=list)
    materials: list[str] = Field(default_factory=list)
    note: str = "请补正 / please correct"


class _Durations(_Strict):
    """Durations of one item's actors; with `relative_to_promised`, shares of the item's
    promised limit (`scale`)."""

    relative_to_promised: bool = False
    source: Source = Source(illustrative=True)

    def scale(self, item: ResolvedItem) -> float:
        return float(item.promised_days) if self.relative_to_promised else 1.0


class Review(_Durations):
    """How one reviewed item goes in the bundled path (working days).

    pickup: task opened -> a clerk claims it; decision: claim -> first decision;
    supplement_rate / reject_rate: shares of first decisions asking for a supplement /
    rejecting; answer: supplement asked -> the applicant answers (no_answer_rate: never);
    recheck: answer -> the clerk's final decision (approve). With `relative_to_promised`, the
    clerk's durations (pickup, decision, recheck) are shares of the item's promised limit.
    """

    pickup: Dist
    decision: Dist
    supplement_rate: float = Field(ge=0, le=1)
    reject_rate: float = Field(0.0, ge=0, le=1)
    answer: Dist
    no_answer_rate: float = Field(0.0, ge=0, le=1)
    recheck: Dist
    asks: SupplementAsk = SupplementAsk()

    @model_validator(mode="after")
    def _shares(self) -> "Review":
        if self.supplement_rate + self.reject_rate > 1:
            raise ValueError("supplement_rate + reject_rate must not exceed 1")
        return self


class System(_Durations):
    """How long a department system takes to issue an automatic item (即办件) in the bundled
    path: `processing` working days from the request (a share of the item's promised limit
    with `relative_to_promised`); a draw of 0 issues at once. Systems work around the clock."""

    processing: Dist


D = TypeVar("D", bound=_Durations)


class ByItem(_Strict, Generic[D]):
    """Per item code; `default` for the items without their own entry."""

    default: D
    items: dict[str, D] = Field(default_factory=dict)

    def of(self, item: str) -> D:
        return self.items.get(item, self.default)


class BaselineItem(_Strict):
    processing: Dist | None = None
    visit: Dist | None = None
    source: Source | None = None


class Baseline(_Strict):
    """The one-by-one path: every item applied for alone, one after the other; each takes
    its processing (a share of its legal limit) plus the applicant's visit (a share of its
    visit overhead: the trip, the queue, the wait before applying for the next item)."""

    processing: Dist
    visit: Dist
    items: dict[str, BaselineItem] = Field(default_factory=dict)
    source: Source = Source(illustrative=True)

    def processing_of(self, item: str) -> Dist:
        override = self.items.get(item)
        return override.processing if override and override.processing else self.processing

    def visit_of(self, item: str) -> Dist:
        override = self.items.get(item)
        return override.visit if override and override.visit else self.visit


class SimulationConfig(_Strict):
    arrivals: Arrivals
    clerks: Clerks
    applicants: Applicants
    reviews: ByItem[Review]
    systems: ByItem[System]
    baseline: Baseline
    resolution_minutes: int = Field(
        30,
        ge=1,
        le=240,
        description="The driver's step: actions due within one step are delivered together.",
    )


class ConfigError(Exception):
    """The configuration file is unreadable or invalid; the message names each place."""


def merge(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """`changes` laid over `base`: mappings merge key by key, other values replace; a
    distribution (a mapping with `dist`) replaces the one before it whole."""
    merged = dict(base)
    for key, value in changes.items():
        if isinstance(value, dict) and "dist" not in value and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _read(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of configuration keys")
    return data


def load_config(path: Path | None = None) -> SimulationConfig:
    """The defaults, with the file at `path` merged over them."""
    data = _read(DEFAULTS)
    if path is not None:
        data = merge(data, _read(path))
    try:
        return SimulationConfig.model_validate(data)
    except ValidationError as exc:
        places = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigError(f"{path or DEFAULTS}: {places}") from None


def check_against(config: SimulationConfig, items: dict[str, ResolvedItem]) -> list[str]:
    """Problems of a configuration with a scenario's items: review entries for automatic
    items and system entries for reviewed ones (they would silently do nothing), supplements
    asking what the item does not have."""
    problems = [
        f"systems.items.{code}: {code} is reviewed (its clerks' time is under reviews.items)"
        for code in config.systems.items
        if code in items and items[code].mode.value == "reviewed"
    ]
    for code, review in config.reviews.items.items():
        item = items.get(code)
        if item is None:
            continue  # an entry for another scenario's item
        if item.mode.value != "reviewed":
            problems.append(f"reviews.items.{code}: {code} is not reviewed (it is automatic)")
        unknown = set(review.asks.fields) - set(item.fields)
        unknown |= set(review.asks.materials) - set(item.materials)
        if unknown:
            problems.append(
                f"reviews.items.{code}.asks: {', '.join(sorted(unknown))} not among the item's "
                "fields and materials"
            )
    return problems
