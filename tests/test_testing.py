"""`dl.testing`: the throwaway databases and workspaces tests are built on."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import OperationalError

import driftloop as dl
from driftloop.store._migrate import head_revision
from driftloop.testing import (
    invoke_cli,
    postgres_template,
    sqlite_template,
    temporary_postgres_database,
    temporary_workspace,
)

POSTGRES_URL = os.environ.get("DRIFTLOOP_TEST_POSTGRES_URL")


def _revision(url: str) -> str | None:
    engine = create_engine(url)
    try:
        if "alembic_version" not in inspect(engine).get_table_names():
            return None
        with engine.connect() as conn:
            return conn.execute(text("select version_num from alembic_version")).scalar()
    finally:
        engine.dispose()


def test_sqlite_template_is_migrated_and_copied_into_new_workspaces(tmp_path: Path) -> None:
    with sqlite_template(tmp_path / "tpl") as template:
        assert _revision(f"sqlite:///{template}") == head_revision()
        with temporary_workspace(tmp_path / "a", template=template) as ws:
            ws.tracking.get_or_create_experiment("only-in-a")
        with temporary_workspace(tmp_path / "b", template=template) as other:
            # Each workspace has its own copy: nothing written in a is in b.
            assert "only-in-a" not in [e.name for e in other.tracking.list_experiments()]
        assert _revision(f"sqlite:///{template}") == head_revision()  # template untouched


@pytest.mark.skipif(not POSTGRES_URL, reason="needs DRIFTLOOP_TEST_POSTGRES_URL (set by .ci/run)")
def test_postgres_clones_are_migrated_copies_and_dropped_after() -> None:
    assert POSTGRES_URL is not None
    with postgres_template(POSTGRES_URL) as template:
        with temporary_postgres_database(POSTGRES_URL, template=template) as url:
            assert _revision(url) == head_revision()  # migrated before anyone opened it
        with temporary_postgres_database(POSTGRES_URL) as empty:
            assert _revision(empty) is None
    gone = create_engine(url)
    with pytest.raises(OperationalError, match="does not exist"):
        gone.connect()  # the clone was dropped
    gone.dispose()


def test_unsafe_template_names_are_refused_before_any_sql() -> None:
    unreachable = "postgresql+psycopg://nobody@127.0.0.1:1/none"
    refused = pytest.raises(dl.InvalidInputError, match="database name 'x\"; drop' is not allowed")
    with refused, temporary_postgres_database(unreachable, template='x"; drop'):
        pass


def test_invoke_cli_shows_what_a_user_sees(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ok = invoke_cli("init", str(tmp_path / "proj"), "--json")
    assert ok.exit_code == 0 and '"root"' in ok.stdout
    monkeypatch.chdir(tmp_path / "proj")
    refused = invoke_cli("data", "show", "nope@1")
    assert refused.exit_code == 1
    assert refused.stderr.startswith("error: ") and "nope" in refused.stderr
    assert "Traceback" not in refused.stderr
