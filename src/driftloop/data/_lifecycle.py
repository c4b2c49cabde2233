"""Deleting and restoring datasets and dataset versions (soft delete).

``flights@2`` deleted: it no longer reads (``get``, SQL, training sets), lists skip it,
``flights`` (the latest) means the newest version kept, so feature views reading
``flights`` go back to the version before, and its number is never given again. The
same content logged again is refused rather than silently undeleted. ``flights``
deleted: every version goes, the name stays taken until ``driftloop gc``.

Refused, naming the user and what to do: a version pinned as a monitor's reference or a
loop policy's holdout, and a dataset (or its last version kept) that a feature view
reads; those checks are registered by the contexts above (``Usages``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from driftloop.data._models import parse_dataset_ref
from driftloop.errors import ConflictError, InvalidInputError, NotFoundError
from driftloop.store import DatasetRow, DatasetVersionRow, MetadataStore
from driftloop.store._lifecycle import (
    LifecycleEvent,
    Usages,
    deleted_message,
    mark_deleted,
    not_deleted,
    record_event,
    unmark_deleted,
)


def target(ref: str) -> tuple[str, int | None]:
    """``NAME`` (the dataset, every version) or ``NAME@VERSION``; ``@latest`` is refused,
    so a typo never deletes more than was meant."""
    parsed = parse_dataset_ref(ref)
    if parsed.version is None and "@" in ref:
        raise InvalidInputError(
            f"{ref!r} is ambiguous here; give NAME (the dataset, every version) or "
            f"NAME@VERSION (one version), e.g. {parsed.name}@3"
        )
    return parsed.name, parsed.version


def _dataset(session: Session, name: str) -> DatasetRow:
    row = session.get(DatasetRow, name)
    if row is None:
        raise NotFoundError(f"there is no dataset {name!r}; see `driftloop data list --deleted`")
    return row


def _version(session: Session, name: str, version: int) -> DatasetVersionRow:
    row = session.scalar(
        select(DatasetVersionRow).where(
            DatasetVersionRow.name == name, DatasetVersionRow.version == version
        )
    )
    if row is None:
        raise NotFoundError(
            f"dataset {name!r} has no version {version}; "
            f"see `driftloop data versions {name} --deleted`"
        )
    return row


def delete(
    store: MetadataStore, ref: str, user: str, now: datetime, usages: Usages
) -> LifecycleEvent:
    """Delete the dataset ``NAME`` (every version) or the version ``NAME@VERSION``."""
    name, version = target(ref)
    with store.read() as session:
        dataset = _dataset(session, name)
        if dataset.deleted_at is not None:
            raise ConflictError(f"dataset {name!r} is already deleted ({dataset.deleted_by})")
        if version is not None:
            row = _version(session, name, version)
            if row.deleted_at is not None:
                raise ConflictError(f"{name}@{version} is already deleted ({row.deleted_by})")
            kept = session.scalar(
                select(func.count()).where(
                    DatasetVersionRow.name == name, DatasetVersionRow.deleted_at.is_(None)
                )
            )
    # The last version kept goes: what reads the dataset by name loses it too.
    whole = version is None or kept == 1
    what = f"dataset {name!r}" if version is None else f"dataset version {name}@{version}"
    usages.refuse_if_used("dataset", (name, None if whole else version), what)
    with store.session() as session:
        if version is None:
            mark_deleted(session, DatasetRow, [DatasetRow.name == name], user, now)
            count = mark_deleted(
                session, DatasetVersionRow, [DatasetVersionRow.name == name], user, now
            )
            return record_event(
                session, "dataset", name, "delete", user, now, f"with {count} version(s)"
            )
        where = [DatasetVersionRow.name == name, DatasetVersionRow.version == version]
        mark_deleted(session, DatasetVersionRow, where, user, now)
        return record_event(session, "dataset_version", f"{name}@{version}", "delete", user, now)


def restore(store: MetadataStore, ref: str, user: str, now: datetime) -> LifecycleEvent:
    """Restore the dataset ``NAME`` (with the versions deleted with it) or one version."""
    name, version = target(ref)
    with store.session() as session:
        dataset = _dataset(session, name)
        if version is None:
            if dataset.deleted_at is None:
                raise not_deleted(f"dataset {name!r}")
            stamp = dataset.deleted_at
            unmark_deleted(session, DatasetRow, [DatasetRow.name == name], stamp)
            unmark_deleted(session, DatasetVersionRow, [DatasetVersionRow.name == name], stamp)
            return record_event(session, "dataset", name, "restore", user, now)
        if dataset.deleted_at is not None:
            raise ConflictError(
                f"{name}@{version} belongs to dataset {name!r}, which is deleted; restore it "
                f"first with `driftloop data restore {name}`"
            )
        row = _version(session, name, version)
        if row.deleted_at is None:
            raise not_deleted(f"dataset version {name}@{version}")
        where = [DatasetVersionRow.id == row.id]
        unmark_deleted(session, DatasetVersionRow, where, row.deleted_at)
        return record_event(session, "dataset_version", f"{name}@{version}", "restore", user, now)


def refuse_deleted_log(session: Session, name: str, digest: str) -> None:
    """Logging into a deleted dataset, or content that is a deleted version, is refused:
    logging it again must not undo someone's delete without saying so."""
    dataset = session.get(DatasetRow, name)
    if dataset is not None and dataset.deleted_at is not None:
        restore = f"driftloop data restore {name}"
        raise ConflictError(deleted_message(f"dataset {name!r}", dataset, restore))
    row = session.scalar(
        select(DatasetVersionRow).where(
            DatasetVersionRow.name == name,
            DatasetVersionRow.digest == digest,
            DatasetVersionRow.deleted_at.is_not(None),
        )
    )
    if row is not None:
        ref = f"{name}@{row.version}"
        raise ConflictError(
            f"this content is {ref}, which was not logged again: "
            + deleted_message(ref, row, f"driftloop data restore {ref}")
        )


def missing_message(row: DatasetRow | DatasetVersionRow, ref: str) -> str:
    """Why a deleted dataset or version does not read, and how to get it back."""
    return deleted_message(f"dataset {ref!r}", row, f"driftloop data restore {ref}")
