from __future__ import annotations

import multiprocessing
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

import driftloop as dl
from driftloop.errors import BackendUnavailableError
from driftloop.store import MetadataStore
from driftloop.store._migrate import head_revision


def test_open_migrates_a_new_database_to_head(empty_db_url: str) -> None:
    store = MetadataStore(empty_db_url)
    assert inspect(store.engine).get_table_names() == []  # really new, not a migrated clone
    store.open()
    with store.engine.connect() as conn:
        assert (
            conn.execute(text("select version_num from alembic_version")).scalar()
            == head_revision()
        )
    assert {"runs", "metrics", "params", "experiments"} <= set(
        inspect(store.engine).get_table_names()
    )
    store.dispose()


def test_database_from_a_newer_driftloop_is_refused_and_left_untouched(db_url: str) -> None:
    store = MetadataStore(db_url).open()
    with store.engine.begin() as conn:
        conn.execute(text("update alembic_version set version_num = 'ffff_future'"))
    store.dispose()
    with pytest.raises(dl.ConflictError, match="newer driftloop") as err:
        MetadataStore(db_url).open()
    assert "pip install -U driftloop" in str(err.value)
    again = MetadataStore(db_url)
    with again.engine.connect() as conn:
        assert (
            conn.execute(text("select version_num from alembic_version")).scalar() == "ffff_future"
        )
    again.dispose()


def test_unreachable_server_gives_a_backend_error() -> None:
    store = MetadataStore("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2")
    with pytest.raises(BackendUnavailableError, match="DRIFTLOOP_DB_URL"):
        store.open()
    store.dispose()


def test_bad_url_is_explained() -> None:
    with pytest.raises(dl.InvalidInputError, match="sqlite:///"):
        MetadataStore("mysql://x/y").open()


def _open(url: str) -> None:
    MetadataStore(url).open().dispose()


@pytest.mark.slow
def test_many_processes_opening_a_new_workspace_at_once_all_succeed(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_open, args=(url,)) for _ in range(6)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0] * 6


def test_the_head_read_from_the_revision_files_is_alembics() -> None:
    from driftloop.store._migrate import head_from_files

    assert head_from_files() == head_revision()


def test_opening_a_store_at_head_does_not_load_alembic(db_url: str, tmp_path: Path) -> None:
    MetadataStore(db_url).open().dispose()  # at head now
    probe = (
        "import sys\nfrom driftloop.store import MetadataStore\n"
        f"MetadataStore({db_url!r}).open().dispose()\n"
        "print('alembic' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
