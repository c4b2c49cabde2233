"""Deleting and restoring runs and experiments, as MLflow does (soft delete).

A deleted run is hidden from searches and lists, and so are its nested runs, which go
with it; ``dl.get_run`` still reads it (``deleted_at``, ``deleted_by``), and nothing of
it is removed until ``driftloop gc``. Deleting an experiment deletes its runs; its name
stays taken until it is purged. A restore brings back what was deleted together: the
experiment with the runs that went with it, not a run deleted on its own before.

A run that registered a model version still in the registry is refused (the version's
lineage leads to it); the registry registers that check (see ``Usages``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from driftloop.errors import ConflictError, NotFoundError
from driftloop.store import ExperimentRow, MetadataStore, RunRow
from driftloop.store._lifecycle import (
    LifecycleEvent,
    Usages,
    deleted_message,
    mark_deleted,
    not_deleted,
    record_event,
    unmark_deleted,
)


def _run_row(session: Session, run_id: str) -> RunRow:
    row = session.get(RunRow, run_id)
    if row is None:
        raise NotFoundError(f"no run with id {run_id!r}; see `driftloop runs list`")
    return row


def _experiment_row(session: Session, name: str) -> ExperimentRow:
    row = session.scalar(select(ExperimentRow).where(ExperimentRow.name == name))
    if row is None:
        raise NotFoundError(
            f"no experiment named {name!r}; see `driftloop experiments list --deleted`"
        )
    return row


def _with_nested(session: Session, run_ids: Sequence[str]) -> list[str]:
    """``run_ids`` and every active run nested under them, at any depth."""
    found, level = list(run_ids), list(run_ids)
    while level:
        level = list(
            session.scalars(
                select(RunRow.id).where(
                    RunRow.parent_run_id.in_(level), RunRow.deleted_at.is_(None)
                )
            )
        )
        found += [r for r in level if r not in found]
    return found


def delete_run(
    store: MetadataStore, run_id: str, user: str, now: datetime, usages: Usages
) -> LifecycleEvent:
    """Delete the run and its nested runs; refused while a model version comes from one."""
    with store.read() as session:
        row = _run_row(session, run_id)
        if row.deleted_at is not None:
            raise ConflictError(
                f"run {run_id} is already deleted; "
                + deleted_message("it", row, f"driftloop runs restore {run_id}")
            )
        family = _with_nested(session, [run_id])
    usages.refuse_if_used("run", family, f"run {run_id}")
    with store.session() as session:
        mark_deleted(session, RunRow, [RunRow.id.in_(family)], user, now)
        reason = f"with {len(family) - 1} nested run(s)" if len(family) > 1 else ""
        return record_event(session, "run", run_id, "delete", user, now, reason)


def restore_run(store: MetadataStore, run_id: str, user: str, now: datetime) -> LifecycleEvent:
    """Bring back a deleted run, with the nested runs deleted together with it."""
    with store.session() as session:
        row = _run_row(session, run_id)
        if row.deleted_at is None:
            raise not_deleted(f"run {run_id}")
        experiment = session.get(ExperimentRow, row.experiment_id)
        if experiment is not None and experiment.deleted_at is not None:
            raise ConflictError(
                f"run {run_id} belongs to experiment {experiment.name!r}, which is deleted; "
                f"restore it with `driftloop experiments restore {experiment.name}`"
            )
        stamp = row.deleted_at
        family = [run_id, *_deleted_nested(session, run_id, stamp)]
        unmark_deleted(session, RunRow, [RunRow.id.in_(family)], stamp)
        return record_event(session, "run", run_id, "restore", user, now)


def _deleted_nested(session: Session, run_id: str, stamp: datetime) -> list[str]:
    found, level = [], [run_id]
    while level:
        level = list(
            session.scalars(
                select(RunRow.id).where(RunRow.parent_run_id.in_(level), RunRow.deleted_at == stamp)
            )
        )
        found += level
    return found


def delete_experiment(
    store: MetadataStore, name: str, user: str, now: datetime, usages: Usages
) -> LifecycleEvent:
    """Delete the experiment and its runs; its name stays taken until it is purged."""
    with store.read() as session:
        row = _experiment_row(session, name)
        if row.deleted_at is not None:
            raise ConflictError(
                f"experiment {name!r} is already deleted; "
                + deleted_message("it", row, f"driftloop experiments restore {name}")
            )
        runs = list(
            session.scalars(
                select(RunRow.id).where(RunRow.experiment_id == row.id, RunRow.deleted_at.is_(None))
            )
        )
        experiment_id = row.id
    usages.refuse_if_used("run", runs, f"experiment {name!r}")
    with store.session() as session:
        mark_deleted(session, ExperimentRow, [ExperimentRow.id == experiment_id], user, now)
        mark_deleted(session, RunRow, [RunRow.experiment_id == experiment_id], user, now)
        reason = f"with {len(runs)} run(s)"
        return record_event(session, "experiment", name, "delete", user, now, reason)


def restore_experiment(store: MetadataStore, name: str, user: str, now: datetime) -> LifecycleEvent:
    """Bring back a deleted experiment and the runs deleted together with it."""
    with store.session() as session:
        row = _experiment_row(session, name)
        if row.deleted_at is None:
            raise not_deleted(f"experiment {name!r}")
        stamp = row.deleted_at
        unmark_deleted(session, ExperimentRow, [ExperimentRow.id == row.id], stamp)
        unmark_deleted(session, RunRow, [RunRow.experiment_id == row.id], stamp)
        return record_event(session, "experiment", name, "restore", user, now)


def refuse_deleted_experiment(row: ExperimentRow) -> None:
    """Starting a run in a deleted experiment is refused, as in MLflow."""
    if row.deleted_at is not None:
        raise ConflictError(
            f"cannot start a run in experiment {row.name!r}: "
            + deleted_message("it", row, f"driftloop experiments restore {row.name}")
            + " (the name is free again once purged)"
        )


def refuse_deleted_run(row: RunRow) -> None:
    if row.deleted_at is not None:
        raise ConflictError(
            f"cannot resume run {row.id}: "
            + deleted_message("it", row, f"driftloop runs restore {row.id}")
        )
