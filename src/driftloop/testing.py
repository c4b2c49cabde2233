"""Helpers for testing code that uses driftloop (and driftloop's own tests).

Public on purpose: users testing their pipelines need the same throwaway
workspaces and databases that driftloop's suite uses.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from driftloop._workspace import Workspace, init_workspace

__all__ = ["temporary_postgres_database", "temporary_workspace"]


@contextmanager
def temporary_postgres_database(server_url: str) -> Iterator[str]:
    """Create an empty database on the server at ``server_url``; drop it afterwards.

    Yields the URL of the new database.
    """
    url = make_url(server_url)
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    name = f"driftloop_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def temporary_workspace(root: Path, db_url: str | None = None) -> Iterator[Workspace]:
    """A fresh workspace at ``root`` (optionally on another metadata database)."""
    init_workspace(root).close()
    workspace = Workspace(root, db_url=db_url)
    try:
        yield workspace
    finally:
        workspace.close()
