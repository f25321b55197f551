"""Workflow code imports only pure modules (docs/architecture.md, "Deterministic workflow
code"): the activities it calls are named, never imported."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Packages a workflow must not pull in: the database, telemetry, the activities and everything
# else with I/O.
IMPURE = {
    "activities",
    "adapters",
    "cases",
    "httpx",
    "observability",
    "opentelemetry",
    "runtime",
    "security",
    "sqlalchemy",
    "sqlmodel",
    "store",
}


def test_the_scenario_workflow_imports_only_pure_modules():
    code = "import sys, workflows.scenario; print(*sorted(sys.modules), sep='\\n')"
    loaded = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert "workflows.scenario" in loaded
    assert sorted(m for m in loaded if m.split(".")[0] in IMPURE) == []
