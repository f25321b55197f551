"""The test helper's ports: two systems started side by side never get the same one."""

import pytest

from tests.examples.service import free_port


def test_one_process_never_hands_out_a_port_twice_in_a_row() -> None:
    ports = range(19500, 19600)  # a share of 25 or more for each of up to 4 xdist workers
    handed = [free_port(ports) for _ in range(5)]
    assert len(set(handed)) == len(handed)


@pytest.mark.parametrize("worker", range(4))
def test_parallel_workers_take_disjoint_shares(
    worker: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    ports = range(19600, 19700)
    monkeypatch.setenv("PYTEST_XDIST_WORKER_COUNT", "4")
    monkeypatch.setenv("PYTEST_XDIST_WORKER", f"gw{worker}")
    share = range(19600 + 25 * worker, 19625 + 25 * worker)
    assert {free_port(ports) for _ in range(30)} <= set(share)
