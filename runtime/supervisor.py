"""The supervisor of `onego run`: it starts the components (Temporal dev server, worker, API)
in order, restarts one that dies with a growing delay, and stops them all in reverse order on
Ctrl-C, SIGTERM or SIGHUP.

Each component runs in a session of its own, so Ctrl-C in a terminal reaches the supervisor
alone, which then stops the API first, then the worker, then the server they both use: each
stops while it still reaches the next. A signal only sets a flag (`Supervisor.stopping`): the
loops look at it between steps, so a stop never lands in the middle of starting a process,
and nothing is restarted once a stop has begun.

The others need no restart when the dev server comes back on its database file: the
Temporal client reconnects on the next call, and a worker's pollers retry until the server
answers again. A component that does exit (an API that could not reach Temporal at start,
say) is restarted like any other.
"""

import asyncio
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO

from temporalio.client import Client

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


@dataclass(frozen=True)
class Backoff:
    """Delays between restarts: `first` seconds, doubling up to `most`; back to `first` once
    a component stayed up `settled` seconds."""

    first: float = 1.0
    most: float = 30.0
    settled: float = 60.0

    def next(self, previous: float | None, uptime: float) -> float:
        if previous is None or uptime >= self.settled:
            return self.first
        return min(previous * 2, self.most)


@dataclass
class Component:
    """One supervised process: `ready` (optional) says whether it serves yet, e.g. a port
    that answers; the start waits for it before the next component starts."""

    name: str
    command: list[str]
    ready: Callable[[], bool] | None = None
    # Lines the component is known to print while it is being stopped, harmless then (the
    # dev server's "context canceled" errors): dropped from its output once a stop began.
    hushed_when_stopping: tuple[str, ...] = ()
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    relay: threading.Thread | None = field(default=None, repr=False)  # of piped output
    started_at: float = 0.0
    delay: float | None = None  # the last restart delay; None: never restarted
    restart_at: float | None = None  # when a dead component is started again

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None


class StartFailed(RuntimeError):
    """A component exited, or was not ready in time, while the platform was starting."""


def port_ready(host: str, port: int) -> Callable[[], bool]:
    """A readiness check: something accepts connections on host:port."""

    def check() -> bool:
        try:
            with socket.create_connection((host, port), timeout=1):
                return True
        except OSError:
            return False

    return check


def temporal_ready(host: str, port: int) -> Callable[[], bool]:
    """A readiness check of a Temporal server: its frontend answers a client (an open port
    is not enough, it answers "Frontend is not healthy yet" for a moment)."""
    listening = port_ready(host, port)

    def check() -> bool:
        if not listening():
            return False
        try:
            asyncio.run(Client.connect(f"{host}:{port}"))
        except RuntimeError:
            return False
        return True

    return check


def describe_exit(returncode: int) -> str:
    """'exit status 1' or 'killed by SIGKILL' (subprocess's negative return codes)."""
    if returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exit status {returncode}"


class Supervisor:
    """Starts, watches and stops `components` (in this order; stopped in reverse)."""

    def __init__(
        self,
        components: Sequence[Component],
        env: dict[str, str],
        say: Callable[[str], None],
        backoff: Backoff = Backoff(),
        poll: float = 0.3,
    ):
        self.components = list(components)
        self.env = env
        self.say = say
        self.backoff = backoff
        self.poll = poll
        self.stopping = threading.Event()

    @contextmanager
    def signals(self) -> Iterator[None]:
        """While inside: Ctrl-C, SIGTERM and SIGHUP ask the supervisor to stop."""
        previous = {signum: signal.getsignal(signum) for signum in STOP_SIGNALS}
        for signum in STOP_SIGNALS:
            signal.signal(signum, lambda signum, frame: self.stopping.set())
        try:
            yield
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    def _spawn(self, component: Component) -> None:
        # A session of its own: the terminal's Ctrl-C reaches the supervisor alone.
        piped = subprocess.PIPE if component.hushed_when_stopping else None
        component.process = subprocess.Popen(
            component.command,
            env=self.env,
            start_new_session=True,
            stdout=piped,
            stderr=subprocess.STDOUT if piped else None,
        )
        component.relay = None
        if component.process.stdout is not None:
            component.relay = threading.Thread(
                target=self._relay, args=(component, component.process.stdout), daemon=True
            )
            component.relay.start()
        component.started_at = time.monotonic()
        component.restart_at = None

    def _relay(self, component: Component, output: IO[bytes]) -> None:
        """Copy a piped component's output to ours, less its hushed lines during a stop."""
        for line in output:
            text = line.decode(errors="replace")
            if self.stopping.is_set() and any(
                hushed in text for hushed in component.hushed_when_stopping
            ):
                continue
            sys.stdout.buffer.write(line)
            sys.stdout.buffer.flush()

    def start(self, timeout: float = 60.0) -> bool:
        """Start every component in order, each once the one before is ready. False if a
        stop was asked meanwhile; StartFailed if a component exits or is not ready in time."""
        for component in self.components:
            if self.stopping.is_set():
                return False
            self._spawn(component)
            if component.ready is None:
                continue
            deadline = time.monotonic() + timeout
            while not component.ready():
                if self.stopping.wait(self.poll):
                    return False
                assert component.process is not None
                if component.process.poll() is not None:
                    raise StartFailed(
                        f"{component.name}: {describe_exit(component.process.returncode)}"
                    )
                if time.monotonic() > deadline:
                    raise StartFailed(f"{component.name}: not ready within {timeout:.0f} s")
        return not self.stopping.is_set()

    def watch(self) -> None:
        """Restart whatever dies, until a stop is asked."""
        while not self.stopping.wait(self.poll):
            now = time.monotonic()
            for component in self.components:
                if component.restart_at is not None:
                    if now >= component.restart_at and not self.stopping.is_set():
                        self._spawn(component)
                        assert component.process is not None
                        self.say(f"{component.name} restarted (pid {component.process.pid})")
                elif component.process is not None and component.process.poll() is not None:
                    self._schedule_restart(component, now)

    def _schedule_restart(self, component: Component, now: float) -> None:
        assert component.process is not None
        component.delay = self.backoff.next(component.delay, now - component.started_at)
        component.restart_at = now + component.delay
        self.say(
            f"{component.name} stopped ({describe_exit(component.process.returncode)}); "
            f"restarting in {component.delay:g} s / {component.name} 已停止，"
            f"{component.delay:g} 秒后重启"
        )

    def stop(self, grace: float = 15.0) -> None:
        """Stop every component in reverse order: SIGTERM, then SIGKILL after `grace`."""
        self.stopping.set()
        for component in reversed(self.components):
            process = component.process
            if process is None:
                continue
            if process.poll() is None:
                process.terminate()
            try:
                process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            if component.relay is not None:
                component.relay.join(timeout=grace)  # its last lines reach our output
