"""`driftloop gc` purges deleted objects with the rows they own, keeps the rest, frees names,
never reuses a purged version number, and lets the blob collector take their bytes."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import func, select
from tests.serving.conftest import log_churn_model

import driftloop as dl
from driftloop.artifacts._gc import GarbageCollector
from driftloop.store import DeploymentRow, MetricRow, ParamRow, RunRow
from driftloop.testing import invoke_cli


def _count(ws: dl.Workspace, column: object, *where: object) -> int:
    with ws.store.read() as session:
        return int(session.scalar(select(func.count(column)).where(*where)) or 0)  # type: ignore[arg-type]


def _frame(i: int) -> pd.DataFrame:
    return pd.DataFrame({"origin": ["JFK", "LGA"], "temp": [float(i), 2.0]})


def test_a_purge_removes_only_what_is_deleted_with_its_rows_and_frees_the_names(
    workspace: dl.Workspace, tmp_path: Path, retrain_target: str
) -> None:
    with dl.start_run(experiment="old", name="gone") as gone:
        dl.log_params({"depth": 3})
        dl.log_metric("auc", 0.5)
        (tmp_path / "notes.txt").write_text("unique bytes of a deleted run")
        dl.log_artifact(tmp_path / "notes.txt")
    with dl.start_run(experiment="kept", name="kept") as kept:
        dl.log_params({"depth": 3})
    dl.log_dataset("flights", _frame(1))
    bad = dl.log_dataset("flights", _frame(2))
    version = log_churn_model(workspace, onnx=False)
    workspace.serving.deploy("churn", "churn@1")
    workspace.triggers.define("nightly", kind="cron", cron="0 2 * * *", target=retrain_target)

    dl.delete_experiment("old")
    workspace.datasets.delete("flights@2")
    workspace.triggers.delete("nightly")
    workspace.serving.delete_endpoint("churn")
    workspace.registry.delete_version("churn", 1)
    plan = workspace.trash.purge(dry_run=True)
    assert sorted((p.kind, p.name) for p in plan.purged) == sorted(
        [
            ("trigger", "nightly"),
            ("endpoint", "churn"),
            ("model_version", "churn@1"),
            ("dataset_version", "flights@2"),
            ("run", gone.id),
            ("experiment", "old"),
        ]
    )
    assert plan.kept == ()
    assert _count(workspace, RunRow.id, RunRow.id == gone.id) == 1  # a dry run changes nothing
    workspace.datasets.restore("flights@2")  # and everything can still be restored
    workspace.datasets.delete("flights@2")

    report = workspace.acting_as("ana").trash.purge()
    assert len(report.purged) == 6 and not report.dry_run
    assert _count(workspace, RunRow.id, RunRow.id == gone.id) == 0
    assert dl.get_run(str(version.run_id)).deleted_at is None  # never deleted: kept
    assert _count(workspace, MetricRow.id, MetricRow.run_id == gone.id) == 0
    assert _count(workspace, ParamRow.key, ParamRow.run_id == kept.id) == 1  # live: untouched
    assert _count(workspace, DeploymentRow.id) == 0
    assert dl.get_run(kept.id).params == {"depth": "3"}
    with dl.start_run(experiment="old"):  # the name is free again
        pass
    assert dl.log_dataset("flights", _frame(3)).version == 3  # 2 is never given again
    assert log_churn_model(workspace, onnx=False).version == 2
    workspace.serving.deploy("churn", "churn@2")  # so is the endpoint's name
    assert workspace.serving.get_deployment("churn").version == 1
    collected = GarbageCollector(workspace.store, workspace.blobs).collect(grace=timedelta(0))
    assert bad.digest in {item.name for item in collected.removed}  # its bytes go too
    assert len(dl.get_dataset("flights@1").to_pandas()) == 2


def test_recent_deletions_and_what_is_pointed_at_are_kept_saying_why(
    workspace: dl.Workspace,
) -> None:
    version = log_churn_model(workspace, onnx=False)
    assert version.run_id is not None
    workspace.registry.delete_version("churn", 1)
    dl.delete_run(version.run_id)  # allowed once the version is deleted
    dl.log_dataset("flights", _frame(1))
    workspace.datasets.delete("flights")
    report = workspace.trash.purge(older_than=timedelta(days=30))
    assert report.purged == ()
    why = {(k.kind, k.name): k.why for k in report.kept}
    assert why[("dataset", "flights")] == "deleted too recently"
    assert why[("model_version", "churn@1")] == "deleted too recently"
    assert why[("run", version.run_id)] == "deleted too recently"
    now = dl.get_run(version.run_id).deleted_at
    assert now is not None
    later = workspace.trash.purge(older_than=timedelta(0), now=now + timedelta(seconds=1))
    assert {(p.kind, p.name) for p in later.purged} >= {("run", version.run_id)}
    with pytest.raises(dl.InvalidInputError, match="older_than -1 day"):
        workspace.trash.purge(older_than=timedelta(days=-1))


def test_a_run_a_kept_model_version_comes_from_is_kept(workspace: dl.Workspace) -> None:
    version = log_churn_model(workspace, onnx=False)
    assert version.run_id is not None
    workspace.registry.delete_version("churn", 1)
    dl.delete_run(version.run_id)
    workspace.registry.restore_version("churn", 1)  # the version is back, the run deleted
    report = workspace.trash.purge()
    (kept,) = report.kept
    assert (kept.kind, kept.name) == ("run", version.run_id)
    assert "model version (1) in the registry comes from it" in kept.why
    assert dl.load_model("churn@1") is not None


def test_gc_asks_before_purging_and_drops_a_purged_views_online_values(
    sqlite_workspace: dl.Workspace,
) -> None:
    ws = sqlite_workspace
    dl.log_dataset("weather", _frame(1))
    station = dl.Entity("station", join_keys=["origin"])
    view = dl.FeatureView(
        "weather", entities=[station], source="weather", features=[dl.Feature("temp")]
    )
    dl.apply_features([view])
    ws.features.materialize()
    assert dl.get_online_features(["weather:temp"], [{"origin": "JFK"}], to="dict")["temp"] == [1.0]
    ws.features.delete_view("weather")
    dry = invoke_cli("gc", "--dry-run", "--json")
    assert dry.exit_code == 0, dry.stderr
    assert [(p["kind"], p["name"]) for p in json.loads(dry.stdout)["purged"]] == [
        ("feature_view", "weather")
    ]
    refused = invoke_cli("gc", input="n\n")
    assert refused.exit_code == 1 and "Permanently remove 1 deleted object(s) (1 feature view)" in (
        refused.stderr
    )
    assert "nothing was removed" in refused.stderr
    assert ws.features.catalog.latest("deleted_only") != []
    done = invoke_cli("gc", "--yes", "--json")
    assert done.exit_code == 0, done.stderr
    assert json.loads(done.stdout)["purged"][0]["name"] == "weather"
    assert ws.resources.online_store.read("weather", ['["JFK"]']) == [None]
    dl.apply_features([view])  # the name is free again: a new view, from version 1
    assert ws.features.catalog.get("weather").version == 1


def test_an_endpoint_purge_takes_its_monitor_loop_history_and_triggers(
    workspace: dl.Workspace, retrain_target: str
) -> None:
    from driftloop.monitoring import AlertRule, MonitorSpec
    from driftloop.store._automation_rows import LoopDecisionRow, LoopPolicyRow
    from driftloop.store._monitoring_rows import AlertRuleRow, MonitorRow
    from driftloop.store._trigger_rows import TriggerRow

    log_churn_model(workspace, onnx=False)
    workspace.serving.deploy("churn", "churn@1")
    workspace.monitoring.define("watch", MonitorSpec("churn", window="1d"))
    workspace.monitoring.define_alert(AlertRule("drop", "watch", "accuracy", 0.7, above=False))
    policy = {"endpoint": "churn", "model": "churn", "pipeline": retrain_target}
    dl.set_loop_policy({**policy, "triggers": [{"alert": "drop"}]})
    workspace.loop.retrain("churn", "by hand")
    workspace.loop.abandon("churn", "not now")
    workspace.loop.delete_policy("churn")
    workspace.monitoring.delete("watch")
    workspace.serving.delete_endpoint("churn")
    report = workspace.trash.purge()
    assert sorted(p.kind for p in report.purged) == [
        "alert_rule",
        "endpoint",
        "loop_policy",
        "monitor",
        "trigger",
    ]
    for row_type in (LoopPolicyRow, MonitorRow, AlertRuleRow, TriggerRow, DeploymentRow):
        assert _rows(workspace, row_type) == 0, row_type
    assert _rows(workspace, LoopDecisionRow) == 0  # the endpoint's loop history went with it
    workspace.serving.deploy("churn", "churn@1")  # every name is free again
    dl.set_loop_policy({**policy, "triggers": [{"schedule": "0 3 * * 1"}]})
    workspace.monitoring.define("watch", MonitorSpec("churn", window="1d"))


def _rows(ws: dl.Workspace, row_type: object) -> int:
    with ws.store.read() as session:
        return int(session.scalar(select(func.count()).select_from(row_type)) or 0)  # type: ignore[arg-type]
