"""The writer: never blocks, drops exactly what the full queue refused, loses nothing on close."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any, BinaryIO

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

import driftloop as dl
from driftloop._duckdb import quote_identifier
from driftloop.artifacts import Blob, open_blob_store
from driftloop.errors import BackendUnavailableError
from driftloop.serving import PredictionLogWriter
from driftloop.store import MetadataStore
from driftloop.store._prediction_rows import PredictionSegmentRow
from driftloop.testing import temporary_postgres_database


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    pause = threading.Event()
    for _ in range(int(timeout / 0.01)):
        if condition():
            return
        pause.wait(0.01)
    raise AssertionError("condition not met in time")


def logged_ids(ws: dl.Workspace) -> list[str]:
    rows = ws.predictions.relation("flights").project("request_id").fetchall()
    return [r[0] for r in rows]


def submit_concurrently(
    writer: PredictionLogWriter, record: Any, threads: int, each: int
) -> set[str]:
    barrier = threading.Barrier(threads)
    accepted: list[set[str]] = [set() for _ in range(threads)]

    def work(n: int) -> None:
        barrier.wait()
        for i in range(each):
            item = record(request_id=f"t{n}-{i}")
            if writer.submit(item):
                accepted[n].add(item.request_id)

    workers = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return set().union(*accepted)


def test_a_full_queue_drops_and_counts_exactly_what_it_refused(
    workspace: dl.Workspace, record: Any
) -> None:
    writer = PredictionLogWriter(workspace.blobs, workspace.store, max_queue=5)
    accepted = submit_concurrently(writer, record, threads=8, each=50)  # not started: fills
    stats = writer.stats()
    assert (len(accepted), stats.accepted, stats.dropped, stats.queue_depth) == (5, 5, 395, 5)
    writer.close()
    assert writer.stats().written_rows == 5
    assert sorted(logged_ids(workspace)) == sorted(accepted)


def test_under_concurrent_load_every_record_is_either_logged_or_counted_dropped(
    sqlite_workspace: dl.Workspace, record: Any
) -> None:
    ws = sqlite_workspace
    writer = PredictionLogWriter(ws.blobs, ws.store, max_queue=4, segment_rows=50).start()
    accepted = submit_concurrently(writer, record, threads=8, each=200)
    writer.close()
    stats = writer.stats()
    assert stats.accepted + stats.dropped == 1600
    assert stats.accepted == len(accepted)
    assert stats.written_rows == len(accepted)
    assert sorted(logged_ids(ws)) == sorted(accepted)


def test_segments_are_cut_by_size_and_the_rest_on_flush(
    sqlite_workspace: dl.Workspace, record: Any
) -> None:
    ws = sqlite_workspace
    writer = PredictionLogWriter(ws.blobs, ws.store, segment_rows=10).start()
    for i in range(25):
        writer.submit(record(minutes=i))
    assert writer.flush()
    with ws.store.read() as session:
        counts = session.scalars(
            select(PredictionSegmentRow.row_count).order_by(PredictionSegmentRow.id)
        ).all()
    assert counts == [10, 10, 5]
    assert writer.stats().written_rows == 25
    writer.close()


def test_a_buffer_is_written_once_its_oldest_record_is_max_age_old(
    sqlite_workspace: dl.Workspace, record: Any, clock: Any
) -> None:
    ws = sqlite_workspace
    writer = PredictionLogWriter(
        ws.blobs, ws.store, max_age=timedelta(seconds=60), poll_interval=0.01, clock=clock
    ).start()
    writer.submit(record())
    clock.advance(seconds=30)
    writer.submit(record())
    wait_until(lambda: writer.stats().pending_rows == 2)
    assert writer.stats().segments == 0  # 30 s old: not yet
    clock.advance(seconds=31)
    wait_until(lambda: writer.stats().segments == 1)
    assert writer.stats().written_rows == 2
    writer.close()


def test_separate_segments_per_model_version_and_route(
    sqlite_workspace: dl.Workspace, record: Any
) -> None:
    ws = sqlite_workspace
    writer = PredictionLogWriter(ws.blobs, ws.store).start()
    for version, route in [(1, "primary"), (2, "canary"), (1, "shadow"), (1, "primary")]:
        writer.submit(record(model_version=version, route=route))
    writer.close()
    with ws.store.read() as session:
        keys = session.execute(
            select(PredictionSegmentRow.model_version, PredictionSegmentRow.route)
        ).all()
    assert sorted(keys) == [(1, "primary"), (1, "shadow"), (2, "canary")]


def test_close_drains_everything_and_later_submits_are_counted_dropped(
    workspace: dl.Workspace, record: Any
) -> None:
    writer = PredictionLogWriter(
        workspace.blobs, workspace.store, max_age=timedelta(days=1)
    ).start()
    ids = {r.request_id for r in (record(rows=2) for _ in range(100)) if writer.submit(r)}
    writer.close()
    assert writer.submit(record()) is False
    stats = writer.stats()
    assert (stats.written_rows, stats.dropped, stats.pending_rows) == (200, 1, 0)
    assert set(logged_ids(workspace)) == ids


class RefusingBlobs:
    """An artifact store that is away: every write fails."""

    def put_file(self, path: Path) -> Blob:
        raise BackendUnavailableError("the artifact store is away")

    def put_stream(self, stream: BinaryIO) -> Blob:
        raise BackendUnavailableError("the artifact store is away")

    def put_bytes(self, data: bytes) -> Blob:
        raise BackendUnavailableError("the artifact store is away")


def test_a_segment_the_artifact_store_refuses_is_counted_failed_and_never_indexed(
    sqlite_workspace: dl.Workspace, record: Any
) -> None:
    ws = sqlite_workspace
    writer = PredictionLogWriter(RefusingBlobs(), ws.store).start()
    for _ in range(3):
        writer.submit(record())
    writer.close()
    stats = writer.stats()
    assert (stats.failed_rows, stats.written_rows, stats.segments) == (3, 0, 0)
    with ws.store.read() as session:
        assert session.scalars(select(PredictionSegmentRow)).all() == []


def test_bad_sizes_are_refused() -> None:
    with pytest.raises(dl.InvalidInputError, match="max_queue"):
        PredictionLogWriter(RefusingBlobs(), None, max_queue=0)  # type: ignore[arg-type]


def test_segments_wait_for_a_metadata_store_that_is_away_and_are_indexed_once_it_is_back(
    tmp_path: Path, migrated_postgres: str, record: Any, clock: Any
) -> None:
    server = os.environ["DRIFTLOOP_TEST_POSTGRES_URL"]
    with temporary_postgres_database(server, template=migrated_postgres) as url:
        store = MetadataStore(url).open()
        name = quote_identifier(str(make_url(url).database))  # generated: driftloop_test_<hex>
        admin = create_engine(server, isolation_level="AUTOCOMMIT")
        writer = PredictionLogWriter(
            open_blob_store(f"file://{tmp_path / 'blobs'}"), store, poll_interval=0.01, clock=clock
        ).start()
        try:
            with admin.connect() as conn:  # the database refuses every session
                conn.execute(text(f"ALTER DATABASE {name} WITH ALLOW_CONNECTIONS false"))
                conn.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :d"
                    ),
                    {"d": make_url(url).database},
                )
            for _ in range(5):
                writer.submit(record())
            assert writer.flush() is False
            assert (writer.stats().written_rows, writer.stats().pending_rows) == (0, 5)
            with admin.connect() as conn:
                conn.execute(text(f"ALTER DATABASE {name} WITH ALLOW_CONNECTIONS true"))
            clock.advance(seconds=2)  # past the retry pause
            wait_until(lambda: writer.stats().written_rows == 5)
            writer.close()
            with store.read() as session:
                assert session.scalars(select(PredictionSegmentRow.row_count)).all() == [5]
            assert writer.stats().failed_rows == 0
        finally:
            writer.close()
            store.dispose()
            admin.dispose()
