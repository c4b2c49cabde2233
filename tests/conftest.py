"""Fixtures shared by every test: real workspaces on real databases in temp dirs.

The metadata backend is parametrised: SQLite always; PostgreSQL when
DRIFTLOOP_TEST_POSTGRES_URL is set (CI sets it), otherwise those cases skip and say why.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

import driftloop as dl
from driftloop.testing import (
    copy_sqlite_template,
    postgres_template,
    sqlite_template,
    temporary_postgres_database,
    temporary_workspace,
)

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
    # Importing a pipeline target appends the folders it was looked for in to sys.path.
    monkeypatch.setattr(sys, "path", [*sys.path])
    yield
    from driftloop.tracking import _fluent

    while (run := _fluent.active_run()) is not None:
        run.end()
    dl.set_workspace(None)


_RETRAIN = """
import driftloop as dl

@dl.step
def fit() -> int:
    return 1

@dl.pipeline
def retrain():
    fit()
"""


@pytest.fixture
def retrain_target() -> str:
    """A pipeline a trigger or loop policy can name, ``flows.py:retrain`` in the current
    folder: what they name is checked when they are declared. Nothing here runs it."""
    (Path.cwd() / "flows.py").write_text(_RETRAIN, encoding="utf-8")
    return "flows.py:retrain"


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A SQLite metadata file migrated once per session (per xdist worker), copied per test."""
    with sqlite_template(tmp_path_factory.mktemp("sqlite-template")) as path:
        yield path


@pytest.fixture(scope="session")
def migrated_postgres() -> Iterator[str]:
    """A migrated PostgreSQL template, one per session (so one per xdist worker)."""
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL run needs DRIFTLOOP_TEST_POSTGRES_URL (set by .ci/run)")
    with postgres_template(POSTGRES_URL) as name:
        yield name


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path, migrated_sqlite: Path) -> Iterator[str]:
    """A fresh, migrated metadata database URL on each backend (cloned, not migrated)."""
    if request.param == "sqlite":
        yield copy_sqlite_template(migrated_sqlite, tmp_path / "meta.db")
        return
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL run needs DRIFTLOOP_TEST_POSTGRES_URL (set by .ci/run)")
    template = request.getfixturevalue("migrated_postgres")
    with temporary_postgres_database(POSTGRES_URL, template=template) as url:
        yield url


@pytest.fixture(params=["sqlite", "postgres"])
def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A new database with no tables on each backend, for tests of migrating itself."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL run needs DRIFTLOOP_TEST_POSTGRES_URL (set by .ci/run)")
    with temporary_postgres_database(POSTGRES_URL) as url:
        yield url


@pytest.fixture
def workspace(tmp_path: Path, db_url: str, migrated_sqlite: Path) -> Iterator[dl.Workspace]:
    """A new workspace, set as the default, on each metadata backend."""
    with temporary_workspace(tmp_path / "ws", db_url=db_url, template=migrated_sqlite) as ws:
        dl.set_workspace(ws)
        yield ws
        dl.set_workspace(None)


@pytest.fixture
def sqlite_workspace(tmp_path: Path, migrated_sqlite: Path) -> Iterator[dl.Workspace]:
    """A new default-configured workspace (SQLite, local files), set as the default."""
    with temporary_workspace(tmp_path / "ws", template=migrated_sqlite) as ws:
        dl.set_workspace(ws)
        yield ws
        dl.set_workspace(None)


@pytest.fixture
def webhook_receiver() -> Iterator[tuple[str, list[dict[str, object]]]]:
    """A real HTTP server on 127.0.0.1 that keeps the JSON bodies POSTed to it: its URL
    and the bodies received, in order."""
    received: list[dict[str, object]] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append(json.loads(body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", received
    server.shutdown()
    server.server_close()
    thread.join()
