"""The code digest of a step: its own source and the project code it calls.

"Project code" is code outside the standard library, installed packages and driftloop: the
functions and classes a step's body names, followed through what they name in turn,
and the project modules it uses as ``module.attr``. Editing any of them changes the
digest (a cache miss); upgrading pandas does not.
"""

from __future__ import annotations

import hashlib
import inspect
import os
import sys
import sysconfig
import types
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

# driftloop itself is a library to its users, wherever it is installed (an editable
# install is outside site-packages); following its internals would hash half of it.
_LIBRARY_ROOTS = (
    *tuple(
        str(Path(p).resolve())
        for p in {sysconfig.get_paths()[k] for k in ("stdlib", "platstdlib", "purelib", "platlib")}
    ),
    str(Path(__file__).resolve().parents[1]) + os.sep,
)


@lru_cache(maxsize=4096)
def _is_project_file(filename: str) -> bool:
    if not filename or filename.startswith("<"):
        return False
    resolved = str(Path(filename).resolve())
    return not resolved.startswith(_LIBRARY_ROOTS) and not resolved.startswith(sys.prefix)


def _names(code: types.CodeType) -> Iterator[str]:
    yield from code.co_names
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _names(const)


def _source_of(obj: Any) -> str | None:
    try:
        return inspect.getsource(obj)
    except (OSError, TypeError):
        return None


def _file_of(obj: Any) -> str:
    try:
        return inspect.getsourcefile(obj) or ""
    except TypeError:
        return ""


def code_digest(fn: Any) -> str:
    """A digest of ``fn``'s source and of the project functions, classes and modules it uses."""
    digest = hashlib.blake2b(digest_size=20)
    seen: set[int] = set()
    stack: list[Any] = [fn]
    while stack:
        obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        source = _source_of(obj)
        digest.update(f"{getattr(obj, '__qualname__', obj)!r}\0{source}\0".encode())
        if isinstance(obj, types.ModuleType):
            continue  # the whole module's source is in; no need to follow its names
        stack.extend(_called_project_code(obj))
    return digest.hexdigest()


def _called_project_code(obj: Any) -> Iterator[Any]:
    fn = inspect.unwrap(obj) if callable(obj) else obj
    code = getattr(fn, "__code__", None)
    if code is None:
        return
    scope = getattr(fn, "__globals__", {})
    for name in dict.fromkeys(_names(code)):
        found = scope.get(name)
        if found is None:
            continue
        inner = getattr(found, "fn", found)  # a Step wraps its function
        if (
            isinstance(inner, types.ModuleType)
            or inspect.isfunction(inner)
            or inspect.isclass(inner)
        ) and _is_project_file(_file_of(inner)):
            yield inner
