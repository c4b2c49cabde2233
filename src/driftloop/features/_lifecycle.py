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

from driftloop.errors import ConflictError
from driftloop.features._offline import dataset_refs
from driftloop.store import FeatureViewRow, MetadataStore
from driftloop.store._deletable import Deletable, delete_object, restore_object
from driftloop.store._lifecycle import LifecycleEvent, UsageCheck, Usages, deleted_message

VIEW = Deletable(
    kind="feature_view",
    noun="feature view",
    row_type=FeatureViewRow,
    rows=lambda name: [FeatureViewRow.name == name],
    listing="driftloop features list --deleted",
    counted="version(s)",
)


def delete_view(
    store: MetadataStore, name: str, user: str, now: datetime, usages: Usages
) -> LifecycleEvent:
    """Delete every version of view ``name``; refused while a live deployment uses it."""
    return delete_object(
        store, VIEW, name, user, now, uses=lambda row: usages.of("feature_view", name)
    )


def restore_view(store: MetadataStore, name: str, user: str, now: datetime) -> LifecycleEvent:
    return restore_object(store, VIEW, name, user, now)


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
