"""The one DuckDB edge: the per-process database, safe SQL pieces and error translation.

Every DuckDB call in driftloop goes through here:

- :class:`DuckDB` is the process's in-memory database, built once (by the workspace)
  and closed once; :meth:`DuckDB.cursor` hands out cursors with the settings applied
  (time zone UTC, progress bar off, spilling to the workspace's temp folder).
- Files are read through the relation API (:func:`parquet_relation`,
  :func:`file_relation`), so no path is ever part of SQL text.
- Identifiers go through :func:`quote_identifier`; every value (a bound, a set member, a
  regex, a bin edge) is a bound parameter, collected by :class:`SqlParams` and passed to
  ``con.sql(query, params=...)``, so nothing user-, data- or path-derived is SQL text.
- :func:`translate_errors` turns DuckDB's exceptions into driftloop's hierarchy with a
  message saying what to do, keeping the cause.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from driftloop.errors import BackendUnavailableError, DriftloopError, InvalidInputError

Cursor = duckdb.DuckDBPyConnection
Relation = duckdb.DuckDBPyRelation

# Constants only: per-connection settings that need no user- or path-derived value.
_CURSOR_SETTINGS = ("SET TimeZone = 'UTC'", "SET enable_progress_bar = false")


class DuckDB:
    """The per-process in-memory DuckDB database; cursors are cheap and thread-safe to get.

    Opening and tearing down a database costs more than a small join, so one is kept
    for the process (the workspace builds it) and each use takes its own cursor.

    Args:
        temp_dir: where DuckDB spills when data outgrows memory (created on first use).

    Example::

        duck = DuckDB(Path(".driftloop/duckdb-tmp"))
        with duck.cursor() as con:
            con.sql("select 42").fetchall()
        duck.close()
    """

    def __init__(self, temp_dir: Path | None = None) -> None:
        self.temp_dir = temp_dir
        self._database: duckdb.DuckDBPyConnection | None = None
        self._lock = threading.Lock()
        self._closed = False

    def cursor(self) -> Cursor:
        """A new cursor (its own connection to the shared database); close it after use."""
        with self._lock:
            if self._closed:
                raise BackendUnavailableError(
                    "the workspace's DuckDB database was closed; open the workspace again"
                )
            if self._database is None:
                self._database = _open_database(self.temp_dir)
            con = self._database.cursor()
        for statement in _CURSOR_SETTINGS:
            con.execute(statement)
        return con

    def close(self) -> None:
        """Close the database; later :meth:`cursor` calls raise BackendUnavailableError."""
        with self._lock:
            self._closed = True
            if self._database is not None:
                self._database.close()
                self._database = None

    def __repr__(self) -> str:
        return f"DuckDB(temp_dir={str(self.temp_dir)!r})"


def _open_database(temp_dir: Path | None) -> duckdb.DuckDBPyConnection:
    config: dict[str, Any] = {}
    if temp_dir is not None:
        temp_dir.mkdir(parents=True, exist_ok=True)
        # A config value, not SQL text: the path may hold quotes.
        config["temp_directory"] = str(temp_dir)
    with translate_errors("opening DuckDB"):
        return duckdb.connect(config=config)


@contextmanager
def cursor_of(duck: DuckDB | None) -> Iterator[Cursor]:
    """A cursor of ``duck``, or of a short-lived database when there is none (scripts, tests)."""
    source = DuckDB() if duck is None else duck
    con = source.cursor()
    try:
        yield con
    finally:
        con.close()
        if source is not duck:
            source.close()


def quote_identifier(name: str) -> str:
    """``name`` as a DuckDB identifier: in double quotes, inner quotes doubled."""
    return '"' + str(name).replace('"', '""') + '"'


class SqlParams:
    """Named parameters for one query: :meth:`add` a value, put the placeholder in the SQL.

    Placeholders are the prefix and a number; give each part of one query its own prefix
    to bind a part's values alone later. Values keep their Python types as DuckDB binds
    them (bool, int, float including NaN and infinities, text, None as NULL, lists as
    lists), so a constant never becomes SQL text. Pass :attr:`values` to
    ``con.sql(query, params=...)`` or ``con.execute``.

    Example::

        params = SqlParams()
        where = f"{quote_identifier(column)} < {params.add(limit)}"
        con.sql(f"select count(*) filter (where {where}) from data", params=params.values)
    """

    __slots__ = ("prefix", "values")

    def __init__(self, prefix: str = "p") -> None:
        if not prefix.isidentifier():
            raise ValueError(f"parameter prefix {prefix!r} is not an identifier")
        self.prefix = prefix
        self.values: dict[str, Any] = {}

    def add(self, value: Any) -> str:
        """Bind ``value``; returns its placeholder (``$p0``, ``$p1``, ... after the prefix)."""
        name = f"{self.prefix}{len(self.values)}"
        self.values[name] = value
        return f"${name}"

    def __len__(self) -> int:
        return len(self.values)

    def __repr__(self) -> str:
        return f"SqlParams({len(self.values)} values)"


def parquet_relation(con: Cursor, paths: Sequence[Path | str], what: str = "data") -> Relation:
    """A lazy relation over Parquet ``paths`` (files or globs); nothing is read yet."""
    if not paths:
        raise InvalidInputError(f"{what} resolved to no Parquet files")
    with translate_errors(f"reading {what}"):
        return con.read_parquet([str(p) for p in paths])


def file_relation(con: Cursor, source: str | Path, what: str = "data") -> Relation:
    """A lazy relation over a CSV file, a Parquet file or glob, or a folder of Parquet files."""
    text = str(source)
    path = Path(text)
    if "*" not in text and "://" not in text and not path.exists():
        raise InvalidInputError(
            f"{what}: file {text!r} does not exist; check the path "
            f"(relative paths start from {Path.cwd()})"
        )
    with translate_errors(f"reading {what} from {text!r}"):
        if text.lower().endswith((".csv", ".tsv")):
            return con.read_csv(text)
        if path.is_dir():
            return con.read_parquet(str(path / "**" / "*.parquet"))
        return con.read_parquet(text)


def headline(exc: BaseException) -> str:
    """The first two lines of a DuckDB error: what failed and why, without its long help."""
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    return " ".join(lines[:2]) if lines else type(exc).__name__


# DuckDB itself in trouble, not the data or SQL given to it.
_BROKEN = (
    duckdb.ConnectionException,
    duckdb.FatalException,
    duckdb.InternalException,
    duckdb.InterruptException,
    duckdb.TransactionException,
)
_MISSING_FILE = ("no files found", "cannot open file", "does not exist", "no such file")


def translate(exc: duckdb.Error, what: str, hint: str = "") -> DriftloopError:
    """The driftloop error for a DuckDB error met while doing ``what``."""
    text = headline(exc)
    tail = f"; {hint}" if hint else ""
    if isinstance(exc, duckdb.OutOfMemoryException):
        return BackendUnavailableError(
            f"{what}: DuckDB ran out of memory ({text}); free memory, process less data at "
            "once, or make room in the workspace's .driftloop/duckdb-tmp spill folder"
        )
    if isinstance(exc, duckdb.IOException):
        if any(m in text.lower() for m in _MISSING_FILE):
            return InvalidInputError(f"{what}: {text}{tail or '; check that the file exists'}")
        return BackendUnavailableError(f"{what}: cannot read or write files: {text}{tail}")
    if isinstance(exc, _BROKEN):
        return BackendUnavailableError(f"{what}: DuckDB failed: {text}{tail}")
    # Binder, catalog, conversion, parser, type errors and unreadable files: the input.
    return InvalidInputError(f"{what}: {text}{tail or '; check the names and types used'}")


@contextmanager
def translate_errors(what: str, hint: str = "") -> Iterator[None]:
    """Raise DuckDB errors inside the block as driftloop errors, the cause kept.

    Example::

        with translate_errors("building the training set"):
            con.sql(query).to_arrow_table()
    """
    try:
        yield
    except duckdb.Error as exc:
        raise translate(exc, what, hint) from exc
