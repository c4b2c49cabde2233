"""The layers stay apart: nothing below the fluent API reaches up to it or to the workspace.

Services are shared by a server, a scheduler and executors; a service that read the
fluent layer's active run or the default workspace would act on the wrong run or
workspace for them.
"""

from __future__ import annotations

import ast
from pathlib import Path

import driftloop

PACKAGE = Path(driftloop.__file__).parent
# The layers on top: they may find the default workspace and the active run.
TOP = ("cli/", "_demo/", "api/", "ui/")
TOP_FILES = ("__init__.py", "__main__.py", "_workspace.py", "testing.py")


def _imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def _is_below_fluent(relative: str) -> bool:
    if relative.startswith(TOP) or relative.endswith("_fluent.py"):
        return False
    return relative not in TOP_FILES and not relative.endswith("/__init__.py")


def test_no_module_below_the_fluent_layer_imports_a_fluent_module_or_the_workspace() -> None:
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        if not _is_below_fluent(relative):
            continue
        for name in _imported_modules(path):
            if name.endswith(("._fluent", "._workspace")) or name == "driftloop._workspace":
                offenders.append(f"{relative} imports {name}")
    assert offenders == []


def test_the_walk_sees_the_services() -> None:
    # Guards the test above against walking nothing (a moved package, a wrong root).
    walked = {
        p.relative_to(PACKAGE).as_posix()
        for p in PACKAGE.rglob("*.py")
        if _is_below_fluent(p.relative_to(PACKAGE).as_posix())
    }
    assert {
        "features/_service.py",
        "registry/_service.py",
        "tracking/_service.py",
        "data/_service.py",
    } <= walked
    assert "tracking/_fluent.py" not in walked


def test_no_context_imports_the_cli() -> None:
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        if relative.startswith(TOP) or relative in TOP_FILES:
            continue
        offenders += [
            f"{relative} imports {n}"
            for n in _imported_modules(path)
            if n.startswith("driftloop.cli")
        ]
    assert offenders == []
