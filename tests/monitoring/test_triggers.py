"""An alert fires the pipeline triggers listening to its rule; the scheduler runs monitors."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest

from driftloop.monitoring import AlertRule, MonitorSpec
from driftloop.pipelines import Scheduler, register_trigger_target

from .conftest import DAY0, World, flights


@dataclass
class Starts:
    """A trigger target kind that records what it was asked to start."""

    seen: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)

    def start(self, trigger: Any, event: Any) -> str | None:
        self.seen.append((trigger.name, event.event_key, dict(event.payload)))
        return f"run-{len(self.seen)}"


@pytest.fixture
def starts() -> Iterator[Starts]:
    found = Starts()
    register_trigger_target("monitor_test", lambda _ws: found)
    yield found
    register_trigger_target("monitor_test", lambda _ws: Starts())


def test_a_firing_alert_starts_the_retrain_trigger_once(world: World, starts: Starts) -> None:
    ws = world.ws
    ws.triggers.define(
        "retrain", kind="alert", rule="drifted", target_kind="monitor_test", target="flows:retrain"
    )
    ws.monitoring.define("daily", MonitorSpec("flights", window="1d"))
    ws.monitoring.define_alert(AlertRule("drifted", "daily", "drift.share", 0.5))
    world.write(world.predict_records(flights(300, world.rng, summer=True), 0))
    scheduler = Scheduler(ws, clock=lambda: DAY0 + timedelta(days=1))
    assert "monitors" in [job.name for job in scheduler.jobs]
    report = scheduler.tick()  # the scheduler's monitor job computes the window
    assert report.job_errors == {}
    [alert] = ws.monitoring.alerts()
    assert [(name, key) for name, key, _ in starts.seen] == [("retrain", alert.id)]
    assert starts.seen[0][2]["metric"] == "drift.share" and starts.seen[0][2]["state"] == "firing"
    trigger = next(o for o in alert.deliveries[0]["outcomes"] if o["channel"] == "trigger")
    assert trigger["ok"] and len(trigger["events"]) == 1
    scheduler.tick()
    assert len(starts.seen) == 1  # deduplicated: the open alert does not fire again


def test_the_loop_reads_the_alerts_firing_now_on_an_endpoint(world: World) -> None:
    from driftloop.automation._alerting import MonitorAlerts

    ws = world.ws
    ws.monitoring.define("daily", MonitorSpec("flights", window="1d"))
    ws.monitoring.define_alert(AlertRule("drifted", "daily", "drift.share", 0.5))
    world.write(world.predict_records(flights(300, world.rng, summer=True), 0))
    ws.monitoring.run_due(DAY0 + timedelta(days=1))
    [alert] = ws.monitoring.alerts()
    alerts = MonitorAlerts(ws.monitoring)
    [firing] = alerts.firing("flights", ["drifted", "other"])
    assert (firing["id"], firing["state"], firing["route"]) == (alert.id, "firing", "primary")
    assert firing["model_version"] == alert.model_version
    assert alerts.firing("flights", ["other"]) == [] and alerts.firing("churn", ["drifted"]) == []
