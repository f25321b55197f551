"""The reference department service's settings, from `DEPT_SERVICE_*` environment variables."""

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from adapters.signing import REPLAY_WINDOW

# Deliberate faults, for testing the conformance kit: `issue_twice` answers every request with
# a new issue, `skip_signature` accepts any request.
Broken = Literal["", "issue_twice", "skip_signature"]


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DEPT_SERVICE_")

    host: str = "127.0.0.1"
    port: int = 8700
    db_path: Path = Path("department-service.db")
    department: str = Field("public-security", description="The department this system serves.")
    secret: SecretStr = Field(description="The signing secret shared with the platform.")
    latency_ms: int = Field(0, ge=0, description="Time taken to answer each request.")
    unavailable_rate: float = Field(0.0, ge=0, le=1, description="Share of requests answered 503.")
    ready_after: float = Field(
        0.0, ge=0, description="Seconds between an item request and its issue (0: at once)."
    )
    refuse_items: list[str] = Field(
        default_factory=list, description="Items refused as ineligible (a JSON list)."
    )
    replay_window: int = Field(REPLAY_WINDOW, gt=0)
    broken: Broken = ""
