"""The shared lifecycle helpers: soft delete stamps, restore by stamp, views, the log."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

import driftloop as dl
from driftloop.store import (
    DatasetRow,
    DatasetVersionRow,
    MetadataStore,
    PurgedVersionRow,
    next_version,
    utcnow,
)
from driftloop.store._lifecycle import (
    lifecycle_events,
    mark_deleted,
    record_event,
    unmark_deleted,
    visible,
)
from driftloop.store._sql import scope_key


def _add_versions(store: MetadataStore, name: str, count: int) -> None:
    now = utcnow()
    with store.session() as session:
        session.add(DatasetRow(name=name, description="", created_at=now))
        session.flush()
        for number in range(1, count + 1):
            session.add(
                DatasetVersionRow(
                    name=name,
                    version=number,
                    digest=f"blake3:{name}{number}",
                    num_rows=1,
                    num_bytes=1,
                    schema={},
                    files=[],
                    created_by="t",
                    created_at=now,
                )
            )


def _names(store: MetadataStore, view: str) -> list[int]:
    with store.read() as session:
        query = select(DatasetVersionRow.version).where(*visible(DatasetVersionRow, view))
        return sorted(session.scalars(query))


def test_a_restore_brings_back_only_what_was_deleted_with_the_same_stamp(db_url: str) -> None:
    store = MetadataStore(db_url).open()
    try:
        _add_versions(store, "flights", 3)
        first, later = utcnow(), utcnow() + timedelta(seconds=1)
        with store.session() as session:
            where = [DatasetVersionRow.version == 1]
            assert mark_deleted(session, DatasetVersionRow, where, "ana", first) == 1
            assert mark_deleted(session, DatasetVersionRow, [], "bo", later) == 2  # 2 and 3
        assert _names(store, "active_only") == []
        assert _names(store, "deleted_only") == [1, 2, 3]
        with store.session() as session:
            assert unmark_deleted(session, DatasetVersionRow, [], later) == 2
        assert _names(store, "active_only") == [2, 3]
        assert _names(store, "all") == [1, 2, 3]
    finally:
        store.dispose()


def test_an_unknown_view_type_is_refused_listing_the_allowed_ones() -> None:
    with pytest.raises(dl.InvalidInputError, match="'active_only', 'deleted_only', 'all'"):
        visible(DatasetVersionRow, "trash")


def test_next_version_never_gives_a_purged_number_again(db_url: str) -> None:
    store = MetadataStore(db_url).open()
    try:
        _add_versions(store, "flights", 2)
        with store.session() as session:
            session.add(
                PurgedVersionRow(
                    table_name="dataset_versions", scope=scope_key({"name": "flights"}), version=5
                )
            )
        with store.session() as session:
            assert next_version(session, DatasetVersionRow.version, name="flights") == 6
            assert next_version(session, DatasetVersionRow.version, name="other") == 1
    finally:
        store.dispose()


def test_the_log_keeps_who_did_what_and_when_oldest_first(db_url: str) -> None:
    store = MetadataStore(db_url).open()
    try:
        at = utcnow()
        with store.session() as session:
            record_event(session, "run", "r1", "delete", "ana", at)
            record_event(session, "run", "r1", "restore", "bo", at, "by mistake")
            record_event(session, "experiment", "e", "delete", "ana", at)
        with store.read() as session:
            events = lifecycle_events(session, kind="run", name="r1")
        assert [(e.action, e.actor, e.reason) for e in events] == [
            ("delete", "ana", ""),
            ("restore", "bo", "by mistake"),
        ]
        assert events[0].at == at
    finally:
        store.dispose()
