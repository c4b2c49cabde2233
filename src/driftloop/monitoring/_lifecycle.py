"""Deleting and restoring monitors and alert rules, and what monitors use.

A deleted monitor computes no window and shows in no status; its alert rules go with it
(and come back with it). A deleted rule is evaluated no more and its firing alerts are
resolved, saying why, so nothing keeps acting on an alert nobody watches. A rule a
trigger (or a loop policy) listens to is refused, naming it. Windows, series and alert
history stay until ``driftloop gc`` purges the monitor.

Monitors use endpoints (the one they watch) and dataset versions (their reference):
:func:`endpoint_users` and :func:`dataset_users` are those contexts' checks.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from driftloop._refs import parse_ref
from driftloop.errors import ConflictError, InvalidInputError, NotFoundError
from driftloop.store import MetadataStore
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
from driftloop.store._monitoring_rows import AlertRow, AlertRuleRow, MonitorRow


def _monitor(session: Session, name: str) -> MonitorRow:
    row = session.get(MonitorRow, name)
    if row is None:
        raise NotFoundError(f"no monitor {name!r}; see `driftloop monitor list --deleted`")
    return row


def _rule(session: Session, name: str) -> AlertRuleRow:
    row = session.get(AlertRuleRow, name)
    if row is None:
        raise NotFoundError(f"no alert rule {name!r}; see `driftloop monitor list --deleted`")
    return row


def _resolve_alerts(session: Session, rules: list[str], now: datetime, why: str) -> None:
    for alert in session.scalars(
        select(AlertRow).where(AlertRow.rule.in_(rules), AlertRow.resolved_at.is_(None))
    ):
        alert.resolved_at = now
        alert.deliveries = [*alert.deliveries, {"state": "resolved", "reason": why}]


def delete_monitor(
    store: MetadataStore, name: str, user: str, now: datetime, usages: Usages
) -> LifecycleEvent:
    """Delete a monitor and its alert rules; refused while a trigger listens to a rule."""
    with store.read() as session:
        row = _monitor(session, name)
        if row.deleted_at is not None:
            raise ConflictError(f"monitor {name!r} is already deleted ({row.deleted_by})")
        rules = list(
            session.scalars(
                select(AlertRuleRow.name).where(
                    AlertRuleRow.monitor == name, AlertRuleRow.deleted_at.is_(None)
                )
            )
        )
    usages.refuse_if_used("alert_rule", rules, f"monitor {name!r}")
    with store.session() as session:
        mark_deleted(session, MonitorRow, [MonitorRow.name == name], user, now)
        mark_deleted(session, AlertRuleRow, [AlertRuleRow.monitor == name], user, now)
        _resolve_alerts(session, rules, now, f"monitor {name} deleted by {user}")
        reason = f"with {len(rules)} alert rule(s)"
        return record_event(session, "monitor", name, "delete", user, now, reason)


def restore_monitor(store: MetadataStore, name: str, user: str, now: datetime) -> LifecycleEvent:
    """Restore a deleted monitor and the alert rules deleted with it."""
    with store.session() as session:
        row = _monitor(session, name)
        if row.deleted_at is None:
            raise not_deleted(f"monitor {name!r}")
        stamp = row.deleted_at
        unmark_deleted(session, MonitorRow, [MonitorRow.name == name], stamp)
        unmark_deleted(session, AlertRuleRow, [AlertRuleRow.monitor == name], stamp)
        return record_event(session, "monitor", name, "restore", user, now)


def delete_rule(
    store: MetadataStore, name: str, user: str, now: datetime, usages: Usages
) -> LifecycleEvent:
    """Delete an alert rule (its firing alerts resolve); refused while a trigger listens."""
    with store.read() as session:
        row = _rule(session, name)
        if row.deleted_at is not None:
            raise ConflictError(f"alert rule {name!r} is already deleted ({row.deleted_by})")
    usages.refuse_if_used("alert_rule", [name], f"alert rule {name!r}")
    with store.session() as session:
        mark_deleted(session, AlertRuleRow, [AlertRuleRow.name == name], user, now)
        _resolve_alerts(session, [name], now, f"rule deleted by {user}")
        return record_event(session, "alert_rule", name, "delete", user, now)


def restore_rule(store: MetadataStore, name: str, user: str, now: datetime) -> LifecycleEvent:
    with store.session() as session:
        row = _rule(session, name)
        if row.deleted_at is None:
            raise not_deleted(f"alert rule {name!r}")
        monitor = session.get(MonitorRow, row.monitor)
        if monitor is not None and monitor.deleted_at is not None:
            raise ConflictError(
                f"alert rule {name!r} belongs to monitor {row.monitor!r}, which is deleted; "
                f"restore it first with `driftloop monitor restore {row.monitor}`"
            )
        unmark_deleted(session, AlertRuleRow, [AlertRuleRow.name == name], row.deleted_at)
        return record_event(session, "alert_rule", name, "restore", user, now)


def refuse_deleted(row: MonitorRow | AlertRuleRow | None, what: str, restore: str) -> None:
    """Defining again a monitor or rule whose name a deleted one holds."""
    if row is not None and row.deleted_at is not None:
        raise ConflictError(deleted_message(what, row, restore))


def endpoint_users(store: MetadataStore) -> UsageCheck:
    """A usage check for endpoints: the monitors watching them."""

    def check(endpoint: str) -> list[str]:
        with store.read() as session:
            names = session.scalars(
                select(MonitorRow.name).where(
                    MonitorRow.endpoint == endpoint, MonitorRow.deleted_at.is_(None)
                )
            )
            return [
                f"monitor {n!r} watches it (delete it first: `driftloop monitor delete {n}`)"
                for n in names
            ]

    return check


def dataset_users(store: MetadataStore) -> UsageCheck:
    """A usage check for datasets, keyed (dataset, version or None for all): the monitors
    whose reference is that version (or the dataset, when it all goes)."""

    def check(key: tuple[str, int | None]) -> list[str]:
        name, version = key
        with store.read() as session:
            rows = list(session.scalars(select(MonitorRow).where(MonitorRow.deleted_at.is_(None))))
        uses = []
        for row in rows:
            reference = row.spec.get("reference")
            if not reference:
                continue
            try:
                ref = parse_ref(str(reference), "dataset")
            except InvalidInputError:
                continue
            if ref.name == name and (version is None or ref.version == version):
                uses.append(
                    f"monitor {row.name!r} uses {reference} as its reference (give it another "
                    f"with `driftloop monitor create {row.endpoint} --name {row.name} "
                    "--reference ...`, or delete it)"
                )
        return uses

    return check
