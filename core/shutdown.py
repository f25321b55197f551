"""Stopping a process cleanly on SIGTERM (`kill`, `docker stop`, `onego run` stopping its
components) as on Ctrl-C, even when it was started with SIGINT ignored (in the background)."""

import signal


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def stop_on_sigterm() -> None:
    """SIGTERM and SIGINT raise KeyboardInterrupt in the main thread."""
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)
