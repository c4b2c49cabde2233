"""Public names imported on first use, so ``import driftloop`` costs milliseconds.

A package's ``__init__`` names the module of each public name and lets
:func:`lazy_exports` build its module-level ``__getattr__`` (PEP 562) and ``__dir__``:
the first ``dl.log_dataset`` imports ``driftloop.data`` (and pandas, DuckDB, Arrow), while
``import driftloop`` and ``driftloop --help`` import none of them. The names stay where
users find them; static type checkers read them from the package's
``if TYPE_CHECKING:`` import block, which ``tests/test_lazy.py`` keeps equal to the table.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(
    package: str, modules: Mapping[str, Iterable[str]], namespace: dict[str, Any]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``, whose ``modules`` map a module to
    the public names it defines; a name, once imported, is kept in ``namespace`` (the
    package's globals), so later lookups do not reach ``__getattr__``."""
    home = {name: module for module, names in modules.items() for name in names}

    def __getattr__(name: str) -> Any:
        module = home.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*namespace, *home})

    return __getattr__, __dir__
