"""The dashboard's tables as exported (web/dashboard_tables.py): each figure rounded as the
page writes it, so that an export holds the page's figures."""

import pytest

from web.dashboard_tables import percent, working_days
from web.i18n import days


@pytest.mark.parametrize("value", [0.15, 0.35, 1.05, 2.675, 0.05, 3.25, 12.0, 0.0])
def test_days_are_rounded_as_the_page_writes_them(value: float) -> None:
    exported = working_days(value)
    assert exported is not None and days(exported) == days(value)


@pytest.mark.parametrize("share", [0.0515, 0.1234, 0.5, 1.0, 0.00049])
def test_percents_are_rounded_as_the_page_writes_them(share: float) -> None:
    assert f"{percent(share):.1f}%" == f"{share * 100:.1f}%"  # web/manager.py's _percent


def test_unknown_figures_stay_unknown() -> None:
    assert working_days(None) is None and percent(None) is None
