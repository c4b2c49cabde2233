"""Shared CLI output: Rich tables for people, ``--json`` for scripts, errors without tracebacks."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from driftloop._serialization import dumps, to_jsonable

__all__ = [
    "JsonOption",
    "console",
    "emit",
    "err_console",
    "format_value",
    "print_json",
    "table",
    "to_jsonable",
]

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)

JsonOption = typer.Option(False, "--json", help="Print machine-readable JSON instead of tables.")


def print_json(value: Any) -> None:
    """Strict JSON on stdout (see :mod:`driftloop._serialization` for the conventions)."""
    sys.stdout.write(dumps(value) + "\n")


def emit(value: Any, as_json: bool, render: Callable[[], None]) -> None:
    """Print ``value`` as JSON, or call ``render`` to draw it for a person."""
    if as_json:
        print_json(value)
    else:
        render()


def table(title: str | None, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    grid = Table(title=title, show_lines=False)
    for column in columns:
        grid.add_column(column, overflow="fold")
    for row in rows:
        grid.add_row(*("" if v is None else str(v) for v in row))
    console.print(grid)


def format_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return str(value)
