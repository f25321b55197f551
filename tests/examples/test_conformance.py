"""`onego department check`, the conformance kit, against the reference department service:
it passes against the service and names the failing check against deliberately broken ones."""

import pytest
from typer.testing import CliRunner

from cli import app
from tests.examples.service import reference_service

pytestmark = pytest.mark.e2e


def check(service, *options: str):
    return CliRunner().invoke(
        app,
        [
            "department",
            "check",
            "--department",
            service.department,
            "--url",
            service.url,
            "--wait",
            "10",
            *options,
        ],
        env={"DEPARTMENT_SECRET": service.secret},
    )


def outcome(output: str, name: str) -> str:
    """The result column of check `name` in the printed table."""
    row = next(line for line in output.splitlines() if f" {name} " in line)
    return next(word for word in ("pass", "fail", "skip") if f" {word} " in row)


@pytest.mark.parametrize("algorithm", ["hmac-sha256", "hmac-sm3"])
def test_the_reference_service_conforms(tmp_path, algorithm):
    with reference_service(tmp_path, ready_after=1, latency_ms=20) as service:
        result = check(service, "--algorithm", algorithm)
    assert result.exit_code == 0, result.output
    for name in (
        "health",
        "idempotent-issue",
        "ready-later",
        "revoke-twice",
        "wrong-signature",
        "replayed-nonce",
        "stale-timestamp",
        "error-format",
    ):
        assert outcome(result.output, name) == "pass", result.output


def test_a_system_issuing_at_once_skips_the_later_check(tmp_path):
    with reference_service(tmp_path, unavailable_rate=0.1) as service:
        result = check(service)
    assert result.exit_code == 0, result.output
    assert outcome(result.output, "ready-later") == "skip"
    assert outcome(result.output, "idempotent-issue") == "pass"


def test_a_system_issuing_twice_fails(tmp_path):
    with reference_service(tmp_path, broken="issue_twice") as service:
        result = check(service)
    assert result.exit_code == 1
    assert outcome(result.output, "idempotent-issue") == "fail"
    assert "does not conform: idempotent-issue" in result.output
    assert outcome(result.output, "wrong-signature") == "pass"


def test_a_system_skipping_signatures_fails(tmp_path):
    with reference_service(tmp_path, broken="skip_signature") as service:
        result = check(service)
    assert result.exit_code == 1
    for name in ("wrong-signature", "replayed-nonce", "stale-timestamp"):
        assert outcome(result.output, name) == "fail", result.output
    assert outcome(result.output, "idempotent-issue") == "pass"


def test_a_wrong_secret_fails_the_checks_that_need_it(tmp_path):
    with reference_service(tmp_path) as service:
        result = CliRunner().invoke(
            app,
            ["department", "check", "--department", service.department, "--url", service.url],
            env={"DEPARTMENT_SECRET": "not-the-secret"},
        )
    assert result.exit_code == 1
    assert outcome(result.output, "idempotent-issue") == "fail"
    assert outcome(result.output, "health") == "pass"
