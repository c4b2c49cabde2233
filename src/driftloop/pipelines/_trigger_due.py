"""What the cron and dataset triggers owe at a time, read from the metadata store.

A cron trigger owes its latest schedule time at or before now (never one from before
it was declared); a dataset trigger owes the dataset's latest version when that is
newer than the version it started watching after. Either is owed only while no event
with that key exists: once claimed, by anyone, it is paid.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from driftloop.pipelines._schedules import due_time, event_key_of, next_time
from driftloop.pipelines._trigger_models import Trigger, TriggerKind
from driftloop.store import DatasetVersionRow, TriggerEventRow, TriggerRow

__all__ = ["DueTrigger", "due_triggers", "latest_version", "owed_payload", "to_trigger"]


@dataclass(frozen=True, slots=True)
class DueTrigger:
    """Where a trigger stands at a time: what it owes now and when it fires next."""

    trigger: Trigger
    owed_key: str | None  # an event due and not yet fired (None: nothing owed now)
    next_at: datetime | None  # the next cron time (None for event triggers)


def to_trigger(row: TriggerRow) -> Trigger:
    return Trigger(
        name=row.name,
        kind=TriggerKind(row.kind),
        spec=dict(row.spec or {}),
        target_kind=row.target_kind,
        target=row.target,
        params=dict(row.params or {}),
        enabled=row.enabled,
        source=row.source,
        created_by=row.created_by,
        created_at=row.created_at,
        id=row.id,
        deleted_at=row.deleted_at,
        deleted_by=row.deleted_by,
    )


def due_triggers(session: Session, now: datetime) -> list[DueTrigger]:
    rows = list(
        session.scalars(
            select(TriggerRow)
            .where(
                TriggerRow.enabled,
                TriggerRow.kind.in_(["cron", "dataset"]),
                TriggerRow.deleted_at.is_(None),
            )
            .order_by(TriggerRow.name)
        )
    )
    owed = [(row, _owed_key(session, row, now)) for row in rows]
    fired = _existing_keys(session, [(row.id, key) for row, key in owed if key is not None])
    return [
        DueTrigger(
            to_trigger(row),
            None if key is None or (row.id, key) in fired else key,
            _next_cron(row, now),
        )
        for row, key in owed
    ]


def _next_cron(row: TriggerRow, now: datetime) -> datetime | None:
    if row.kind != TriggerKind.CRON.value:
        return None
    return next_time(str(row.spec["cron"]), str(row.spec.get("timezone", "UTC")), now)


def _owed_key(session: Session, row: TriggerRow, now: datetime) -> str | None:
    if row.kind == TriggerKind.CRON.value:
        due = due_time(
            str(row.spec["cron"]),
            str(row.spec.get("timezone", "UTC")),
            now,
            not_before=row.updated_at,
        )
        return None if due is None else event_key_of(due)
    latest = latest_version(session, row.source or "")
    after = int(str(row.spec.get("after_version", 0) or 0))
    return str(latest) if latest > after else None


def latest_version(session: Session, dataset: str) -> int:
    latest = session.scalar(
        select(func.max(DatasetVersionRow.version)).where(DatasetVersionRow.name == dataset)
    )
    return int(latest or 0)


def _existing_keys(session: Session, pairs: list[tuple[int, str]]) -> set[tuple[int, str]]:
    if not pairs:
        return set()
    rows = session.execute(
        select(TriggerEventRow.trigger_id, TriggerEventRow.event_key).where(
            TriggerEventRow.trigger_id.in_(sorted({i for i, _ in pairs})),
            TriggerEventRow.event_key.in_(sorted({k for _, k in pairs})),
        )
    )
    return {(int(i), str(k)) for i, k in rows}


def owed_payload(due: DueTrigger) -> dict[str, Any]:
    """The payload of the event a due trigger fires: its time, or its dataset version."""
    if due.trigger.kind is TriggerKind.CRON:
        return {"due": due.owed_key}
    return {"dataset": due.trigger.source, "version": int(due.owed_key or 0)}
