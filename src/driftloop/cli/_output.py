"""Shared CLI output: Rich tables for people, ``--json`` for scripts, errors without tracebacks."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape

from driftloop._serialization import dumps, to_jsonable
from driftloop.cli._table import draw, to_columns
from driftloop.errors import DriftloopError, InvalidInputError

__all__ = [
    "EXIT_FAILED",
    "EXIT_MISUSE",
    "EXIT_OK",
    "JsonOption",
    "console",
    "emit",
    "err_console",
    "format_value",
    "gate",
    "hidden_output_option",
    "output_file",
    "output_option",
    "print_json",
    "table",
    "to_jsonable",
]

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)

JsonOption = typer.Option(False, "--json", help="Print machine-readable JSON instead of tables.")


def output_option(help: str) -> Any:
    """The one flag naming a file a command writes: ``-o/--output``."""
    return typer.Option(None, "--output", "-o", help=help)


def hidden_output_option(flag: str) -> Any:
    """An earlier spelling of ``--output`` (``--html``, ``--out``): accepted, not shown."""
    return typer.Option(None, flag, hidden=True)


def output_file(output: Path | None, earlier: Path | None, flag: str) -> Path | None:
    """The file named by ``--output`` or by its earlier spelling ``flag``.

    Raises:
        InvalidInputError: both are given and name different files.
    """
    if output is not None and earlier is not None and output != earlier:
        raise InvalidInputError(
            f"--output {output} and {flag} {earlier} name different files; give --output only"
        )
    return output if output is not None else earlier


# Exit codes of every command that gates (a CI step): a failed check is not a broken gate.
EXIT_OK = 0
EXIT_FAILED = 1  # the check ran and found a problem (failed expectations)
EXIT_MISUSE = 2  # the check could not run: missing or broken file, unknown name, bad parameter


@contextmanager
def gate() -> Iterator[None]:
    """Run a gating command's setup and check: driftloop errors exit :data:`EXIT_MISUSE`.

    The message is printed as the CLI prints every error (headline and message, no
    traceback unless ``--debug`` or ``DRIFTLOOP_DEBUG``).
    """
    try:
        yield
    except DriftloopError as exc:
        if "--debug" in sys.argv or os.environ.get("DRIFTLOOP_DEBUG"):
            raise
        # One unwrapped line: CI logs are read and grepped line by line.
        err_console.print(f"error: {escape(exc.headline)}: {escape(str(exc))}", soft_wrap=True)
        raise typer.Exit(EXIT_MISUSE) from None


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
    """Print rows of raw values (numbers, datetimes, text; None is blank) as a table that
    fits the terminal, one line a row (see :mod:`driftloop.cli._table`)."""
    draw(title, to_columns(columns, rows), console)


def format_value(value: Any) -> str:
    """A value as a person reads it: blank for None, 6 significant digits, NaN as in
    ``--json``, times to the second (UTC)."""
    if value is None:
        return ""
    if isinstance(value, float):
        return "NaN" if value != value else f"{value:.6g}"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return str(value)
