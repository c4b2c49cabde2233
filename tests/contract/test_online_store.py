"""One contract for every online store backend: SQLite always, Redis when configured."""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from driftloop.features._online import open_online_store
from driftloop.features._protocols import OnlineStore

REDIS_URL = os.environ.get("DRIFTLOOP_TEST_REDIS_URL")


@pytest.fixture(params=["sqlite", "redis"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[OnlineStore]:
    if request.param == "sqlite":
        online = open_online_store(f"sqlite:///{tmp_path / 'online.db'}")
    else:
        if not REDIS_URL:
            pytest.skip("Redis run needs DRIFTLOOP_TEST_REDIS_URL (set by .ci/run)")
        online = open_online_store(REDIS_URL)
        online.prefix = f"dltest{uuid.uuid4().hex[:8]}"  # type: ignore[attr-defined]
    yield online
    for view in ("v", "w"):
        online.delete_view(view)
    online.close()


def test_unknown_key_reads_none(store: OnlineStore) -> None:
    assert store.read("v", ['["nobody"]']) == [None]
    assert store.read("v", ['["a"]', '["b"]']) == [None, None]


def test_written_values_read_back_in_key_order(store: OnlineStore) -> None:
    assert store.write("v", [('["a"]', 10.0, '{"x":1}'), ('["b"]', 11.5, '{"x":2}')]) == 2
    assert store.read("v", ['["b"]', '["zz"]', '["a"]']) == [
        (11.5, '{"x":2}'),
        None,
        (10.0, '{"x":1}'),
    ]
    assert store.read("v", ['["a"]']) == [(10.0, '{"x":1}')]


def test_older_row_never_replaces_newer(store: OnlineStore) -> None:
    store.write("v", [('["a"]', 20.0, '{"x":"new"}')])
    store.write("v", [('["a"]', 10.0, '{"x":"old"}')])
    assert store.read("v", ['["a"]']) == [(20.0, '{"x":"new"}')]
    store.write("v", [('["a"]', 20.0, '{"x":"same-time"}'), ('["a"]', 30.0, '{"x":"later"}')])
    assert store.read("v", ['["a"]']) == [(30.0, '{"x":"later"}')]


def test_static_rows_always_replace(store: OnlineStore) -> None:
    store.write("v", [('["p"]', None, '{"seats":1}')])
    store.write("v", [('["p"]', None, '{"seats":2}')])
    assert store.read("v", ['["p"]']) == [(None, '{"seats":2}')]


def test_views_are_separate_and_delete_forgets_one(store: OnlineStore) -> None:
    store.write("v", [('["a"]', 1.0, '{"x":1}')])
    store.write("w", [('["a"]', 1.0, '{"y":1}')])
    store.delete_view("v")
    assert store.read("v", ['["a"]']) == [None]
    assert store.read("w", ['["a"]']) == [(1.0, '{"y":1}')]


def test_large_batches_and_unicode_keys(store: OnlineStore) -> None:
    rows = [(f'["k{i}é"]', float(i), f'{{"i":{i}}}') for i in range(5_000)]
    assert store.write("v", rows) == 5_000
    keys = [r[0] for r in rows[::997]]
    assert [v[1] if v else None for v in store.read("v", keys)] == [r[2] for r in rows[::997]]


def test_concurrent_writers_keep_the_newest_value(store: OnlineStore) -> None:
    def write(offset: int) -> None:
        for t in range(offset, 60, 3):
            store.write("v", [('["a"]', float(t), f'{{"t":{t}}}')])

    threads = [threading.Thread(target=write, args=(i,)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.read("v", ['["a"]']) == [(59.0, '{"t":59}')]


def test_close_then_use_again_reconnects(store: OnlineStore) -> None:
    store.write("v", [('["a"]', 1.0, "{}")])
    store.close()
    assert store.read("v", ['["a"]']) == [(1.0, "{}")]
