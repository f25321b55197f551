"""A catalog file that is not YAML is reported with its line, not as a traceback."""

import shutil
from pathlib import Path

import pytest

from catalog.loader import DATA_DIR, CatalogError, load_catalog


def test_a_yaml_syntax_error_is_located(tmp_path: Path):
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    with (data / "fields.yaml").open("a", encoding="utf-8") as file:
        file.write("- code: [unclosed\n")
    with pytest.raises(CatalogError) as broken:
        load_catalog(data)
    assert [(p.file, p.message.split(":")[0]) for p in broken.value.problems] == [
        ("fields.yaml", "not valid YAML")
    ]
    assert broken.value.problems[0].entry.startswith("line ")
