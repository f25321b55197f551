"""Stopping `onego run` cleanly on SIGTERM (`kill`, `docker stop`) or SIGHUP (its terminal
closed) as on Ctrl-C, even when it was started with SIGINT ignored (in the background).

The worker keeps Python's default: SIGTERM ends it at once. A Temporal worker's graceful
shutdown can wait on its long polls for minutes, and whatever a killed worker held is
rescheduled by Temporal (workflow task timeout, activity heartbeat timeout)."""

import signal


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def stop_on_sigterm() -> None:
    """SIGTERM, SIGINT and SIGHUP raise KeyboardInterrupt in the main thread."""
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, _interrupt)
