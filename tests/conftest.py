"""Fixtures shared by every test: real workspaces on real databases in temp dirs.

The metadata backend is parametrised: SQLite always; PostgreSQL when
DRIFTLOOP_TEST_POSTGRES_URL is set (CI sets it), otherwise those cases skip and say why.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

import driftloop as dl
from driftloop.testing import temporary_postgres_database, temporary_workspace

POSTGRES_URL = os.environ.get("DRIFTLOOP_TEST_POSTGRES_URL")
REDIS_URL = os.environ.get("DRIFTLOOP_TEST_REDIS_URL")


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No test sees the developer's workspace or leaves a default workspace behind."""
    for name in (
        "DRIFTLOOP_HOME",
        "DRIFTLOOP_DB_URL",
        "DRIFTLOOP_ARTIFACT_URL",
        "DRIFTLOOP_ONLINE_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    yield
    from driftloop.tracking import _fluent

    while (run := _fluent.active_run()) is not None:
        run.end()
    dl.set_workspace(None)


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh metadata database URL on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'meta.db'}"
        return
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL run needs DRIFTLOOP_TEST_POSTGRES_URL (set by .ci/run)")
    with temporary_postgres_database(POSTGRES_URL) as url:
        yield url


@pytest.fixture
def workspace(tmp_path: Path, db_url: str) -> Iterator[dl.Workspace]:
    """A new workspace, set as the default, on each metadata backend."""
    with temporary_workspace(tmp_path / "ws", db_url=db_url) as ws:
        dl.set_workspace(ws)
        yield ws
        dl.set_workspace(None)


@pytest.fixture
def sqlite_workspace(tmp_path: Path) -> Iterator[dl.Workspace]:
    """A new default-configured workspace (SQLite, local files), set as the default."""
    with temporary_workspace(tmp_path / "ws") as ws:
        dl.set_workspace(ws)
        yield ws
        dl.set_workspace(None)
