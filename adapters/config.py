"""Which adapter reaches each department's system: configuration, one entry per department.

    DEPARTMENT_ADAPTERS="tax=http, customs=customs_bridge.adapter:make_adapter"
    DEPARTMENT_URLS="tax=https://tax.example.gov.cn/onego"
    DEPARTMENT_SECRETS="tax=..."
    DEPARTMENT_SIGNING="tax=hmac-sm3"          # a department that asks for SM3

A department not named is `simulated` (adapters/simulated.py, the embedded default). `http`
is its system over signed HTTP (adapters/http.py) at its URL, signing with its secret (and
the SM3 HMAC if it asks for it). `module:factory` is a department's own adapter: the factory
is called with the department's code and the settings and returns a `DepartmentAdapter`
(activities/department.py). Whichever it is, the worker wraps it in the timeout and circuit
breaker of adapters/resilience.py.
"""

import pkgutil
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.engine import Engine

from activities.department import DepartmentAdapter
from adapters.resilience import CircuitBreaker, ResilientDepartment
from adapters.simulated import ReadyAt, SimulatedDepartment
from documents.links import DocumentLinks
from runtime.network import is_loopback
from runtime.settings import Settings
from store import sealed

SIMULATED = "simulated"
HTTP = "http"
# The class of the `http` adapter, imported only by a worker that has an `http` department.
HTTP_ADAPTER = "adapters.http:HttpDepartment"

# A department's own adapter: (department code, settings) -> adapter.
AdapterFactory = Callable[[str, Settings], DepartmentAdapter]


class AdapterConfigError(ValueError):
    """The adapter settings name an unknown department or adapter, or lack what it needs."""


def check(settings: Settings, departments: Iterable[str], serving: Iterable[str] = ()) -> None:
    """Refuse adapter settings that name a department not in the catalog (a typo would
    leave that department simulated), an adapter that is none of the three kinds, an
    `http` department without its URL and secret, or, for the departments this process
    `serving`, a `module:factory` that does not load (another process may serve a department
    whose module only its machines have): at start, before any call."""
    known = set(departments)
    for setting, entries in (
        ("DEPARTMENT_ADAPTERS", settings.department_adapters),
        ("DEPARTMENT_URLS", settings.department_urls),
        ("DEPARTMENT_SECRETS", settings.department_secrets),
        ("DEPARTMENT_SIGNING", settings.department_signing),
    ):
        if unknown := sorted(set(entries) - known):
            raise AdapterConfigError(f"{setting}: no department {', '.join(unknown)}")
    for department in settings.department_adapters:
        if _choice(department, settings) == HTTP:
            _http_settings(department, settings)
    for department in known.intersection(serving):
        if (choice := _choice(department, settings)) not in (SIMULATED, HTTP):
            _resolve(choice)


def adapter_for(
    department: str, engine: Engine, settings: Settings, ready: ReadyAt | None = None
) -> ResilientDepartment:
    """The configured adapter of `department`, behind a timeout and a circuit breaker
    (`engine` and `ready`: the simulated back-end's ledger and when it issues)."""
    return ResilientDepartment(
        _configured(department, engine, settings, ready),
        department,
        timeout=settings.department_timeout_s,
        breaker=CircuitBreaker(settings.breaker_failures, settings.breaker_reset_s),
    )


def _configured(
    department: str, engine: Engine, settings: Settings, ready: ReadyAt | None
) -> DepartmentAdapter:
    choice = _choice(department, settings)
    if choice == SIMULATED:
        return SimulatedDepartment(
            engine, settings.sim_latency_ms, settings.sim_failure_rate, ready
        )
    if choice == HTTP:
        return _http(department, settings)
    factory: AdapterFactory = _resolve(choice)
    return factory(department, settings)


def _choice(department: str, settings: Settings) -> str:
    choice = settings.department_adapters.get(department, SIMULATED)
    if choice not in (SIMULATED, HTTP) and ":" not in choice:
        raise AdapterConfigError(
            f"DEPARTMENT_ADAPTERS: {department}={choice} is not simulated, http or module:factory"
        )
    return choice


def _http_settings(department: str, settings: Settings) -> tuple[str, str]:
    """The URL and secret of an `http` department (both required). The URL is `https://`:
    item requests carry personal data. Plain `http://` only reaches this machine (a
    department's system beside its worker, the reference system in the tests)."""
    url = settings.department_urls.get(department)
    secret = settings.department_secrets.get(department)
    if not url or secret is None:
        raise AdapterConfigError(
            f"{department}=http needs its DEPARTMENT_URLS and DEPARTMENT_SECRETS entries"
        )
    parts = urlsplit(url)
    plain_here = parts.scheme == "http" and is_loopback(parts.hostname or "")
    if not (parts.scheme == "https" and parts.hostname) and not plain_here:
        shown = f"{parts.scheme}://{parts.hostname or ''}"  # not the rest: it may hold a token
        raise AdapterConfigError(
            f"DEPARTMENT_URLS: {department}={shown}... must be an https:// URL "
            "(plain http:// only to this machine: localhost, 127.0.0.1, ::1)"
        )
    return url, secret.get_secret_value()


def _http(department: str, settings: Settings) -> DepartmentAdapter:
    url, secret = _http_settings(department, settings)
    http_department = _resolve(HTTP_ADAPTER)
    return http_department(
        department,
        base_url=url,
        secret=secret,
        algorithm=settings.department_signing.get(department, "hmac-sha256"),
        links=DocumentLinks(
            sealed.keyring, settings.resolved_public_url, settings.document_link_max_s
        ),
    )


def _resolve(reference: str) -> Any:
    """The object `module:name` names (an adapter factory or class)."""
    try:
        return pkgutil.resolve_name(reference)
    except (ImportError, AttributeError, ValueError) as error:
        raise AdapterConfigError(
            f"DEPARTMENT_ADAPTERS: cannot load {reference}: {error}"
        ) from error
