"""``ws.monitoring``: monitors of endpoints, their windows and series, alert rules.

The service reads the prediction log only through the prediction-log service
(``relation`` and ``labeled``), the reference through the datasets service, and the
default reference (the served version's training set) through registry lineage.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import select

from driftloop.errors import InvalidInputError, NotFoundError
from driftloop.monitoring import _lifecycle
from driftloop.monitoring._alerts import alert_from_row, evaluate_rules, rule_from_row
from driftloop.monitoring._delivery import Notify, WebhookSender
from driftloop.monitoring._models import Alert, AlertRule, Monitor, MonitorSpec, MonitorWindow
from driftloop.monitoring._runner import done_until, due_windows, store_window, window_from_row
from driftloop.monitoring._window import INPUT, Reference, measure_window, prepare_reference
from driftloop.store import MetadataStore, upsert, utcnow
from driftloop.store._lifecycle import LifecycleEvent, Usages, ViewType, deleted_message, visible
from driftloop.store._monitoring_rows import (
    AlertRow,
    AlertRuleRow,
    MonitorMetricRow,
    MonitorRow,
    MonitorWindowRow,
)

LABEL_MARGIN = timedelta(minutes=1)


class PredictionLog(Protocol):
    """What monitoring needs of the prediction log (``ws.predictions``)."""

    def relation(
        self,
        endpoint: str,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        model_version: int | None = None,
        route: str | None = None,
        con: Any = None,
    ) -> Any: ...

    def labeled(
        self,
        endpoint: str,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        model_version: int | None = None,
        route: str | None = None,
        con: Any = None,
    ) -> Any: ...

    def feedback(self, endpoint: str, *, since: datetime | None = None) -> Any: ...


class MonitoringService:
    """Define monitors and alert rules, compute due windows, read series and alerts."""

    def __init__(
        self,
        store: MetadataStore,
        user: str,
        *,
        predictions: Callable[[], PredictionLog],
        open_reference: Callable[[str, list[str]], Any],
        training_set_of: Callable[[str, int], str | None],
        cursor: Callable[[], Any],
        notify: Notify | None = None,
        webhooks: WebhookSender | None = None,
        references: dict[Any, Reference] | None = None,
        usages: Usages | None = None,
        endpoints: Callable[[], Collection[str]] | None = None,
    ) -> None:
        self.store = store
        # what uses an alert rule (a trigger, a loop policy), asked before deleting it
        self.usages = usages or Usages()
        self.user = user
        self._predictions = predictions
        self._open_reference = open_reference
        self._training_set_of = training_set_of
        self._cursor = cursor
        self._notify = notify
        self.webhooks = webhooks or WebhookSender()
        self._references = references if references is not None else {}
        self._labels_checked: dict[str, datetime] = {}
        # The endpoints that exist (None: not checked): a monitor of another is a typo.
        self._endpoints = endpoints

    # definitions ----------------------------------------------------------------------

    def define(self, name: str, spec: MonitorSpec) -> Monitor:
        """Create or replace the monitor ``name`` (its computed windows are kept).

        Raises:
            InvalidInputError: a bad name.
            NotFoundError: ``spec.endpoint`` is not an endpoint (it has no deployment).
        """
        if not name or len(name) > 256:
            raise InvalidInputError(f"monitor name {name!r} must be 1-256 characters")
        self._check_endpoint(spec.endpoint)
        now = utcnow()
        with self.store.session() as session:
            restore = f"driftloop monitors restore {name}"
            _lifecycle.refuse_deleted(session.get(MonitorRow, name), f"monitor {name!r}", restore)
            upsert(
                session,
                MonitorRow,
                ["name"],
                [
                    {
                        "name": name,
                        "endpoint": spec.endpoint,
                        "spec": spec.to_dict(),
                        "is_enabled": True,
                        "created_by": self.user,
                        "created_at": now,
                        "updated_at": now,
                    }
                ],
            )
        return self.get(name)

    def _check_endpoint(self, endpoint: str) -> None:
        known = None if self._endpoints is None else sorted(self._endpoints())
        if known is None or endpoint in known:
            return
        listed = f"the endpoints are {', '.join(known)}" if known else "there are no endpoints yet"
        raise NotFoundError(
            f"there is no endpoint {endpoint!r} to monitor ({listed}); check the name, or "
            f"deploy it first with `driftloop endpoints deploy {endpoint} MODEL@VERSION`"
        )

    def get(self, name: str) -> Monitor:
        with self.store.read() as session:
            row = session.get(MonitorRow, name)
            if row is not None and row.deleted_at is not None:
                restore = f"driftloop monitors restore {name}"
                raise NotFoundError(deleted_message(f"monitor {name!r}", row, restore))
            if row is None:
                known = sorted(session.scalars(select(MonitorRow.name).where(*visible(MonitorRow))))
                raise NotFoundError(
                    f"no monitor {name!r} (known: {known}); create it with "
                    "`driftloop monitors create`"
                )
            return _monitor(row)

    def list_monitors(
        self, endpoint: str | None = None, view_type: ViewType | str = ViewType.ACTIVE_ONLY
    ) -> list[Monitor]:
        query = select(MonitorRow).where(*visible(MonitorRow, view_type)).order_by(MonitorRow.name)
        if endpoint is not None:
            query = query.where(MonitorRow.endpoint == endpoint)
        with self.store.read() as session:
            return [_monitor(r) for r in session.scalars(query)]

    def define_alert(self, rule: AlertRule) -> AlertRule:
        """Create or replace an alert rule over one of a monitor's series."""
        self.get(rule.monitor)
        spec = {
            k: getattr(rule, k)
            for k in ("metric", "threshold", "above", "for_windows", "severity", "webhook")
        }
        with self.store.session() as session:
            _lifecycle.refuse_deleted(
                session.get(AlertRuleRow, rule.name),
                f"alert rule {rule.name!r}",
                f"driftloop monitors restore-alert {rule.name}",
            )
            upsert(
                session,
                AlertRuleRow,
                ["name"],
                [
                    {
                        "name": rule.name,
                        "monitor": rule.monitor,
                        "spec": spec,
                        "is_enabled": True,
                        "created_by": self.user,
                        "created_at": utcnow(),
                    }
                ],
            )
        return rule

    def alert_rules(
        self, monitor: str | None = None, view_type: ViewType | str = ViewType.ACTIVE_ONLY
    ) -> list[AlertRule]:
        query = select(AlertRuleRow).where(*visible(AlertRuleRow, view_type))
        query = query.order_by(AlertRuleRow.name)
        if monitor is not None:
            query = query.where(AlertRuleRow.monitor == monitor)
        with self.store.read() as session:
            return [rule_from_row(r) for r in session.scalars(query)]

    def alerts(
        self, *, rule: str | None = None, monitor: str | None = None, firing_only: bool = False
    ) -> list[Alert]:
        """Alert history, newest first."""
        query = select(AlertRow).order_by(AlertRow.fired_at.desc())
        if rule is not None:
            query = query.where(AlertRow.rule == rule)
        if monitor is not None:
            query = query.where(AlertRow.monitor == monitor)
        if firing_only:
            query = query.where(AlertRow.resolved_at.is_(None))
        with self.store.read() as session:
            return [alert_from_row(r) for r in session.scalars(query)]

    def delete(self, name: str) -> LifecycleEvent:
        """Delete a monitor and its alert rules (restorable until ``driftloop gc``)."""
        return _lifecycle.delete_monitor(self.store, name, self.user, utcnow(), self.usages)

    def restore(self, name: str) -> LifecycleEvent:
        return _lifecycle.restore_monitor(self.store, name, self.user, utcnow())

    def delete_alert(self, rule: str) -> LifecycleEvent:
        """Delete an alert rule; its firing alerts resolve. Refused while a trigger listens."""
        return _lifecycle.delete_rule(self.store, rule, self.user, utcnow(), self.usages)

    def restore_alert(self, rule: str) -> LifecycleEvent:
        return _lifecycle.restore_rule(self.store, rule, self.user, utcnow())

    # computing ------------------------------------------------------------------------

    def run_due(self, now: datetime) -> list[MonitorWindow]:
        """Compute every due window of every enabled monitor, re-measure windows whose
        labels arrived since, then evaluate alert rules. Returns the windows written."""
        written: list[MonitorWindow] = []
        for monitor in self.list_monitors():
            if monitor.is_enabled:
                written += self.run_monitor(monitor.name, now)
        return written

    def run_monitor(self, name: str, now: datetime) -> list[MonitorWindow]:
        monitor = self.get(name)
        spec, log = monitor.spec, self._predictions()
        con = self._cursor()
        try:
            windows = due_windows(
                con, spec, log.relation(spec.endpoint, con=con), done_until(self.store, name), now
            )
            written = [w for start, end in windows for w in self._measure(con, monitor, start, end)]
            written += self._relabel(con, monitor)
        finally:
            con.close()
        evaluate_rules(self.store, name, spec.endpoint, now, self.webhooks, self._notify)
        return written

    def _measure(
        self, con: Any, monitor: Monitor, start: datetime, end: datetime
    ) -> list[MonitorWindow]:
        spec, log = monitor.spec, self._predictions()
        rows = log.relation(spec.endpoint, start=start, end=end, con=con)
        con.register("combos", rows)
        combos = con.sql(
            "select distinct model_name, model_version, route from combos "
            "order by model_version, route"
        ).fetchall()
        out = []
        for model_name, version, route in combos:
            options = {
                "start": start,
                "end": end,
                "model_version": version,
                "route": route,
                "con": con,
            }
            window_rows = log.relation(spec.endpoint, **options)
            labeled = log.labeled(spec.endpoint, **options)
            reference = self._reference(spec, model_name, int(version), window_rows.columns)
            metrics, summary = measure_window(con, window_rows, labeled, reference, spec)
            summary["reference"] = reference.ref
            window = MonitorWindow(
                monitor=monitor.name,
                endpoint=spec.endpoint,
                model_name=model_name,
                model_version=int(version),
                route=route,
                start=start,
                end=end,
                rows=int(metrics.get("rows", 0)),
                labeled_rows=int(metrics.get("labeled_rows", 0)),
                metrics=metrics,
                summary=summary,
                computed_at=utcnow(),
            )
            store_window(self.store, window)
            out.append(window)
        return out

    def _relabel(self, con: Any, monitor: Monitor) -> list[MonitorWindow]:
        """Measure again the windows that have more labels now than when computed."""
        with self.store.read() as session:
            rows = list(
                session.scalars(
                    select(MonitorWindowRow).where(MonitorWindowRow.monitor == monitor.name)
                )
            )
        if not rows:
            return []
        log, endpoint = self._predictions(), monitor.spec.endpoint
        # Labels are looked for from the last check on (less a margin for labels stamped
        # before and committed after it); the first check in a process goes back to the
        # oldest window's computation.
        checked_at = utcnow()
        since = self._labels_checked.get(monitor.name) or min(r.computed_at for r in rows)
        self._labels_checked[monitor.name] = checked_at - LABEL_MARGIN
        if log.feedback(endpoint, since=since).num_rows == 0:
            return []
        redone = []
        for row in rows:
            labeled = log.labeled(
                endpoint,
                start=row.start,
                end=row.end,
                model_version=row.model_version,
                route=row.route,
                con=con,
            )
            con.register("relabel", labeled)
            count = con.sql("select count(*) from relabel where status < 400").fetchall()[0][0]
            if count != row.labeled_rows:
                redone += [
                    w
                    for w in self._measure(con, monitor, row.start, row.end)
                    if (w.model_version, w.route) == (row.model_version, row.route)
                ]
        return redone

    def _reference(
        self, spec: MonitorSpec, model_name: str, version: int, log_columns: list[str]
    ) -> Reference:
        ref = spec.reference or self._training_set_of(model_name, version)
        if ref is None:
            raise InvalidInputError(
                f"monitor of {spec.endpoint!r} has no reference: {model_name} v{version} has no "
                "training dataset in its lineage; give the monitor reference='name@version'"
            )
        inputs = [c[len(INPUT) :] for c in log_columns if c.startswith(INPUT)]
        features = [f for f in (spec.features or inputs) if f in inputs]
        key = (ref, tuple(features), spec.categorical, spec.target, spec.max_rows)
        if key not in self._references:
            wanted = features + ([spec.target] if spec.target else [])
            table = self._open_reference(ref, wanted)
            present = [f for f in features if f in table.column_names]
            self._references[key] = prepare_reference(ref, table, spec, present)
        return self._references[key]

    # reading --------------------------------------------------------------------------

    def windows(
        self, monitor: str, *, model_version: int | None = None, route: str | None = None
    ) -> list[MonitorWindow]:
        """The computed windows of ``monitor``, oldest first, each with its metrics."""
        query = select(MonitorWindowRow).where(MonitorWindowRow.monitor == monitor)
        if model_version is not None:
            query = query.where(MonitorWindowRow.model_version == model_version)
        if route is not None:
            query = query.where(MonitorWindowRow.route == route)
        with self.store.read() as session:
            rows = list(session.scalars(query.order_by(MonitorWindowRow.start)))
            metrics: dict[tuple[int, str, datetime], dict[str, float]] = {}
            for m in session.scalars(
                select(MonitorMetricRow).where(MonitorMetricRow.monitor == monitor)
            ):
                metrics.setdefault((m.model_version, m.route, m.window_start), {})[m.metric] = (
                    m.value
                )
        return [
            window_from_row(r, metrics.get((r.model_version, r.route, r.start), {})) for r in rows
        ]

    def series(self, monitor: str, metric: str) -> list[dict[str, Any]]:
        """One metric over time, per model version and route (to compare a canary)."""
        query = (
            select(MonitorMetricRow)
            .where(MonitorMetricRow.monitor == monitor, MonitorMetricRow.metric == metric)
            .order_by(MonitorMetricRow.window_start)
        )
        with self.store.read() as session:
            return [
                {
                    "window_start": r.window_start,
                    "window_end": r.window_end,
                    "model_version": r.model_version,
                    "route": r.route,
                    "value": r.value,
                }
                for r in session.scalars(query)
            ]

    def report(self, endpoint: str) -> dict[str, Any]:
        """The report of every monitor of ``endpoint`` (what ``driftloop monitors report``
        renders): windows with their metrics, the latest window's details, alerts."""
        from driftloop.monitoring._report import build_report

        return build_report(self, endpoint)

    def status(self) -> list[dict[str, Any]]:
        """Per monitor: its last window's headline figures and its firing alerts."""
        out = []
        for monitor in self.list_monitors():
            windows = self.windows(monitor.name)
            last = windows[-1] if windows else None
            out.append(
                {
                    "monitor": monitor.name,
                    "endpoint": monitor.spec.endpoint,
                    "windows": len(windows),
                    "last_window": last.start.isoformat() if last else None,
                    "metrics": dict(last.metrics) if last else {},
                    "firing": [a.rule for a in self.alerts(monitor=monitor.name, firing_only=True)],
                }
            )
        return out


def _monitor(row: MonitorRow) -> Monitor:
    return Monitor(
        row.name,
        MonitorSpec.from_dict(row.spec),
        row.is_enabled,
        row.created_by,
        row.created_at,
        row.deleted_at,
        row.deleted_by,
    )
