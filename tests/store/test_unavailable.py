"""A metadata store that goes away after the workspace opened: a clear driftloop error."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import create_engine, make_url, text

import driftloop as dl
from driftloop.errors import BackendUnavailableError

POSTGRES_URL = os.environ.get("DRIFTLOOP_TEST_POSTGRES_URL")


def _run_with_a_metric() -> str:
    with dl.start_run() as run:
        dl.log_metric("m", 1.0)
    return run.id


def _admin_execute(sql: str, **params: object) -> object:
    if not POSTGRES_URL:
        pytest.skip("needs DRIFTLOOP_TEST_POSTGRES_URL")
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            result = conn.execute(text(sql), params)
            return result.scalar() if result.returns_rows else None
    finally:
        admin.dispose()


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_terminated_postgres_connections_are_replaced(workspace: dl.Workspace) -> None:
    assert workspace.store.dialect == "postgresql"
    run_id = _run_with_a_metric()
    database = make_url(workspace.store.url).database
    killed = _admin_execute(
        "select count(pg_terminate_backend(pid)) from pg_stat_activity "
        "where datname = :d and pid <> pg_backend_pid()",
        d=database,
    )
    assert isinstance(killed, int) and killed >= 1
    assert dl.get_run(run_id).metrics == {"m": 1.0}


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_a_dropped_postgres_database_is_backend_unavailable(workspace: dl.Workspace) -> None:
    assert workspace.store.dialect == "postgresql"
    run_id = _run_with_a_metric()
    database = make_url(workspace.store.url).database
    _admin_execute(f'DROP DATABASE "{database}" WITH (FORCE)')
    with pytest.raises(BackendUnavailableError) as err:
        dl.get_run(run_id)
    message = str(err.value)
    assert workspace.store.display_url in message and "DRIFTLOOP_DB_URL" in message
    assert "does not exist" in message and err.value.__cause__ is not None
    with pytest.raises(BackendUnavailableError):
        dl.start_run().end()


def test_a_damaged_sqlite_file_is_backend_unavailable(sqlite_workspace: dl.Workspace) -> None:
    run_id = _run_with_a_metric()
    state = sqlite_workspace.settings.state_dir
    for path in state.glob("driftloop.db*"):
        path.write_bytes(b"not a database " * 1000)
    with pytest.raises(BackendUnavailableError, match="file is not a database") as err:
        dl.get_run(run_id)
    assert "driftloop.db" in str(err.value) and "not damaged" in str(err.value)
