"""All configuration in one validated settings class (environment variables or `.env`)."""

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from workflows.queues import DEPARTMENT_QUEUE_PREFIX, SCENARIO_TASK_QUEUE, TaskQueues


class Settings(BaseSettings):
    """onego settings; every field can be set from an environment variable of the same name."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    data_dir: Path = Field(Path("data"), description="Local state of the embedded default.")
    database_url: str = Field(
        "",
        description="SQLAlchemy URL of the read model; empty means SQLite under data_dir. "
        "Example: postgresql+psycopg://postgres@127.0.0.1:5432/test",
    )
    temporal_address: str = Field("127.0.0.1:7233", description="host:port of Temporal's frontend.")
    temporal_namespace: str = "default"
    catalog_dir: Path | None = Field(
        None, description="Folder of the catalog's YAML files; empty means the packaged catalog."
    )
    scenario_task_queue: str = Field(
        SCENARIO_TASK_QUEUE, description="Task queue of the scenario workflows."
    )
    department_queue_prefix: str = Field(
        DEPARTMENT_QUEUE_PREFIX,
        description="Prefix of the department task queues (dept-health, ...): deployments "
        "sharing one Temporal namespace give each a prefix of its own.",
    )
    temporal_ui_port: int = 8233
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    secret_key: str = Field("", description="JWT signing key; empty means one kept in data_dir.")
    token_minutes: int = 8 * 60
    data_keys: str = Field(
        "",
        description="The data key ring as JSON (core/keyring.py); empty means the key file "
        "data_dir/keys.json, generated at first start with mode 0600.",
    )
    data_key_algorithm: Literal["SM4-GCM", "AES-256-GCM"] = Field(
        "SM4-GCM", description="Algorithm of new data keys (GB/T 32907 SM4 by default)."
    )
    max_body_bytes: int = Field(256 * 1024, description="Largest accepted request body.")
    registry_url: str = Field(
        "", description="Base URL of the data-exchange service; empty means embedded registries."
    )
    registry_token: str = Field(
        "", description="Token for the data-exchange service (and for serving /exchange/v1)."
    )
    department_timeout_s: float = Field(30.0, gt=0, description="Per-call department timeout.")
    breaker_failures: int = Field(5, ge=1, description="Failures that open a circuit.")
    breaker_reset_s: float = Field(30.0, gt=0, description="Seconds before a trial call.")
    smtp_host: str = Field("", description="SMTP server for notifications; empty: stored only.")
    smtp_port: int = 25
    smtp_sender: str = "onego@localhost"
    sim_latency_ms: int = Field(0, ge=0, description="Simulated departments' response latency.")
    sim_failure_rate: float = Field(
        0.0, ge=0.0, lt=1.0, description="Share of simulated department calls that fail."
    )
    otel_exporter: Literal["store", "otlp", "none"] = Field(
        "store",
        description="Where finished spans go: `store` the embedded span store (table `span` in "
        "the read model), `otlp` an OpenTelemetry collector at OTEL_ENDPOINT, `none` nowhere.",
    )
    otel_endpoint: str = Field(
        "",
        description="OTLP/HTTP traces endpoint, e.g. http://127.0.0.1:4318/v1/traces; empty "
        "means the exporter's default (or the standard OTEL_EXPORTER_OTLP_* variables).",
    )
    otel_service_name: str = Field("onego", description="service.name of the exported spans.")
    otel_store_days: int = Field(
        30,
        ge=0,
        description="Days the embedded span store keeps a span (by its start); 0 keeps all.",
    )
    otel_sql_spans: bool = Field(
        False,
        description="A span per SQL statement of the API and the workers (about a hundred per "
        "case): for chasing a slow query; off by default, as it costs more than the rest of "
        "the tracing together.",
    )
    metrics_token: str = Field(
        "", description="Bearer token required by /metrics; empty means /metrics is open."
    )

    @field_validator("database_url")
    @classmethod
    def _known_driver(cls, value: str) -> str:
        if value and not value.startswith(("sqlite", "postgresql")):
            raise ValueError(
                "DATABASE_URL must be sqlite:///... or postgresql+psycopg://...; "
                "DATABASE_URL 只支持 sqlite 或 postgresql"
            )
        return value

    @property
    def queues(self) -> TaskQueues:
        return TaskQueues(self.scenario_task_queue, self.department_queue_prefix)

    @property
    def resolved_database_url(self) -> str:
        """The read-model URL, defaulting to a SQLite file in the data folder."""
        return self.database_url or f"sqlite:///{self.data_dir / 'onego.db'}"

    @property
    def resolved_secret_key(self) -> str:
        """The JWT key: configured, or generated once and kept in the data folder."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret_key"
        if not path.exists():
            import secrets

            self.data_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip()


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
