"""All configuration in one validated settings class (environment variables or `.env`)."""

import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from domain.queues import DEPARTMENT_QUEUE_PREFIX, SCENARIO_TASK_QUEUE, TaskQueues

AUDIT_MIN_KEEP_DAYS = 180  # GB/T 22239-2019 level 3: audit records kept six months at least


class Settings(BaseSettings):
    """onego settings; every field can be set from an environment variable of the same name."""

    # Errors never repeat a value: settings hold secrets (DATA_KEYS, DEPARTMENT_SECRETS).
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", hide_input_in_errors=True)

    data_dir: Path = Field(Path("data"), description="Local state of the embedded default.")
    database_url: str = Field(
        "",
        description="SQLAlchemy URL of the read model; empty means SQLite under data_dir. "
        "Example: postgresql+psycopg://postgres@127.0.0.1:5432/test",
    )
    temporal_address: str = Field("127.0.0.1:7233", description="host:port of Temporal's frontend.")
    temporal_namespace: str = "default"
    # deadlines on the API's Temporal calls (core/temporal.py, docs/architecture.md)
    temporal_call_timeout_s: float = Field(
        5.0, gt=0, description="Deadline of a workflow start (then 202, started later)."
    )
    temporal_update_timeout_s: float = Field(
        10.0,
        gt=0,
        description="Deadline of an update (claim, decision, supplement, withdrawal): it waits "
        "for a worker to run the validator and the handler; then 503, outcome unknown.",
    )
    reconcile_seconds: float = Field(
        5.0,
        gt=0,
        description="Period of the API's reconciler, which starts the workflow of every case "
        "stored as submitted for longer than this (core/reconciler.py).",
    )
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
    # sign-in security (core/sign_in.py, docs/security.md "Sign-in")
    sign_in_failures: int = Field(
        5, ge=1, description="Failed sign-ins of one account name before it is locked."
    )
    sign_in_client_failures: int = Field(
        20, ge=1, description="Failed sign-ins from one client address before it is locked."
    )
    sign_in_lock_seconds: int = Field(
        30, ge=1, description="The first lock; each further failure doubles it."
    )
    sign_in_lock_max_seconds: int = Field(900, ge=1, description="The longest lock.")
    password_hash_concurrency: int = Field(
        4, ge=1, description="Password hashes computed at once per API process (64 MiB each)."
    )
    password_hash_wait_s: float = Field(
        2.0, ge=0, description="How long a sign-in waits for a hashing slot before a 503."
    )
    session_idle_minutes: float = Field(
        30, gt=0, description="A web session unused this long is signed out."
    )
    staff_totp: Literal["optional", "required"] = Field(
        "optional",
        description="`required`: admin and auditor cannot sign in without an enrolled TOTP.",
    )
    demo_users: bool = Field(
        True, description="`onego run` creates the demo users (their password is public)."
    )
    data_keys: str = Field(
        "",
        description="The data key ring as JSON (core/keyring.py); empty means the key file "
        "data_dir/keys.json, generated at first start with mode 0600.",
    )
    data_key_algorithm: Literal["SM4-GCM", "AES-256-GCM"] = Field(
        "SM4-GCM", description="Algorithm of new data keys (GB/T 32907 SM4 by default)."
    )
    payload_plain_accepted: bool = Field(
        False,
        description="Migration mode: also accept plain (unsealed) Temporal payloads, each use "
        "logged; only while cases started before payload encryption still run "
        "(docs/security.md).",
    )
    max_body_bytes: int = Field(256 * 1024, description="Largest accepted request body.")
    # documents, receipts and certificates (documents/, receipts/, docs/documents.md)
    public_url: str = Field(
        "",
        description="Base URL of the pages as the public reaches them, for the QR codes of "
        "receipts and certificates; empty means http://API_HOST:API_PORT.",
    )
    case_number_place: str = Field(
        "CQ",
        pattern="^[A-Z]{2,6}$",
        description="Place code that starts every case number (CQ-20261201-000042).",
    )
    documents_dir: Path | None = Field(
        None, description="Folder of the uploaded documents (sealed); empty: data_dir/documents."
    )
    document_max_bytes: int = Field(
        10 * 1024 * 1024, ge=1, description="Largest uploaded document (PDF, JPEG or PNG)."
    )
    document_max_pending: int = Field(
        20,
        ge=1,
        description="Uploaded documents an applicant may hold that no case references yet.",
    )
    document_link_max_s: int = Field(
        600,
        ge=1,
        le=3600,
        description="Longest life of a signed document link given to a department adapter.",
    )
    # database back-pressure (core/backpressure.py, store/db.py, docs/deployment.md)
    db_pool_size: int = Field(
        20,
        ge=1,
        description="Pooled database connections of the API; it admits this many requests "
        "with a database session at once, and raises its thread limiter to match.",
    )
    db_max_overflow: int = Field(
        10, ge=0, description="The API's connections beyond the pool (work outside requests)."
    )
    db_pool_timeout_s: float = Field(
        10.0, gt=0, description="How long an API statement waits for a connection; then 503."
    )
    db_wait_s: float = Field(
        10.0,
        gt=0,
        description="How long a request waits for a database slot before a 503 with Retry-After.",
    )
    sqlite_busy_timeout_s: float = Field(
        10.0, gt=0, description="How long an API write to SQLite waits for another; then 503."
    )
    api_threads: int = Field(
        40, ge=1, description="Worker threads of the API (anyio's limiter): sync endpoints."
    )
    registry_url: str = Field(
        "", description="Base URL of the data-exchange service; empty means embedded registries."
    )
    registry_token: str = Field(
        "", description="Token for the data-exchange service (and for serving /exchange/v1)."
    )
    department_timeout_s: float = Field(30.0, gt=0, description="Per-call department timeout.")
    breaker_failures: int = Field(5, ge=1, description="Failures that open a circuit.")
    breaker_reset_s: float = Field(30.0, gt=0, description="Seconds before a trial call.")
    # each department's adapter (adapters/config.py, docs/departments.md): `code=value` entries
    # separated by commas or newlines
    department_adapters: Annotated[dict[str, str], NoDecode] = Field(
        default_factory=dict,
        description="Adapter of each department: `simulated` (a department not named), `http` "
        "(its system over signed HTTP) or `module:factory` (its own), e.g. `tax=http`.",
    )
    department_urls: Annotated[dict[str, str], NoDecode] = Field(
        default_factory=dict, description="Base URL of each `http` department's system."
    )
    department_secrets: Annotated[dict[str, SecretStr], NoDecode] = Field(
        default_factory=dict, description="Signing secret shared with each `http` department."
    )
    department_signing: Annotated[dict[str, Literal["hmac-sha256", "hmac-sm3"]], NoDecode] = Field(
        default_factory=dict,
        description="Signature of an `http` department that asks for SM3 (`hmac-sm3`); "
        "a department not named: `hmac-sha256`.",
    )
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
    otel_store_url: str = Field(
        "",
        description="Database of the embedded span store. Empty: the read model's, except that "
        "a SQLite read model keeps its spans in a SQLite file of their own (`spans.db` in "
        "DATA_DIR): a batch of spans then never holds the read model's single writer, which "
        "submissions wait for (docs/telemetry.md).",
    )
    otel_store_days: int = Field(
        30,
        ge=0,
        description="Days the embedded span store keeps a span (by its start); 0 keeps all.",
    )
    retention_years: int = Field(
        3,
        ge=1,
        description="Years after its end that a case keeps its personal data; then "
        "`onego retention run` and the workflow worker's daily run erase it (its figures "
        "stay). docs/security.md, Minimum necessary and retention.",
    )
    retention_days: int = Field(
        0, ge=0, description="Retention in days instead of years (tests, trials); 0: use years."
    )
    audit_keep_days: int = Field(
        AUDIT_MIN_KEEP_DAYS,
        description="Days the audit trail is kept at least (180 or more: MLPS 2.0 level 3 "
        "asks for six months). onego never deletes an audit row; the database refuses it. "
        "docs/security.md, Audit trail.",
    )
    workflow_sandbox: bool = Field(
        False,
        description="Run the scenario workflows in Temporal's sandbox, which re-imports their "
        "module for every case and checks each call for non-determinism at run time. Off by "
        "default: it cost about a tenth of a case's CPU (docs/measuring.md); the tests and "
        "the replay of stored histories run them sandboxed, where a non-deterministic call "
        "fails (docs/architecture.md, 'Deterministic workflow code').",
    )
    otel_sql_spans: bool = Field(
        False,
        description="A span per SQL statement of the API and the workers (about a hundred per "
        "case): for chasing a slow query; off by default, as it costs more than the rest of "
        "the tracing together.",
    )
    metrics_token: str = Field(
        "",
        description="Bearer token required by /metrics; empty is allowed only while the API "
        "listens on a loopback address (API_HOST 127.0.0.1, ::1, localhost): on any other "
        "address /metrics answers 403 until a token is set.",
    )
    # -- transport (docs/security.md, "Headers and transport") --
    tls_terminated: bool = Field(
        False,
        description="TLS ends in front of onego (an HTTPS proxy): responses carry HSTS.",
    )
    temporal_tls: bool = Field(
        False, description="TLS to Temporal's frontend (implied by any TEMPORAL_TLS_* file)."
    )
    temporal_tls_ca: Path | None = Field(
        None, description="PEM file of the CA that signed Temporal's server certificate."
    )
    temporal_tls_cert: Path | None = Field(
        None, description="PEM client certificate for mutual TLS (with TEMPORAL_TLS_KEY)."
    )
    temporal_tls_key: Path | None = Field(None, description="PEM private key of the client.")
    temporal_tls_server_name: str = Field(
        "", description="Name expected in Temporal's certificate; empty: the address's host."
    )
    temporal_api_key: str = Field(
        "", description="API key sent to Temporal (Temporal Cloud); implies TLS."
    )
    smtp_starttls: bool = Field(
        True,
        description="Upgrade the SMTP connection with STARTTLS, and refuse to send if the "
        "server does not offer it.",
    )
    smtp_tls: bool = Field(
        False, description="Implicit TLS from the first byte (SMTPS, usually port 465)."
    )
    smtp_tls_ca: Path | None = Field(
        None, description="PEM file of the CA of the SMTP server; empty: the system's CAs."
    )
    smtp_user: str = Field("", description="SMTP login (only over TLS); empty: no AUTH.")
    smtp_password: str = ""

    @field_validator("audit_keep_days")
    @classmethod
    def _six_months_at_least(cls, value: int) -> int:
        if value < AUDIT_MIN_KEEP_DAYS:
            raise ValueError(
                f"审计日志至少保存 {AUDIT_MIN_KEEP_DAYS} 天 / AUDIT_KEEP_DAYS must be "
                f"{AUDIT_MIN_KEEP_DAYS} or more"
            )
        return value

    @field_validator(
        "department_adapters",
        "department_urls",
        "department_secrets",
        "department_signing",
        mode="before",
    )
    @classmethod
    def _code_entries(cls, value: object) -> object:
        """`code=value` entries separated by commas or newlines (a mapping is taken as is).
        An error names the entry by position: a secret is never repeated."""
        if not isinstance(value, str):
            return value
        entries: dict[str, str] = {}
        for n, entry in enumerate(re.split(r"[,\s]+", value.strip()), start=1):
            code, _, setting = entry.partition("=")
            if entry and (not code or not setting or code in entries):
                raise ValueError(
                    f"第 {n} 项不是新的 code=value / entry {n} is not a new code=value"
                )
            if entry:
                entries[code] = setting
        return entries

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
    def resolved_span_store_url(self) -> str:
        """The span store's URL: `OTEL_STORE_URL`, else a SQLite file of its own beside a
        SQLite read model, else the read model's."""
        if self.otel_store_url:
            return self.otel_store_url
        if self.resolved_database_url.startswith("sqlite"):
            return f"sqlite:///{self.data_dir / 'spans.db'}"
        return self.resolved_database_url

    @property
    def resolved_public_url(self) -> str:
        """The pages' public base URL, without a trailing slash."""
        return (self.public_url or f"http://{self.api_host}:{self.api_port}").rstrip("/")

    @property
    def resolved_documents_dir(self) -> Path:
        return self.documents_dir or self.data_dir / "documents"

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
