"""The reform's measures: one definition of each ratio the catalog, a case's view, the
dashboard and the simulation report show (docs/measuring.md, docs/dashboard.md).

Pure arithmetic on figures already summed: callers choose what they sum (one case, a period's
cases, a scenario of the catalog) and how they round for display (`rounded`).
"""

SHARE_DIGITS = 4  # how a share is stored and answered: 0.1234 is 12.34 %


def reduction(after: float, before: float) -> float | None:
    """The share the reform saved, 1 - after / before; None without a `before`."""
    return 1 - after / before if before else None


def material_reduction(provided: float, baseline: float) -> float | None:
    """1 - materials the applicant provided / materials asked one item at a time."""
    return reduction(provided, baseline)


def field_reduction(typed: float, baseline: float) -> float | None:
    """1 - fields the applicant typed / fields of every item's form filled one by one."""
    return reduction(typed, baseline)


def time_reduction(actual: float | None, baseline: float) -> float | None:
    """1 - actual (or promised) working days / one-by-one working days; None while the
    actual days are unknown (a case not ended)."""
    return None if actual is None else reduction(actual, baseline)


def sla_compliance(breached: float, decided: float) -> float | None:
    """Share of the reviews a clerk decided that kept their promised limit."""
    return reduction(breached, decided)


def share(part: float, whole: float) -> float | None:
    """part / whole, or None without a whole (completion rate, share of the days)."""
    return part / whole if whole else None


def rounded(value: float | None) -> float | None:
    """A share rounded to `SHARE_DIGITS`, None kept."""
    return None if value is None else round(value, SHARE_DIGITS)
