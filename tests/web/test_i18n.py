"""The message table: every key the pages use exists, in both languages, with the same
placeholders; every status, mode and audience has its label."""

import re
import string
from pathlib import Path

import pytest

from catalog.models import Audience, MaterialForm, ReviewMode
from domain.statuses import CaseStatus, ItemStatus
from domain.text import Text
from web.i18n import MESSAGES, pick, translate
from web.inbox import TABS
from workflows.models import Decision

WEB = Path(__file__).resolve().parents[2] / "web"
LITERAL_KEY = re.compile(
    r"""(?:\bt\(|translate\(\s*\w+,|both\()\s*["']([a-z_]+\.[a-z_.]+)["']\s*[,)]"""
)
COMPUTED = ("case_status.", "item_status.", "task_status.", "mode.", "audience.", "flash.")


def _used_keys() -> set[str]:
    files = [*WEB.glob("templates/*.html"), *WEB.glob("*.py")]
    return {key for path in files for key in LITERAL_KEY.findall(path.read_text())}


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_literal_key_exists_and_every_entry_is_used() -> None:
    used = _used_keys()
    assert len(used) > 100  # the pattern finds the keys
    assert sorted(used - MESSAGES.keys()) == []
    computed = ("scenarios.for_", "material_form.", *COMPUTED)
    assert sorted(k for k in MESSAGES.keys() - used if not k.startswith(computed)) == []


@pytest.mark.parametrize(
    "prefix, values",
    [
        ("case_status", [s.value for s in CaseStatus]),
        ("item_status", [s.value for s in ItemStatus]),
        ("task_status", [*TABS]),
        ("mode", [m.value for m in ReviewMode]),
        ("audience", [a.value for a in Audience]),
        ("scenarios.for", [a.value for a in Audience]),
        ("material_form", [f.value for f in MaterialForm]),
        ("flash", [d.value for d in Decision]),
    ],
)
def test_every_computed_key_exists(prefix: str, values: list[str]) -> None:
    missing = [f"{prefix}.{v}" if prefix != "scenarios.for" else f"{prefix}_{v}" for v in values]
    assert [key for key in missing if key not in MESSAGES] == []


def test_both_languages_with_the_same_placeholders() -> None:
    for key, (zh, en) in MESSAGES.items():
        assert zh and en, key
        assert _placeholders(zh) == _placeholders(en), key


def test_picking_a_language() -> None:
    assert translate("en", "notice.fee_value", fee=5) == "CNY 5"
    assert pick({"zh": "中", "en": "en"}, "en") == "en"
    assert pick(Text(zh="该任务已由 a 领取", en="a holds this task"), "en") == "a holds this task"
