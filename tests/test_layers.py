"""The import layers hold (`lint-imports`, contracts in pyproject.toml), and they break on a
bad import: a copy of the product's modules gets one, and the contract it breaks says so.

No two modules import each other round about either, across packages too: the contracts'
`acyclic` sees cycles inside one package only, and packages sharing a layer ("a : b") may
import each other."""

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = ROOT / "pyproject.toml"
ROOT_PACKAGES: list[str] = tomllib.loads(PYPROJECT.read_text())["tool"]["importlinter"][
    "root_packages"
]
ENTRY_POINTS = ("api.py", "worker.py", "cli.py")
# Prints each import that is part of a cycle, with the way back: "a -> b -> ... -> a".
CYCLES = """
import sys
import grimp

graph = grimp.build_graph(*sys.argv[1:])
for importer in sorted(graph.modules):
    for imported in sorted(graph.find_modules_directly_imported_by(importer)):
        back = graph.find_shortest_chain(importer=imported, imported=importer)
        if back:
            print(" -> ".join((importer, *back)))
"""


def lint_imports(where: Path) -> subprocess.CompletedProcess[str]:
    """`lint-imports` of the venv running the tests, in `where` (its modules first on the
    path), without grimp's cache."""
    command = Path(sys.executable).with_name("lint-imports")
    return subprocess.run(
        [str(command), "--no-cache"],
        cwd=where,
        env={**os.environ, "PYTHONPATH": str(where)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def module_cycles(where: Path) -> list[str]:
    """The import cycles between the product's modules in `where` (grimp, as lint-imports)."""
    result = subprocess.run(
        [sys.executable, "-c", CYCLES, *ROOT_PACKAGES],
        cwd=where,
        env={**os.environ, "PYTHONPATH": str(where)},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return result.stdout.splitlines()


def test_the_product_keeps_its_layers() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "BROKEN" not in result.stdout


@pytest.fixture
def product(tmp_path: Path) -> Path:
    """The product's Python modules, its entry points and pyproject.toml, copied to be
    spoiled."""
    for package in ROOT_PACKAGES:
        shutil.copytree(
            ROOT / package,
            tmp_path / package,
            ignore=lambda folder, names: [
                n for n in names if not n.endswith(".py") and not (Path(folder) / n).is_dir()
            ],
        )
    for name in (*ENTRY_POINTS, "pyproject.toml"):
        shutil.copy(ROOT / name, tmp_path / name)
    return tmp_path


@pytest.mark.parametrize(
    ("modules", "broken", "named"),
    [
        # the vocabulary reaching up into the store
        ({"domain/leak.py": "import store.models\n"}, "Layers", "domain.leak -> store.models"),
        # the store importing the department calls built on it
        (
            {"store/leak.py": "from activities import read_model\n"},
            "Layers",
            "store.leak -> activities.read_model",
        ),
        # the catalog importing the workflows (the task queues used to live there)
        (
            {"catalog/leak.py": "from workflows import models\n"},
            "Layers",
            "catalog.leak -> workflows.models",
        ),
        # an entry point imported from below
        ({"cases/leak.py": "import worker\n"}, "Entry points", "cases.leak -> worker"),
        # a new module of the infrastructure importing the edge
        ({"runtime/leak.py": "import web.common\n"}, "Infrastructure", "runtime.leak -> web"),
        # two modules of one package importing each other
        (
            {"store/ping.py": "import store.pong\n", "store/pong.py": "import store.ping\n"},
            "No cycles",
            "No cycles are allowed in store.",
        ),
        # the store instrumenting itself with our telemetry, which writes spans to the store
        (
            {"store/db.py": "import observability.telemetry\n"},
            "Layers",
            "store.db -> observability.telemetry",
        ),
    ],
)
def test_a_bad_import_breaks_a_contract(
    product: Path, modules: dict[str, str], broken: str, named: str
) -> None:
    assert lint_imports(product).returncode == 0  # the copy holds before it is spoiled
    for path, source in modules.items():  # a new module, or a line more in an existing one
        with (product / path).open("a") as module:
            module.write(source)
    result = lint_imports(product)
    assert result.returncode == 1, result.stdout + result.stderr
    verdicts = [line for line in result.stdout.splitlines() if line.endswith(("KEPT", "BROKEN"))]
    assert [v for v in verdicts if v.endswith("BROKEN")] == [
        v for v in verdicts if v.startswith(broken)
    ], result.stdout
    assert named in result.stdout, result.stdout


def test_no_import_cycles_between_modules() -> None:
    assert module_cycles(ROOT) == []


def test_a_cycle_across_packages_of_one_layer_is_found(product: Path) -> None:
    # the store and reporting share a layer: the contracts let them import each other, but
    # not round in a circle
    (product / "store" / "ping.py").write_text("import reporting.pong\n")
    (product / "reporting" / "pong.py").write_text("import store.ping\n")
    assert lint_imports(product).returncode == 0
    assert "store.ping -> reporting.pong -> store.ping" in module_cycles(product)
