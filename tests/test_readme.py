"""The README's API walkthrough runs as written against `onego run`."""

import re
import subprocess
from pathlib import Path

import pytest

from tests.test_run import Platform

README = Path(__file__).parents[1] / "README.md"

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]


def walkthrough() -> str:
    """The shell block under "A newborn case through the API"."""
    section = README.read_text().split("## A newborn case through the API", 1)[1]
    return re.search(r"```sh\n(.*?)```", section, re.S).group(1)


def test_the_readme_walkthrough_runs_as_written(tmp_path: Path) -> None:
    script = walkthrough()
    assert "http://127.0.0.1:8000/api/v1" in script
    platform = Platform(tmp_path)
    platform.start()
    try:
        ran = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script.replace(":8000/", f":{platform.api}/")],
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert ran.returncode == 0, ran.stdout + ran.stderr
        printed = ran.stdout
        assert '"approve"' in printed  # the decision's answer
        assert '"done": 10' in printed  # the case's progress: every item done
        assert '"scenario": "newborn"' in printed  # the manager's figures
    finally:
        platform.ctrl_c()
