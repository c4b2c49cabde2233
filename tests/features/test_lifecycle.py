"""Deleting and restoring feature views, and the datasets views read refusing deletion."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from tests.serving.conftest import log_churn_model

import driftloop as dl
from driftloop.testing import invoke_cli

T0 = datetime(2024, 1, 1, tzinfo=UTC)
STATION = dl.Entity("station", join_keys=["origin"])


def _view(source: str = "weather", name: str = "weather") -> dl.FeatureView:
    return dl.FeatureView(
        name,
        entities=[STATION],
        source=source,
        timestamp="time_hour",
        ttl=timedelta(hours=2),
        features=[dl.Feature("temp")],
    )


def _log_weather(temp: float) -> dl.DatasetVersion:
    frame = pd.DataFrame({"origin": ["JFK"], "time_hour": [T0], "temp": [temp]})
    return dl.log_dataset("weather", frame)


def _temp() -> float:
    rows = pd.DataFrame({"origin": ["JFK"], "event_timestamp": [T0 + timedelta(hours=1)]})
    return float(dl.get_training_set(rows, ["weather:temp"]).to_pandas()["temp"].iloc[0])


def test_a_deleted_view_is_gone_until_restored_and_its_name_stays_taken(
    workspace: dl.Workspace,
) -> None:
    _log_weather(1.0)
    dl.apply_features([_view()])
    event = workspace.acting_as("ana").features.delete_view("weather")
    assert (event.kind, event.name, event.action, event.actor) == (
        "feature_view",
        "weather",
        "delete",
        "ana",
    )
    assert workspace.features.catalog.latest() == []
    gone = workspace.features.catalog.latest("deleted_only")
    assert [(v.name, v.deleted_by) for v in gone] == [("weather", "ana")]
    with pytest.raises(dl.NotFoundError, match=r"'weather' is deleted by ana .*features restore"):
        _temp()
    with pytest.raises(dl.ConflictError, match="or remove it from the definitions"):
        dl.apply_features([_view()])
    workspace.features.restore_view("weather")
    assert _temp() == 1.0
    assert dl.apply_features([_view()])[0].action == "unchanged"


def test_the_dataset_a_view_reads_cannot_go_but_an_older_version_can(
    workspace: dl.Workspace,
) -> None:
    _log_weather(1.0)
    _log_weather(2.0)
    dl.apply_features([_view(), _view("weather@1", "pinned")])
    with pytest.raises(dl.ConflictError) as refused:
        workspace.datasets.delete("weather")
    assert "feature view 'weather' reads weather" in str(refused.value)
    assert "driftloop features delete weather" in str(refused.value)
    with pytest.raises(dl.ConflictError, match="feature view 'pinned' reads weather@1"):
        workspace.datasets.delete("weather@1")
    workspace.features.delete_view("pinned")
    workspace.datasets.delete("weather@2")  # the views read weather@1 now
    assert _temp() == 1.0
    with pytest.raises(dl.ConflictError, match="feature view 'weather' reads weather"):
        workspace.datasets.delete("weather@1")  # the last version kept


def test_a_view_a_live_deployment_looks_up_cannot_go(workspace: dl.Workspace) -> None:
    _log_weather(1.0)
    dl.apply_features([_view()])
    log_churn_model(workspace, onnx=False)
    workspace.serving.deploy("churn", "churn@1", features=["weather:temp"])
    with pytest.raises(dl.ConflictError, match="endpoint 'churn' looks up weather:temp online"):
        workspace.features.delete_view("weather")
    workspace.serving.deploy("churn", "churn@1")
    workspace.features.delete_view("weather")


def test_features_delete_and_restore_from_the_cli(sqlite_workspace: dl.Workspace) -> None:
    _log_weather(1.0)
    dl.apply_features([_view()])
    deleted = invoke_cli("features", "delete", "weather", "--json")
    assert deleted.exit_code == 0, deleted.stderr
    assert json.loads(deleted.stdout)[0]["action"] == "delete"
    assert json.loads(invoke_cli("features", "list", "--json").stdout) == []
    trash = json.loads(invoke_cli("features", "list", "--deleted", "--json").stdout)
    assert [(v["name"], v["deleted_by"]) for v in trash] == [("weather", sqlite_workspace.user)]
    restored = invoke_cli("features", "restore", "weather")
    assert restored.exit_code == 0 and "Restored feature view weather" in restored.stdout
    missing = invoke_cli("features", "restore", "nope")
    assert missing.exit_code == 1 and "there is no feature view 'nope'" in missing.stderr
