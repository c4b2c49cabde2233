"""Deleting and restoring registered models and their versions (soft delete).

A deleted version is hidden: ``churn@3``, ``churn`` (latest) and ``models:/churn/3`` no
longer find it, lists skip it, and its number is never given again. A version an alias
points at, or one a live deployment serves (or the loop is trying as a challenger), is
refused with what uses it and what to do; a registered model likewise for any of its
versions. Deleting a model deletes its versions; restoring it brings back the versions
deleted with it. A run a version was registered from cannot be deleted while the
version is in the registry (:func:`run_users`, registered with the tracking service).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from driftloop.errors import ConflictError, NotFoundError
from driftloop.store import MetadataStore, ModelAliasRow, ModelVersionRow, RegisteredModelRow
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

# At most this many uses are named in a refusal; the rest are counted.
_SHOWN = 5


def _model(session: Session, name: str) -> RegisteredModelRow:
    row = session.scalar(select(RegisteredModelRow).where(RegisteredModelRow.name == name))
    if row is None:
        raise NotFoundError(
            f"no registered model named {name!r}; see `driftloop models list --deleted`"
        )
    return row


def _version(session: Session, model: RegisteredModelRow, version: int) -> ModelVersionRow:
    row = session.scalar(
        select(ModelVersionRow).where(
            ModelVersionRow.model_id == model.id, ModelVersionRow.version == version
        )
    )
    if row is None:
        raise NotFoundError(
            f"registry has no version {version} of model {model.name!r}; "
            f"see `driftloop models versions {model.name} --deleted`"
        )
    return row


def _alias_uses(session: Session, model: RegisteredModelRow, version: int | None) -> list[str]:
    query = select(ModelAliasRow).where(ModelAliasRow.model_id == model.id)
    if version is not None:
        query = query.where(ModelAliasRow.version == version)
    return [
        f"alias {a.alias!r} points at version {a.version} (move it with `driftloop models "
        f"alias {model.name} VERSION {a.alias}` or remove it with `driftloop models unalias "
        f"{model.name} {a.alias}`)"
        for a in session.scalars(query.order_by(ModelAliasRow.alias))
    ]


def delete_version(
    store: MetadataStore, name: str, version: int, user: str, now: datetime, usages: Usages
) -> LifecycleEvent:
    """Delete one version; refused while an alias, a live deployment or the loop uses it."""
    ref = f"{name}@{version}"
    with store.read() as session:
        model = _model(session, name)
        if model.deleted_at is not None:
            raise ConflictError(deleted_message(f"model {name!r}", model, _restore(name)))
        row = _version(session, model, version)
        if row.deleted_at is not None:
            raise ConflictError(f"model version {ref} is already deleted ({row.deleted_by})")
        aliases = _alias_uses(session, model, version)
    usages.refuse_if_used("model_version", (name, version), f"model version {ref}", aliases)
    with store.session() as session:
        mark_deleted(session, ModelVersionRow, [ModelVersionRow.id == row.id], user, now)
        return record_event(session, "model_version", ref, "delete", user, now)


def restore_version(
    store: MetadataStore, name: str, version: int, user: str, now: datetime
) -> LifecycleEvent:
    ref = f"{name}@{version}"
    with store.session() as session:
        model = _model(session, name)
        if model.deleted_at is not None:
            raise ConflictError(
                f"model version {ref} belongs to a deleted model; restore the model first "
                f"with `{_restore(name)}`"
            )
        row = _version(session, model, version)
        if row.deleted_at is None:
            raise not_deleted(f"model version {ref}")
        unmark_deleted(session, ModelVersionRow, [ModelVersionRow.id == row.id], row.deleted_at)
        return record_event(session, "model_version", ref, "restore", user, now)


def delete_model(
    store: MetadataStore, name: str, user: str, now: datetime, usages: Usages
) -> LifecycleEvent:
    """Delete a model and its versions; refused while any version is in use."""
    with store.read() as session:
        model = _model(session, name)
        if model.deleted_at is not None:
            raise ConflictError(f"model {name!r} is already deleted ({model.deleted_by})")
        aliases = _alias_uses(session, model, None)
    usages.refuse_if_used("model_version", (name, None), f"model {name!r}", aliases)
    with store.session() as session:
        mark_deleted(session, RegisteredModelRow, [RegisteredModelRow.id == model.id], user, now)
        count = mark_deleted(
            session, ModelVersionRow, [ModelVersionRow.model_id == model.id], user, now
        )
        return record_event(session, "model", name, "delete", user, now, f"with {count} version(s)")


def restore_model(store: MetadataStore, name: str, user: str, now: datetime) -> LifecycleEvent:
    """Bring back a deleted model and the versions deleted together with it."""
    with store.session() as session:
        model = _model(session, name)
        if model.deleted_at is None:
            raise not_deleted(f"model {name!r}")
        stamp = model.deleted_at
        unmark_deleted(session, RegisteredModelRow, [RegisteredModelRow.id == model.id], stamp)
        unmark_deleted(session, ModelVersionRow, [ModelVersionRow.model_id == model.id], stamp)
        return record_event(session, "model", name, "restore", user, now)


def _restore(name: str) -> str:
    return f"driftloop models restore {name}"


def refuse_deleted_model(row: RegisteredModelRow) -> None:
    """Registering into, or creating, a model whose name a deleted model holds."""
    if row.deleted_at is not None:
        raise ConflictError(deleted_message(f"model {row.name!r}", row, _restore(row.name)))


def run_users(store: MetadataStore) -> UsageCheck:
    """A usage check for runs: the model versions in the registry registered from them."""

    def check(run_ids: Sequence[str]) -> list[str]:
        with store.read() as session:
            rows = session.execute(
                select(RegisteredModelRow.name, ModelVersionRow.version, ModelVersionRow.run_id)
                .join(RegisteredModelRow, RegisteredModelRow.id == ModelVersionRow.model_id)
                .where(
                    ModelVersionRow.run_id.in_(list(run_ids)), ModelVersionRow.deleted_at.is_(None)
                )
                .order_by(RegisteredModelRow.name, ModelVersionRow.version)
            ).all()
        uses = [
            f"model version {n}@{v} was registered from run {r} (delete the version first: "
            f"`driftloop models delete {n}@{v}`)"
            for n, v, r in rows[:_SHOWN]
        ]
        return uses + ([f"and {len(rows) - _SHOWN} more model version(s)"] if rows[_SHOWN:] else [])

    return check
