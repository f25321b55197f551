"""Duration distributions of the simulation, as configuration data.

A distribution is written in YAML as a mapping, e.g. `{dist: lognormal, median: 1.5,
sigma: 0.5}`; durations are in working days (or, where the configuration says so, shares of
an item's limit). Draws use the caller's `random.Random`, so one seed gives one run.
"""

import math
import random
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Kind = Literal["fixed", "uniform", "triangular", "exponential", "lognormal"]
# the parameters each kind needs
PARAMETERS: dict[str, tuple[str, ...]] = {
    "fixed": ("value",),
    "uniform": ("low", "high"),
    "triangular": ("low", "mode", "high"),
    "exponential": ("mean",),
    "lognormal": ("median", "sigma"),
}
# lognormal may be given by its mean instead of its median
ALTERNATIVES: dict[str, tuple[str, ...]] = {"lognormal": ("mean", "sigma")}


class Dist(BaseModel):
    """One distribution of non-negative durations; `max` caps the draws if given.

    - fixed: always `value`
    - uniform: between `low` and `high`
    - triangular: between `low` and `high`, most often `mode`
    - exponential: mean `mean`
    - lognormal: half of the draws below `median` (or, given `mean` instead, that mean);
      `sigma` is the spread of the logarithm (0.5: two thirds of the draws lie between
      median/1.65 and median*1.65)
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    dist: Kind
    value: float | None = Field(None, ge=0)
    low: float | None = Field(None, ge=0)
    mode: float | None = Field(None, ge=0)
    high: float | None = Field(None, ge=0)
    mean: float | None = Field(None, gt=0)
    median: float | None = Field(None, gt=0)
    sigma: float | None = Field(None, ge=0)
    max: float | None = Field(None, gt=0, description="Draws above this are capped to it.")

    @model_validator(mode="after")
    def _parameters(self) -> "Dist":
        needed = self.parameters()
        missing = [p for p in needed if getattr(self, p) is None]
        if missing:
            raise ValueError(f"{self.dist} needs {', '.join(needed)}; missing {', '.join(missing)}")
        extra = [
            p
            for p in ("value", "low", "mode", "high", "mean", "median", "sigma")
            if p not in needed and getattr(self, p) is not None
        ]
        if extra:
            raise ValueError(f"{self.dist} takes {', '.join(needed)}; not {', '.join(extra)}")
        if self.dist in ("uniform", "triangular") and self.low > self.high:  # type: ignore[operator]
            raise ValueError("low must not exceed high")
        if self.dist == "triangular" and not self.low <= self.mode <= self.high:  # type: ignore[operator]
            raise ValueError("mode must lie between low and high")
        return self

    def parameters(self) -> tuple[str, ...]:
        """The parameters this distribution is given by."""
        alternative = ALTERNATIVES.get(self.dist)
        if alternative and self.mean is not None and self.median is None:
            return alternative
        return PARAMETERS[self.dist]

    @property
    def _median(self) -> float:
        """The lognormal's median, given or from its mean."""
        if self.median is not None:
            return self.median
        return self.mean * math.exp(-(self.sigma**2) / 2)  # type: ignore[operator]

    def sample(self, rng: random.Random, scale: float = 1.0) -> float:
        """One draw, multiplied by `scale` (an item's limit when the draw is a share)."""
        if self.dist == "fixed":
            value = self.value
        elif self.dist == "uniform":
            value = rng.uniform(self.low, self.high)  # type: ignore[arg-type]
        elif self.dist == "triangular":
            value = rng.triangular(self.low, self.high, self.mode)  # type: ignore[arg-type]
        elif self.dist == "exponential":
            value = rng.expovariate(1 / self.mean)  # type: ignore[operator]
        else:
            value = rng.lognormvariate(math.log(self._median), self.sigma)  # type: ignore[arg-type]
        assert value is not None
        if self.max is not None:
            value = min(value, self.max)
        return max(value, 0.0) * scale

    def expected(self) -> float:
        """The mean of the distribution (before `max`), for documentation and checks."""
        if self.dist == "fixed":
            return self.value  # type: ignore[return-value]
        if self.dist == "uniform":
            return (self.low + self.high) / 2  # type: ignore[operator]
        if self.dist == "triangular":
            return (self.low + self.mode + self.high) / 3  # type: ignore[operator]
        if self.dist == "exponential":
            return self.mean  # type: ignore[return-value]
        return self._median * math.exp(self.sigma**2 / 2)  # type: ignore[operator]

    def describe(self) -> str:
        """A short text of the distribution, e.g. `lognormal(median 1.5, sigma 0.5)`."""
        values = ", ".join(f"{p} {getattr(self, p):g}" for p in self.parameters())
        cap = f", max {self.max:g}" if self.max is not None else ""
        return f"{self.dist}({values}{cap})"
