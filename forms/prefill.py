"""Once-only (一次提交): what shared registries already hold for the applicant.

Prefilled values are shown for the applicant to confirm; materials a registry holds are
fetched instead of asked. A registry miss or outage falls back to asking, never to an error.
"""

import logging
from typing import Any

from pydantic import BaseModel, Field

from catalog.loader import Catalog
from catalog.models import ScenarioSpec
from catalog.reform import material_sources
from forms.unified import compile_form
from registries.base import RegistryAdapter, RegistryUnavailable

log = logging.getLogger("onego.prefill")


class Identity(BaseModel):
    """The keys registries know the applicant by."""

    resident_id: str | None = None
    credit_code: str | None = None


class Prefilled(BaseModel):
    values: dict[str, Any] = Field(default_factory=dict)
    sources: dict[str, str] = Field(default_factory=dict, description="field -> registry")
    fetched_materials: list[str] = Field(default_factory=list)
    asked_materials: list[str] = Field(default_factory=list)
    unavailable: list[str] = Field(default_factory=list, description="registries not reached")


async def prefill(
    catalog: Catalog, spec: ScenarioSpec, registries: RegistryAdapter | None, identity: Identity
) -> Prefilled:
    """Prefill values and sort the scenario's materials into fetched and asked."""
    records: dict[str, dict[str, Any] | None] = {}
    result = Prefilled()

    async def record(registry: str) -> dict[str, Any] | None:
        if registry not in records:
            key = getattr(identity, catalog.registries[registry].keyed_by)
            records[registry] = None
            if key and registries is not None:
                try:
                    records[registry] = await registries.lookup(registry, key)
                except RegistryUnavailable as exc:
                    log.warning("registry unavailable, asking instead: %s", exc)
                    result.unavailable.append(registry)
        return records[registry]

    for field in compile_form(spec.code, spec.version, catalog).fields:
        if field.prefill and (found := await record(field.prefill.registry)):
            if field.prefill.attribute in found:
                result.values[field.code] = found[field.prefill.attribute]
                result.sources[field.code] = field.prefill.registry
    for code, registry in material_sources(catalog, spec).items():
        if registry and await record(registry):
            result.fetched_materials.append(code)
        else:
            result.asked_materials.append(code)
    return result
