"""`import driftloop` and the CLI's start-up load no heavy library; public names stay put.

Checked by what a fresh interpreter has in ``sys.modules``, not by timing (timings are
`bench/startup.py`'s job): a module-level import of pandas slipping back in fails here
on any machine, however fast.
"""

from __future__ import annotations

import ast
import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

import driftloop as dl

PACKAGE = Path(dl.__file__).parent
HEAVY = ("pandas", "sklearn", "duckdb", "scipy", "sqlalchemy", "pyarrow", "alembic", "matplotlib")
LAZY_PACKAGES = [
    "driftloop",
    *(
        f"driftloop.{p.parent.name}"
        for p in sorted(PACKAGE.glob("*/__init__.py"))
        if "lazy_exports" in p.read_text(encoding="utf-8")
    ),
]


def _loaded_after(code: str, cwd: Path) -> list[str]:
    probe = f"{code}\nimport sys, json\nprint(json.dumps(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=cwd, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    loaded = set(json.loads(result.stdout.splitlines()[-1]))
    return sorted(name for name in HEAVY if name in loaded)


def test_import_driftloop_loads_no_heavy_library(tmp_path: Path) -> None:
    assert _loaded_after("import driftloop", tmp_path) == []


def test_cli_help_loads_no_heavy_library(tmp_path: Path) -> None:
    code = (
        "import sys\nsys.argv = ['driftloop', '--help']\nfrom driftloop.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass"
    )
    assert _loaded_after(code, tmp_path) == []


def test_runs_list_loads_only_the_database_library(sqlite_workspace: dl.Workspace) -> None:
    with dl.start_run(experiment="churn"):
        dl.log_metric("auc", 0.9)
    code = (
        "import sys\nsys.argv = ['driftloop', 'runs', 'list']\nfrom driftloop.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass"
    )
    # The metadata store is at head: no Alembic; the records need no pandas.
    assert _loaded_after(code, sqlite_workspace.root) == ["sqlalchemy"]


def _static_tables(package: str) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """The package's ``if TYPE_CHECKING:`` imports and its ``lazy_exports`` table, as
    module -> names, read from its source."""
    path = Path(importlib.import_module(package).__file__ or "")
    checked: dict[str, set[str]] = {}
    lazy: dict[str, set[str]] = {}
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            for item in node.body:
                assert isinstance(item, ast.ImportFrom) and item.module, ast.unparse(item)
                checked.setdefault(item.module, set()).update(a.name for a in item.names)
        if isinstance(node, ast.Call) and ast.unparse(node.func) == "lazy_exports":
            table = ast.literal_eval(node.args[1])
            lazy.update((module, set(names)) for module, names in table.items())
    return checked, lazy


@pytest.mark.parametrize("package", LAZY_PACKAGES)
def test_each_lazy_name_is_what_type_checkers_see_and_resolves(package: str) -> None:
    checked, lazy = _static_tables(package)
    assert checked == lazy
    module = importlib.import_module(package)
    listed = {name for names in lazy.values() for name in names}
    assert set(module.__all__) - {"__version__"} <= listed | set(vars(module))
    for where, names in lazy.items():
        for name in names:
            assert getattr(module, name) is getattr(importlib.import_module(where), name)
    with pytest.raises(AttributeError, match="no attribute 'no_such_name'"):
        _ = module.no_such_name


def test_the_lazy_packages_are_found() -> None:
    # Guards the parametrised test above against checking nothing.
    assert {"driftloop", "driftloop.tracking", "driftloop.registry", "driftloop.store"} <= set(
        LAZY_PACKAGES
    )
