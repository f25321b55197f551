"""The supervisor of `onego run` on stand-in processes: a dead component is restarted after
its backoff delay and the event said; a stop stops all in reverse order and restarts
nothing; a component that exits while starting fails the start."""

import os
import signal
import threading
import time
from pathlib import Path

import pytest

from runtime.supervisor import Backoff, Component, StartFailed, Supervisor, describe_exit

pytestmark = pytest.mark.timeout(60)


def stand_in(name: str, record: Path) -> Component:
    """A process that runs until SIGTERM, then writes its name to `record`."""
    script = f'trap "echo {name} >> {record}; exit 0" TERM; while :; do sleep 0.05; done'
    return Component(name, ["sh", "-c", script])


def wait_events(events: list[str], count: int) -> None:
    for _ in range(200):
        if len(events) >= count:
            return
        time.sleep(0.02)
    raise AssertionError(events)


def test_backoff_doubles_to_its_ceiling_and_starts_over_once_settled() -> None:
    backoff = Backoff(first=1, most=30, settled=60)
    delays = [backoff.next(None, 0)]
    for _ in range(6):
        delays.append(backoff.next(delays[-1], uptime=5))
    assert delays == [1, 2, 4, 8, 16, 30, 30]
    assert backoff.next(30, uptime=61) == 1


def test_exits_are_described_by_status_or_signal() -> None:
    assert describe_exit(3) == "exit status 3"
    assert describe_exit(-signal.SIGKILL) == "killed by SIGKILL"


def test_a_dead_component_is_restarted_and_a_stop_goes_in_reverse(tmp_path: Path) -> None:
    record = tmp_path / "stopped"
    events: list[str] = []
    supervisor = Supervisor(
        [stand_in(name, record) for name in ("server", "worker", "api")],
        env={},
        say=events.append,
        backoff=Backoff(first=0.2, most=1, settled=60),
        poll=0.05,
    )
    assert supervisor.start()
    watching = threading.Thread(target=supervisor.watch)
    watching.start()
    try:
        worker = supervisor.components[1]
        assert worker.process is not None
        first = worker.process
        first.send_signal(signal.SIGKILL)
        first.wait()
        wait_events(events, 2)
        assert events[0] == (
            "worker stopped (killed by SIGKILL); restarting in 0.2 s / worker 已停止，0.2 秒后重启"
        )
        assert worker.process is not first and worker.alive
        assert events[1] == f"worker restarted (pid {worker.process.pid})"

        # Killed again at once: the delay doubles; the stop comes before the restart.
        worker.process.send_signal(signal.SIGKILL)
        worker.process.wait()
        wait_events(events, 3)
        assert "restarting in 0.4 s" in events[2]
    finally:
        supervisor.stop()
        watching.join(timeout=5)
    assert not watching.is_alive()
    assert len(events) == 3  # nothing restarted once the stop began
    assert record.read_text().split() == ["api", "server"]  # the dead worker left no line
    assert all(not c.alive for c in supervisor.components)


def test_a_component_that_exits_while_starting_fails_the_start() -> None:
    supervisor = Supervisor(
        [Component("server", ["sh", "-c", "exit 3"], ready=lambda: False)],
        env={},
        say=print,
        poll=0.05,
    )
    with pytest.raises(StartFailed, match="server: exit status 3"):
        supervisor.start()
    supervisor.stop()


@pytest.mark.parametrize("sent", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_a_stop_signal_asks_the_supervisor_to_stop(sent: signal.Signals) -> None:
    supervisor = Supervisor([], env={}, say=print)
    before = signal.getsignal(sent)
    with supervisor.signals():
        os.kill(os.getpid(), sent)
        assert supervisor.stopping.wait(2)
        assert not supervisor.start()  # nothing starts once a stop was asked
    assert signal.getsignal(sent) is before


def test_hushed_lines_are_dropped_only_once_a_stop_began(
    capfd: pytest.CaptureFixture[str],
) -> None:
    """The dev server prints 'context canceled' errors while it stops: `onego run` drops
    those then, and passes everything else (and the same line before a stop) through."""
    script = (
        'echo "level=ERROR error=\\"context canceled\\" early"; '
        'trap "echo level=ERROR error=\\\\\\"context canceled\\\\\\" late; echo bye; exit 0" TERM; '
        "while :; do sleep 0.05; done"
    )
    component = Component("server", ["sh", "-c", script], hushed_when_stopping=("canceled",))
    supervisor = Supervisor([component], env={}, say=print, poll=0.05)
    assert supervisor.start()
    for _ in range(200):
        if "early" in capfd.readouterr().out:
            break
        time.sleep(0.02)
    else:
        raise AssertionError("the line printed before the stop did not come through")
    supervisor.stop(grace=5)
    out = capfd.readouterr().out
    assert "bye" in out and "late" not in out, out
