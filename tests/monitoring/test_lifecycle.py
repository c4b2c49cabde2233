"""Deleting and restoring monitors and alert rules, and what monitors keep from deletion."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

import driftloop as dl
from driftloop.monitoring import AlertRule, MonitorSpec
from driftloop.testing import invoke_cli

from .conftest import DAY0, World, flights


def _day(world: World, day: int, summer: bool) -> None:
    world.write(world.predict_records(flights(300, world.rng, summer), day))


def test_a_deleted_rule_resolves_its_alert_and_a_deleted_monitor_computes_nothing(
    world: World,
) -> None:
    service = world.ws.monitoring
    service.define("daily", MonitorSpec("flights", window="1d"))
    service.define_alert(AlertRule("summer-drift", "daily", "drift.share", 0.5))
    _day(world, 0, True)
    service.run_due(DAY0 + timedelta(days=1))
    [firing] = service.alerts(firing_only=True)
    world.ws.acting_as("ana").monitoring.delete_alert("summer-drift")
    assert service.alerts(firing_only=True) == []
    [resolved] = service.alerts()
    assert resolved.id == firing.id and resolved.deliveries[-1]["reason"] == "rule deleted by ana"
    assert service.alert_rules() == []
    _day(world, 1, True)
    service.run_due(DAY0 + timedelta(days=2))
    assert service.alerts(firing_only=True) == []  # no rule, no alert
    service.restore_alert("summer-drift")
    _day(world, 2, True)
    service.run_due(DAY0 + timedelta(days=3))
    assert len(service.alerts(firing_only=True)) == 1
    event = service.delete("daily")
    assert event.reason == "with 1 alert rule(s)" and service.alert_rules() == []
    assert service.alerts(firing_only=True) == []
    _day(world, 3, True)
    assert service.run_due(DAY0 + timedelta(days=4)) == [] and service.status() == []
    with pytest.raises(dl.NotFoundError, match=r"monitor 'daily' is deleted .*monitors restore"):
        service.run_monitor("daily", DAY0 + timedelta(days=4))
    with pytest.raises(dl.ConflictError, match="monitor 'daily' is deleted"):
        service.define("daily", MonitorSpec("flights", window="1d"))
    service.restore("daily")
    assert [r.name for r in service.alert_rules()] == ["summer-drift"]  # back with it
    assert len(service.run_due(DAY0 + timedelta(days=4))) == 1


def test_what_a_monitor_uses_and_what_listens_to_a_rule_refuse_deletion(
    world: World, retrain_target: str
) -> None:
    ws = world.ws
    ws.serving.deploy("flights", "delays@1")
    ws.monitoring.define("pinned", MonitorSpec("flights", reference=world.train_ref))
    ws.monitoring.define_alert(AlertRule("summer-drift", "pinned", "drift.share", 0.5))
    ws.triggers.define("retrain", kind="alert", rule="summer-drift", target=retrain_target)
    with pytest.raises(dl.ConflictError, match="monitor 'pinned' watches it"):
        ws.serving.delete_endpoint("flights")
    with pytest.raises(dl.ConflictError, match=f"monitor 'pinned' uses {world.train_ref}"):
        ws.datasets.delete(world.train_ref)
    listens = "trigger 'retrain' listens to rule 'summer-drift'"
    with pytest.raises(dl.ConflictError, match=listens):
        ws.monitoring.delete_alert("summer-drift")
    with pytest.raises(dl.ConflictError, match="driftloop scheduler triggers delete retrain"):
        ws.monitoring.delete("pinned")
    ws.triggers.delete("retrain")
    ws.monitoring.delete("pinned")
    ws.serving.delete_endpoint("flights")
    with pytest.raises(dl.ConflictError, match="restore it first with `driftloop monitors restore"):
        ws.monitoring.restore_alert("summer-drift")


def test_monitors_and_rules_from_the_cli(world: World) -> None:
    world.ws.monitoring.define("daily", MonitorSpec("flights", window="1d"))
    world.ws.monitoring.define_alert(AlertRule("summer-drift", "daily", "drift.share", 0.5))
    dl.set_workspace(world.ws)
    rule = invoke_cli("monitor", "delete-alert", "summer-drift")  # the earlier spelling
    assert rule.exit_code == 0, rule.stderr
    assert "undo with `driftloop monitors restore-alert summer-drift`" in rule.stdout.replace(
        "\n", ""
    )
    gone = json.loads(invoke_cli("monitors", "list", "--deleted", "--json").stdout)
    assert [(f["kind"], f["name"]) for f in gone] == [("alert_rule", "summer-drift")]
    assert invoke_cli("monitors", "restore-alert", "summer-drift").exit_code == 0
    assert invoke_cli("monitors", "delete", "daily", "--json").exit_code == 0
    assert json.loads(invoke_cli("monitors", "list", "--json").stdout) == []
    restored = invoke_cli("monitors", "restore", "daily")
    assert restored.exit_code == 0 and "Restored monitor daily" in restored.stdout
