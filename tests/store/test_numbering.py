"""Version numbering under concurrent writers: versions 1..N, none lost, no raw errors."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pytest

import driftloop as dl
from driftloop.data import DatasetVersion
from driftloop.store import (
    DatasetRow as _DatasetRow,
)
from driftloop.store import (
    DatasetVersionRow,
    MetadataStore,
    RegisteredModelRow,
    insert_ignore,
    next_version,
    retry_on_conflict,
)

WRITERS = 8


def _frame(i: int) -> pd.DataFrame:
    return pd.DataFrame({"x": [i, i + 1], "y": [float(i), 0.5]})


def test_concurrent_log_dataset_rounds_number_every_writer(workspace: dl.Workspace) -> None:
    # Each writer has its own workspace (its own engine), as separate processes would.
    others = [dl.Workspace(workspace.root, db_url=workspace.store.url) for _ in range(WRITERS)]
    try:
        with ThreadPoolExecutor(WRITERS) as pool:
            for round_ in range(12):
                name = f"round{round_}"

                def log(i: int, name: str = name, round_: int = round_) -> DatasetVersion:
                    return others[i].datasets.log(name, _frame(100 * round_ + i), profile=False)

                versions = list(pool.map(log, range(WRITERS)))
                assert sorted(v.version for v in versions) == list(range(1, WRITERS + 1))
                stored = workspace.datasets.versions(name)
                assert sorted(v.version for v in stored) == list(range(1, WRITERS + 1))
    finally:
        for ws in others:
            ws.close()


def test_next_version_numbers_raw_sessions_of_many_threads(db_url: str) -> None:
    store = MetadataStore(db_url).open()

    def write(i: int) -> int:
        def attempt() -> int:
            with store.session() as session:
                insert_ignore(
                    session,
                    _DatasetRow,
                    {"name": "n", "description": "", "created_at": dl_now()},
                )
                number = next_version(session, DatasetVersionRow.version, name="n")
                session.add(_version_row(number, i))
            return number

        return retry_on_conflict(attempt, what="a test version")

    try:
        with ThreadPoolExecutor(WRITERS) as pool:
            numbers = list(pool.map(write, range(40)))
        assert sorted(numbers) == list(range(1, 41))
    finally:
        store.dispose()


def dl_now():  # type: ignore[no-untyped-def]
    from driftloop.store import utcnow

    return utcnow()


def _version_row(number: int, i: int) -> DatasetVersionRow:
    return DatasetVersionRow(
        name="n",
        version=number,
        digest=f"d{i}",
        num_rows=0,
        num_bytes=0,
        schema={},
        files=[],
        profile=None,
        source=None,
        description="",
        parent_version=None,
        created_by="t",
        run_id=None,
        created_at=dl_now(),
    )


def test_retry_on_conflict_gives_up_with_a_conflict_error(db_url: str) -> None:
    store = MetadataStore(db_url).open()
    calls = []

    def attempt() -> None:
        calls.append(1)
        with store.session() as session:
            for _ in range(2):  # the same unique name twice always collides
                session.add(
                    RegisteredModelRow(
                        name="m",
                        description="",
                        tags={},
                        created_by="t",
                        created_at=dl_now(),
                        updated_at=dl_now(),
                    )
                )
                session.flush()

    try:
        with pytest.raises(dl.ConflictError, match="could not write the model 'm'") as err:
            retry_on_conflict(attempt, what="the model 'm'", attempts=3)
        assert len(calls) == 3 and err.value.__cause__ is not None
    finally:
        store.dispose()


def _log_in_process(root: str, db_url: str, i: int, name: str) -> None:
    ws = dl.Workspace(Path(root), db_url=db_url)
    try:
        ws.datasets.log(name, _frame(i), profile=False)
    finally:
        ws.close()


@pytest.mark.slow
def test_concurrent_log_dataset_from_processes(workspace: dl.Workspace) -> None:
    ctx = multiprocessing.get_context("spawn")
    for round_ in range(1):
        name = f"proc{round_}"
        procs = [
            ctx.Process(
                target=_log_in_process,
                args=(str(workspace.root), workspace.store.url, 10 * round_ + i, name),
            )
            for i in range(WRITERS)
        ]
        for p in procs:
            p.start()
        for p in procs:
            p.join(120)
        assert [p.exitcode for p in procs] == [0] * WRITERS
        stored = workspace.datasets.versions(name)
        assert sorted(v.version for v in stored) == list(range(1, WRITERS + 1))
