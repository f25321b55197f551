"""How many shards a run gets by default (simulation/run.py)."""

import os

import pytest

from simulation.run import CASES_PER_SHARD, MAX_SHARDS, default_shards


def test_one_shard_per_core_at_most_four(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    assert default_shards(1) == 2 and default_shards(CASES_PER_SHARD) == 2
    monkeypatch.setattr(os, "cpu_count", lambda: 16)
    assert default_shards(CASES_PER_SHARD) == 4
    monkeypatch.setattr(os, "cpu_count", lambda: None)
    assert default_shards(10) == 1


def test_a_long_run_gets_a_shard_per_thousand_cases(monkeypatch: pytest.MonkeyPatch) -> None:
    # a test server's work per case grows with the workflows it holds
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    assert default_shards(CASES_PER_SHARD * 5 // 2) == 3
    assert default_shards(CASES_PER_SHARD * 10) == 10


def test_a_very_long_run_has_more_cases_a_shard_not_more_shards(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(os, "cpu_count", lambda: 2)  # about half a gigabyte a shard
    assert default_shards(CASES_PER_SHARD * MAX_SHARDS) == MAX_SHARDS
    assert default_shards(CASES_PER_SHARD * MAX_SHARDS * 6) == MAX_SHARDS
