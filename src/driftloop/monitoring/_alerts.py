"""Alert rules evaluated over the metric series: fire, deduplicate, resolve.

A rule fires for a (model version, route) series when its last ``for_windows``
values all breach the threshold, and resolves when the latest value no longer does or
when the series stops (its version no longer serves; see ``STALE_AFTER_WINDOWS``).
The open alert is unique in the database (one per rule, version and route), so a
second scheduler, or a rerun, finds it open and fires nothing new.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select

from driftloop.monitoring._delivery import Notify, WebhookSender, deliver
from driftloop.monitoring._models import Alert, AlertRule
from driftloop.store import MetadataStore, insert_ignore
from driftloop.store._monitoring_rows import AlertRow, AlertRuleRow, MonitorMetricRow

# A series with no point in the newest windows of its rule's metric (any version's) is
# gone: its version is no longer served (replaced, rolled back). Its alert resolves, as
# Prometheus resolves an alert whose series went away, instead of firing forever; three
# windows, so a canary with a thin window or two keeps its alert.
STALE_AFTER_WINDOWS = 3


def rule_from_row(row: AlertRuleRow) -> AlertRule:
    return AlertRule(
        name=row.name,
        monitor=row.monitor,
        **row.spec,
        deleted_at=row.deleted_at,
        deleted_by=row.deleted_by,
    )


def alert_from_row(row: AlertRow) -> Alert:
    return Alert(
        id=row.id,
        rule=row.rule,
        monitor=row.monitor,
        endpoint=row.endpoint,
        model_version=row.model_version,
        route=row.route,
        severity=row.severity,
        metric=row.metric,
        value=row.value,
        threshold=row.threshold,
        window_start=row.window_start,
        fired_at=row.fired_at,
        resolved_at=row.resolved_at,
        deliveries=list(row.deliveries),
    )


def evaluate_rules(
    store: MetadataStore,
    monitor: str,
    endpoint: str,
    now: datetime,
    sender: WebhookSender,
    notify: Notify | None,
) -> list[Alert]:
    """Evaluate every enabled rule of ``monitor``; returns the alerts that changed state."""
    with store.read() as session:
        rules = [
            rule_from_row(r)
            for r in session.scalars(
                select(AlertRuleRow).where(
                    AlertRuleRow.monitor == monitor,
                    AlertRuleRow.is_enabled.is_(True),
                    AlertRuleRow.deleted_at.is_(None),
                )
            )
        ]
    changed = []
    for rule in rules:
        series = _series(store, rule)
        newest = sorted({start for points in series.values() for start, _ in points})
        for (version, route), points in series.items():
            stale = len(newest) >= STALE_AFTER_WINDOWS and (
                points[-1][0] < newest[-STALE_AFTER_WINDOWS]
            )
            step = _step(store, rule, endpoint, version, route, points, now, stale)
            if step is not None:
                changed.append(_deliver(store, rule, *step, sender, notify))
    return changed


def _series(store: MetadataStore, rule: AlertRule) -> dict[tuple[int, str], list[Any]]:
    query = (
        select(MonitorMetricRow)
        .where(MonitorMetricRow.monitor == rule.monitor, MonitorMetricRow.metric == rule.metric)
        .order_by(MonitorMetricRow.window_start)
    )
    out: dict[tuple[int, str], list[Any]] = {}
    with store.read() as session:
        for row in session.scalars(query):
            out.setdefault((row.model_version, row.route), []).append((row.window_start, row.value))
    return out


def _step(
    store: MetadataStore,
    rule: AlertRule,
    endpoint: str,
    version: int,
    route: str,
    points: list[tuple[datetime, float]],
    now: datetime,
    stale: bool,
) -> tuple[Alert, str | None] | None:
    """The alert that changed state, if one did, and why it resolved."""
    recent = points[-rule.for_windows :]
    firing = (
        not stale and len(recent) == rule.for_windows and all(rule.breached(v) for _, v in recent)
    )
    with store.session() as session:
        open_row = session.scalar(
            select(AlertRow).where(
                AlertRow.rule == rule.name,
                AlertRow.model_version == version,
                AlertRow.route == route,
                AlertRow.resolved_at.is_(None),
            )
        )
        if open_row is not None:
            last_start, last_value = points[-1]
            if rule.breached(last_value) and not stale:
                return None  # still firing: deduplicated
            open_row.resolved_at = now
            if stale:
                reason = (
                    f"no window of v{version} {route} since {last_start.isoformat()} "
                    f"(no traffic: replaced or rolled back)"
                )
            else:
                reason = (
                    f"{rule.metric} = {last_value:.4g} on the window of "
                    f"{last_start.isoformat()} no longer breaches {rule.threshold:.4g}"
                )
            return alert_from_row(open_row), reason
        if not firing:
            return None
        values = {
            "id": uuid.uuid4().hex,
            "rule": rule.name,
            "monitor": rule.monitor,
            "endpoint": endpoint,
            "model_version": version,
            "route": route,
            "severity": rule.severity,
            "metric": rule.metric,
            "value": recent[-1][1],
            "threshold": rule.threshold,
            "window_start": recent[-1][0],
            "fired_at": now,
            "resolved_at": None,
            "deliveries": [],
        }
        insert_ignore(session, AlertRow, values)
        row = session.get(AlertRow, values["id"])
        return (alert_from_row(row), None) if row is not None else None  # None: another won


def _deliver(
    store: MetadataStore,
    rule: AlertRule,
    alert: Alert,
    reason: str | None,
    sender: WebhookSender,
    notify: Notify | None,
) -> Alert:
    payload = alert_payload(alert, reason)
    outcomes = deliver(payload, rule.webhook, sender, notify)
    with store.session() as session:
        row = session.get(AlertRow, alert.id)
        assert row is not None
        entry = {"state": alert.state, "outcomes": outcomes}
        if reason is not None:
            entry["reason"] = reason
        row.deliveries = [*row.deliveries, entry]
        return alert_from_row(row)


def alert_payload(alert: Alert, reason: str | None = None) -> dict[str, Any]:
    """The alert as JSON; ``reason`` says why a resolved alert resolved."""
    return {
        "id": alert.id,
        "rule": alert.rule,
        "state": alert.state,
        "severity": alert.severity,
        "monitor": alert.monitor,
        "endpoint": alert.endpoint,
        "model_version": alert.model_version,
        "route": alert.route,
        "metric": alert.metric,
        "value": alert.value,
        "threshold": alert.threshold,
        "window_start": alert.window_start.isoformat(),
        "fired_at": alert.fired_at.isoformat(),
        "resolved_at": alert.resolved_at.isoformat() if alert.resolved_at else None,
        "reason": reason,
    }
