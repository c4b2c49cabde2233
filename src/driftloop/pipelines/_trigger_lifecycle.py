"""Disabling, enabling, deleting and restoring triggers (schedules are cron triggers).

A disabled trigger never fires: no cron time, dataset version, alert or webhook call
starts anything (a webhook call is answered 409). Enabling or restoring one does not
fire what it missed meanwhile: the trigger owes nothing from before that moment, as a
new declaration owes nothing from before it was made. A deleted trigger is also gone
from lists and from ``scheduler status``; its name stays taken until ``driftloop gc``,
and a ``[[trigger]]`` table of ``driftloop.toml`` naming it is skipped with a warning
instead of bringing it back. A disable made from the CLI survives the scheduler
re-applying the file (only an explicit ``enabled = ...`` there changes it).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from driftloop.errors import ConflictError
from driftloop.store import MetadataStore, TriggerRow
from driftloop.store._deletable import Deletable, delete_object, restore_object
from driftloop.store._lifecycle import (
    LifecycleEvent,
    UsageCheck,
    deleted_among,
    deleted_message,
    record_event,
)

TRIGGER = Deletable(
    kind="trigger",
    noun="trigger",
    row_type=TriggerRow,
    rows=lambda name: [TriggerRow.name == name],
    listing="driftloop scheduler triggers --deleted",
)


def set_enabled(
    store: MetadataStore, name: str, enabled: bool, user: str, now: datetime
) -> LifecycleEvent:
    """Disable or enable ``name``; enabling owes nothing missed while it was off."""
    action = "enable" if enabled else "disable"
    with store.session() as session:
        row = TRIGGER.find(session, name, lock=True)
        refuse_deleted(row)
        if row.enabled == enabled:
            raise ConflictError(f"trigger {name!r} is already {action}d")
        row.enabled = enabled
        row.updated_at = now  # the cron due time counts from here (see due_triggers)
        return record_event(session, "trigger", name, action, user, now)


def delete(store: MetadataStore, name: str, user: str, now: datetime) -> LifecycleEvent:
    return delete_object(store, TRIGGER, name, user, now)


def restore(store: MetadataStore, name: str, user: str, now: datetime) -> LifecycleEvent:
    def owe_nothing_missed(session: Session, row: TriggerRow) -> None:
        row.updated_at = now  # the cron due time counts from here (see due_triggers)

    return restore_object(store, TRIGGER, name, user, now, after=owe_nothing_missed)


def refuse_deleted(row: TriggerRow) -> None:
    if row.deleted_at is not None:
        restore_it = f"driftloop scheduler triggers restore {row.name}"
        raise ConflictError(deleted_message(f"trigger {row.name!r}", row, restore_it))


def deleted_names(store: MetadataStore, names: Sequence[str]) -> set[str]:
    """Which of ``names`` are deleted triggers."""
    return deleted_among(store, TriggerRow.name, names)


def alert_rule_users(store: MetadataStore) -> UsageCheck:
    """A usage check for alert rules (keyed by a list of rule names): the triggers, and
    the loop policies through theirs, that listen to them."""

    def check(rules: Sequence[str]) -> list[str]:
        with store.read() as session:
            rows = list(
                session.scalars(
                    select(TriggerRow)
                    .where(
                        TriggerRow.kind == "alert",
                        TriggerRow.source.in_(list(rules)),
                        TriggerRow.deleted_at.is_(None),
                    )
                    .order_by(TriggerRow.name)
                )
            )
        return [
            f"the loop policy of endpoint {r.target!r} listens to rule {r.source!r} (delete "
            f"the policy first: `driftloop loop delete {r.target}`)"
            if r.target_kind == "loop"
            else f"trigger {r.name!r} listens to rule {r.source!r} (delete it first: "
            f"`driftloop scheduler triggers delete {r.name}`)"
            for r in rows
        ]

    return check
