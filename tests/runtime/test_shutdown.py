"""SIGTERM stops a process like Ctrl-C, also when it was started with SIGINT ignored."""

import signal
import subprocess
import sys
import time

import pytest

PROGRAM = """
import signal, sys, time
from runtime.shutdown import stop_on_sigterm
stop_on_sigterm()
try:  # before "ready": the signal may come as soon as the line is read
    print("ready", flush=True)
    time.sleep(60)
except KeyboardInterrupt:
    print("stopped cleanly", flush=True)
"""


@pytest.mark.parametrize("sent", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_a_signal_raises_keyboard_interrupt_even_with_sigint_ignored(sent: signal.Signals) -> None:
    process = subprocess.Popen(
        [sys.executable, "-c", PROGRAM],
        stdout=subprocess.PIPE,
        text=True,
        # as a shell starts a background job: SIGINT ignored
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "ready"
    started = time.monotonic()
    process.send_signal(sent)
    out, _ = process.communicate(timeout=10)
    assert out.strip() == "stopped cleanly" and process.returncode == 0
    assert time.monotonic() - started < 5
