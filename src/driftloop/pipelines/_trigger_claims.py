"""Claiming trigger events: the one INSERT that decides which process fires an event.

``trigger_events`` has UNIQUE(trigger_id, event_key). A claim is an insert that does
nothing on conflict; the process whose insert wrote the row owns the event, every
other process (a second scheduler, a restarted one, a retried webhook call) sees the
row taken and fires nothing. The same statement works on SQLite and PostgreSQL.

An owner that dies between claiming and recording the start leaves the event
``claimed``; after a lease another process takes it over with a conditional update
(only one such update can match), so the event is not lost either. The one window left:
an owner that died after its target started but before recording it (milliseconds) is
taken over and the target starts a second time; a lost event would be worse.

The lease is read on each process's own clock, so it assumes schedulers' clocks agree
to well under its length (NTP keeps them within milliseconds).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite

from driftloop.pipelines._trigger_models import EventStatus, TriggerEvent
from driftloop.store import MetadataStore, TriggerEventRow, TriggerRow

__all__ = ["claim_event", "find_event", "finish_event", "stale_claims", "take_over", "to_event"]

# Long enough for any target's start (a detached submit takes well under a second).
CLAIM_LEASE = timedelta(minutes=2)


def to_event(row: TriggerEventRow, trigger: str, *, is_new: bool = True) -> TriggerEvent:
    return TriggerEvent(
        id=row.id,
        trigger=trigger,
        event_key=row.event_key,
        status=EventStatus(row.status),
        payload=dict(row.payload or {}),
        claimed_by=row.claimed_by,
        claimed_at=row.claimed_at,
        fired_at=row.fired_at,
        pipeline_run_id=row.pipeline_run_id,
        error=row.error,
        is_new=is_new,
    )


def claim_event(
    store: MetadataStore,
    trigger: TriggerRow,
    event_key: str,
    payload: dict[str, Any],
    *,
    claimant: str,
    now: datetime,
) -> tuple[TriggerEventRow, bool]:
    """Insert the event unless (trigger, key) is taken; the row and whether this call won."""
    values = {
        "id": uuid.uuid4().hex,
        "trigger_id": trigger.id,
        "event_key": event_key,
        "payload": payload,
        "status": EventStatus.CLAIMED.value,
        "claimed_by": claimant,
        "claimed_at": now,
    }
    with store.session() as session:
        dialect = session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        stmt = (
            insert(TriggerEventRow)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["trigger_id", "event_key"])
            .returning(TriggerEventRow.id)
        )
        # RETURNING, not rowcount: drivers disagree on rowcount after DO NOTHING.
        won = session.connection().execute(stmt).first() is not None
        row = session.scalars(
            select(TriggerEventRow).where(
                TriggerEventRow.trigger_id == trigger.id, TriggerEventRow.event_key == event_key
            )
        ).one()
    return row, won


def find_event(store: MetadataStore, trigger_id: int, event_key: str) -> TriggerEventRow | None:
    with store.read() as session:
        return session.scalars(
            select(TriggerEventRow).where(
                TriggerEventRow.trigger_id == trigger_id, TriggerEventRow.event_key == event_key
            )
        ).one_or_none()


def finish_event(
    store: MetadataStore,
    event_id: str,
    *,
    now: datetime,
    run_id: str | None = None,
    error: str | None = None,
) -> TriggerEventRow:
    """Record that the event's target started (its run id) or could not (the error)."""
    status = EventStatus.FAILED if error is not None else EventStatus.FIRED
    with store.session() as session:
        row = session.get_one(TriggerEventRow, event_id)
        row.status = status.value
        row.fired_at = now
        row.pipeline_run_id = run_id
        row.error = error
    return row


def stale_claims(store: MetadataStore, now: datetime) -> list[TriggerEventRow]:
    """Events still ``claimed`` past the lease: their owner died before starting them."""
    with store.read() as session:
        return list(
            session.scalars(
                select(TriggerEventRow).where(
                    TriggerEventRow.status == EventStatus.CLAIMED.value,
                    TriggerEventRow.claimed_at < now - CLAIM_LEASE,
                )
            )
        )


def take_over(store: MetadataStore, row: TriggerEventRow, *, claimant: str, now: datetime) -> bool:
    """Claim a stale event from its dead owner; only one of several callers succeeds."""
    with store.session() as session:
        result = session.execute(
            update(TriggerEventRow)
            .where(
                TriggerEventRow.id == row.id,
                TriggerEventRow.status == EventStatus.CLAIMED.value,
                TriggerEventRow.claimed_by == row.claimed_by,
                TriggerEventRow.claimed_at == row.claimed_at,
            )
            .values(claimed_by=claimant, claimed_at=now)
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]
