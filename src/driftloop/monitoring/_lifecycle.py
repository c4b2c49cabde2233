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
from driftloop.errors import ConflictError, InvalidInputError
from driftloop.store import MetadataStore
from driftloop.store._deletable import Deletable, delete_object, restore_object
from driftloop.store._lifecycle import LifecycleEvent, UsageCheck, Usages, deleted_message
from driftloop.store._monitoring_rows import AlertRow, AlertRuleRow, MonitorRow

MONITOR = Deletable(
    kind="monitor",
    noun="monitor",
    row_type=MonitorRow,
    rows=lambda name: [MonitorRow.name == name],
    listing="driftloop monitors list --deleted",
    parts=lambda row: [(AlertRuleRow, [AlertRuleRow.monitor == row.name], "alert rule(s)")],
)
RULE = Deletable(
    kind="alert_rule",
    noun="alert rule",
    row_type=AlertRuleRow,
    rows=lambda name: [AlertRuleRow.name == name],
    listing="driftloop monitors list --deleted",
)


def _rules_of(session: Session, monitor: str) -> list[str]:
    query = select(AlertRuleRow.name).where(
        AlertRuleRow.monitor == monitor, AlertRuleRow.deleted_at.is_(None)
    )
    return list(session.scalars(query))


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
        rules = _rules_of(session, name)

    def resolve(session: Session, row: MonitorRow) -> None:
        _resolve_alerts(session, rules, now, f"monitor {name} deleted by {user}")

    return delete_object(
        store,
        MONITOR,
        name,
        user,
        now,
        uses=lambda row: usages.of("alert_rule", rules),
        after=resolve,
    )


def restore_monitor(store: MetadataStore, name: str, user: str, now: datetime) -> LifecycleEvent:
    """Restore a deleted monitor and the alert rules deleted with it."""
    return restore_object(store, MONITOR, name, user, now)


def delete_rule(
    store: MetadataStore, name: str, user: str, now: datetime, usages: Usages
) -> LifecycleEvent:
    """Delete an alert rule (its firing alerts resolve); refused while a trigger listens."""

    def resolve(session: Session, row: AlertRuleRow) -> None:
        _resolve_alerts(session, [name], now, f"rule deleted by {user}")

    return delete_object(
        store,
        RULE,
        name,
        user,
        now,
        uses=lambda row: usages.of("alert_rule", [name]),
        after=resolve,
    )


def restore_rule(store: MetadataStore, name: str, user: str, now: datetime) -> LifecycleEvent:
    def monitor_kept(session: Session, row: AlertRuleRow) -> None:
        monitor = session.get(MonitorRow, row.monitor)
        if monitor is not None and monitor.deleted_at is not None:
            raise ConflictError(
                f"alert rule {name!r} belongs to monitor {row.monitor!r}, which is deleted; "
                f"restore it first with `driftloop monitors restore {row.monitor}`"
            )

    return restore_object(store, RULE, name, user, now, check=monitor_kept)


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
                f"monitor {n!r} watches it (delete it first: `driftloop monitors delete {n}`)"
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
                    f"with `driftloop monitors create {row.endpoint} --name {row.name} "
                    "--reference ...`, or delete it)"
                )
        return uses

    return check
