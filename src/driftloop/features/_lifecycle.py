"""Deleting and restoring feature views (every version of one), and what reads datasets.

A deleted view is gone from lists, training sets, materialization and online lookups;
its name stays taken (``features apply`` of a file that still defines it says so) until
``driftloop gc`` purges it, together with its values in the online store. A view whose
features a live deployment looks up online cannot be deleted (serving's check).
:func:`dataset_users` is the feature store's check for deleting datasets.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from driftloop.errors import ConflictError, NotFoundError
from driftloop.features._offline import dataset_refs
from driftloop.store import FeatureViewRow, MetadataStore
from driftloop.store._lifecycle import (
    LifecycleEvent,
    UsageCheck,
    Usages,
    deleted_message,
    mark_deleted,
    not_deleted,
    record_event,
    unmark_deleted,
)


def _newest(session: Session, name: str) -> FeatureViewRow:
    row = session.scalar(
        select(FeatureViewRow)
        .where(FeatureViewRow.name == name)
        .order_by(FeatureViewRow.version.desc())
        .limit(1)
    )
    if row is None:
        raise NotFoundError(
            f"there is no feature view {name!r}; see `driftloop features list --deleted`"
        )
    return row


def delete_view(
    store: MetadataStore, name: str, user: str, now: datetime, usages: Usages
) -> LifecycleEvent:
    """Delete every version of view ``name``; refused while a live deployment uses it."""
    with store.read() as session:
        newest = _newest(session, name)
        if newest.deleted_at is not None:
            raise ConflictError(f"feature view {name!r} is already deleted ({newest.deleted_by})")
    usages.refuse_if_used("feature_view", name, f"feature view {name!r}")
    with store.session() as session:
        count = mark_deleted(session, FeatureViewRow, [FeatureViewRow.name == name], user, now)
        reason = f"with {count} version(s)"
        return record_event(session, "feature_view", name, "delete", user, now, reason)


def restore_view(store: MetadataStore, name: str, user: str, now: datetime) -> LifecycleEvent:
    with store.session() as session:
        newest = _newest(session, name)
        if newest.deleted_at is None:
            raise not_deleted(f"feature view {name!r}")
        where = [FeatureViewRow.name == name]
        unmark_deleted(session, FeatureViewRow, where, newest.deleted_at)
        return record_event(session, "feature_view", name, "restore", user, now)


def refuse_deleted_views(store: MetadataStore, names: Iterable[str]) -> None:
    """Applying a definition whose name a deleted view holds: restore or purge it first."""
    with store.read() as session:
        row = session.scalar(
            select(FeatureViewRow)
            .where(FeatureViewRow.name.in_(list(names)), FeatureViewRow.deleted_at.is_not(None))
            .limit(1)
        )
    if row is not None:
        restore = f"driftloop features restore {row.name}"
        raise ConflictError(
            deleted_message(f"feature view {row.name!r}", row, restore)
            + "; or remove it from the definitions"
        )


def dataset_users(store: MetadataStore) -> UsageCheck:
    """A usage check for datasets, keyed (dataset, version or None for all): the views
    whose source reads it (by name when the whole dataset goes, else pinned to it)."""

    def check(key: tuple[str, int | None]) -> list[str]:
        from driftloop.features._catalog import FeatureCatalog

        name, version = key
        views = [v.view for v in FeatureCatalog(store, "").latest()]
        return [
            f"feature view {view.name!r} reads {ref} (delete it first with `driftloop features "
            f"delete {view.name}`, or point its source elsewhere and apply)"
            for view in views
            for ref, (ref_name, ref_version) in dataset_refs(view)
            if ref_name == name and (version is None or ref_version == version)
        ]

    return check
