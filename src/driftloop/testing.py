"""Helpers for testing code that uses driftloop (and driftloop's own tests).

Public on purpose: users testing their pipelines need the same throwaway
workspaces and databases that driftloop's suite uses.

Migrating a new metadata database takes most of a workspace's set-up time, so a
test session migrates once and clones per test: :func:`postgres_template` makes a
migrated PostgreSQL template that :func:`temporary_postgres_database` copies with
``CREATE DATABASE ... TEMPLATE``; :func:`sqlite_template` makes a migrated SQLite
file that :func:`temporary_workspace` copies into the new workspace.
"""

from __future__ import annotations

import re
import shutil
import sys
import traceback
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url

from driftloop._workspace import Workspace, init_workspace
from driftloop.automation._fakes import FakeLoopWorld
from driftloop.config import STATE_DIR
from driftloop.errors import InvalidInputError
from driftloop.store import MetadataStore

__all__ = [
    "CliResult",
    "FakeLoopWorld",
    "copy_sqlite_template",
    "invoke_cli",
    "postgres_template",
    "sqlite_template",
    "temporary_postgres_database",
    "temporary_workspace",
]

# CREATE DATABASE takes no bound parameters, so names are generated or checked here.
_DATABASE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def _server(server_url: str) -> URL:
    url = make_url(server_url)
    return url.set(drivername="postgresql+psycopg") if url.drivername == "postgresql" else url


def _checked(name: str) -> str:
    if not _DATABASE_NAME.fullmatch(name):
        raise InvalidInputError(
            f"database name {name!r} is not allowed here; use lower-case letters, digits and "
            "underscores, starting with a letter or underscore"
        )
    return name


@contextmanager
def temporary_postgres_database(server_url: str, *, template: str | None = None) -> Iterator[str]:
    """Create a database on the server at ``server_url``; drop it afterwards.

    The database is empty, or a copy of the database named ``template`` (which must
    have no open connections while it is copied). Yields the URL of the new database.
    """
    url = _server(server_url)
    name = f"driftloop_test_{uuid.uuid4().hex[:12]}"
    clause = f' TEMPLATE "{_checked(template)}"' if template else ""
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"{clause}'))
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def postgres_template(server_url: str) -> Iterator[str]:
    """A database migrated to head, for :func:`temporary_postgres_database`; dropped after.

    Yields its name. Each caller gets its own template (one per pytest-xdist worker),
    because PostgreSQL refuses to copy a database that another session is using.
    """
    with temporary_postgres_database(server_url) as url:
        MetadataStore(url).open().dispose()  # no connection left open on the template
        database = make_url(url).database
        assert database is not None
        yield database


@contextmanager
def sqlite_template(folder: Path) -> Iterator[Path]:
    """A SQLite metadata file migrated to head, in ``folder``, for :func:`temporary_workspace`."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "template.db"
    MetadataStore(f"sqlite:///{path}").open().dispose()
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)


def copy_sqlite_template(template: Path, destination: Path) -> str:
    """Copy a migrated SQLite file to ``destination``; return its database URL."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template, destination)
    return f"sqlite:///{destination}"


@contextmanager
def temporary_workspace(
    root: Path, db_url: str | None = None, *, template: Path | None = None
) -> Iterator[Workspace]:
    """A fresh workspace at ``root`` (optionally on another metadata database).

    With ``template`` (from :func:`sqlite_template`), the workspace's own SQLite file
    starts as a copy of it instead of being migrated.
    """
    if template is not None:
        copy_sqlite_template(template, Path(root) / STATE_DIR / "driftloop.db")
    init_workspace(root).close()
    workspace = Workspace(root, db_url=db_url)
    try:
        yield workspace
    finally:
        workspace.close()


@dataclass(frozen=True, slots=True)
class CliResult:
    """What a user of the ``driftloop`` command sees: exit code, stdout and stderr."""

    exit_code: int
    stdout: str
    stderr: str


def invoke_cli(*args: str, input: str | None = None) -> CliResult:
    """Run the ``driftloop`` console entry point in this process, as a shell would.

    Unlike invoking the Typer app, this goes through the entry point's error handling,
    so a test sees the printed message and exit code a user gets; an exception that
    escapes it is printed as the interpreter would (a traceback, exit code 1).
    """
    from typer.testing import CliRunner

    from driftloop.cli import main

    argv = sys.argv
    with CliRunner().isolation(input=input) as (stdout, stderr, _):
        sys.argv = ["driftloop", *args]
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except Exception:
            traceback.print_exc()
            code = 1
        finally:
            sys.argv = argv
        sys.stdout.flush()
        sys.stderr.flush()
        return CliResult(code, stdout.getvalue().decode(), stderr.getvalue().decode())
