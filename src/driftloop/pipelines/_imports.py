"""User code named by a target (``flows:training``, ``path/to/flows.py:training``), imported
as ``python -m`` and pytest would find it.

``python -m flows`` puts the current folder on the import path, and pytest its rootdir;
a console script such as ``driftloop`` puts neither, so ``driftloop pipeline run
flows:training`` in the folder holding ``flows.py`` failed with "No module named
'flows'". A module not found on ``sys.path`` is looked for again in the current folder
and the workspace root, which then stay on the path (appended: they never shadow an
installed package), so the module's own imports of its neighbours work, and worker
processes, which start with this process's ``sys.path``, find it too. A script given
by path has its folder added, as ``python path/to/flows.py`` does.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

from driftloop.errors import NotFoundError


def search_folders(roots: Sequence[Path]) -> list[Path]:
    """The current folder, then the workspace root(s): where user code is looked for."""
    return list(dict.fromkeys(p.resolve() for p in (Path.cwd(), *roots)))


def import_module_name(name: str, roots: Sequence[Path] = ()) -> ModuleType:
    """``importlib.import_module(name)``, looking in :func:`search_folders` too.

    Raises NotFoundError naming the module, the folders searched and the fix when
    neither has it; a module that is found but fails to import raises as it does.
    """
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if not _is_target(exc, name):
            raise  # the module exists; something it imports does not
        folders = search_folders(roots)
    _extend_path(folders)
    importlib.invalidate_caches()
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if not _is_target(exc, name):
            raise
        raise NotFoundError(_not_found(name, folders)) from None


def script_path(path: str, roots: Sequence[Path] = ()) -> Path:
    """The file a target's ``path/to/flows.py`` names: as given, else under a search folder.

    Its folder joins the import path, so the script imports its neighbours.
    """
    given = Path(path)
    folders = search_folders(roots)
    candidates = [given] if given.is_absolute() else [f / given for f in folders]
    found = next((c.resolve() for c in candidates if c.is_file()), None)
    if found is None:
        where = "" if given.is_absolute() else " in " + _places(folders)
        raise NotFoundError(
            f"there is no file {path!r}{where}; give the path of the file that defines "
            "the pipeline, e.g. path/to/flows.py:training"
        )
    _extend_path([found.parent])
    return found


def _is_target(exc: ModuleNotFoundError, name: str) -> bool:
    missing = exc.name or ""
    return name == missing or name.startswith(missing + ".")


def _extend_path(folders: Sequence[Path]) -> None:
    for folder in folders:
        if str(folder) not in sys.path:
            sys.path.append(str(folder))


def _places(folders: Sequence[Path]) -> str:
    # search_folders: the current folder first, then the workspace root (when it differs).
    named = [
        f"{'the workspace root' if i else 'the current folder'} {f}" for i, f in enumerate(folders)
    ]
    return " or ".join(named)


def _not_found(name: str, folders: Sequence[Path]) -> str:
    file = name.replace(".", "/") + ".py"
    return (
        f"cannot import module {name!r}: no {file} (or package {name.split('.')[0]}/) in "
        f"{_places(folders)}, nor on the Python path; run driftloop from the folder "
        f"holding {file}, or give the file's path instead (path/to/{file}:NAME)"
    )
