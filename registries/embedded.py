"""Registries held in YAML files: synthetic records with valid ID numbers and credit codes."""

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

DATA_DIR = Path(__file__).parent / "data"


@lru_cache
def load_records(data_dir: Path = DATA_DIR) -> dict[str, dict[str, dict[str, Any]]]:
    """registry code -> key -> record, from every `<registry>.yaml` in `data_dir`."""
    return {
        path.stem: {
            str(key): record for key, record in (yaml.safe_load(path.read_text()) or {}).items()
        }
        for path in sorted(data_dir.glob("*.yaml"))
    }


class EmbeddedRegistries:
    """The embedded default: look-ups in the synthetic data shipped with onego."""

    def __init__(self, records: dict[str, dict[str, dict[str, Any]]] | None = None):
        self._records = records if records is not None else load_records()

    async def lookup(self, registry: str, key: str) -> dict[str, Any] | None:
        return self._records.get(registry, {}).get(key)
