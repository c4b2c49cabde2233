"""Deleting and restoring endpoints: over HTTP, from the CLI, seen by running servers."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest
from tests.serving.conftest import Server, log_churn_model, running

import driftloop as dl
from driftloop.serving import ServeSettings
from driftloop.serving._app import create_app
from driftloop.testing import invoke_cli

ROW = {"records": [{"age": 30.0, "tenure": 2}]}


@pytest.fixture
def served(sqlite_workspace: dl.Workspace) -> Iterator[Server]:
    log_churn_model(sqlite_workspace, 1.0, onnx=False)
    log_churn_model(sqlite_workspace, 0.01, onnx=False)
    sqlite_workspace.serving.deploy("churn", "churn@1")
    app = create_app(sqlite_workspace, ServeSettings(poll_interval_s=0.02))
    with running(app) as server:
        yield server


def _status_within(server: Server, wanted: int, seconds: float = 10) -> int:
    deadline, status = time.monotonic() + seconds, 0
    while time.monotonic() < deadline:
        status = server.client.post("/v1/endpoints/churn/predict", json=ROW).status_code
        if status == wanted:
            break
        time.sleep(0.02)
    return status


def test_delete_over_http_stops_serving_and_a_restore_serves_again(
    served: Server, sqlite_workspace: dl.Workspace
) -> None:
    assert _status_within(served, 200) == 200
    answer = served.client.delete("/v1/endpoints/churn", headers={"X-Driftloop-User": "ana"})
    assert answer.status_code == 200, answer.text
    event = answer.json()
    assert (event["action"], event["actor"], event["name"]) == ("delete", "ana", "churn")
    refused = served.client.post("/v1/endpoints/churn/predict", json=ROW)
    assert refused.status_code == 404 and "no endpoint named 'churn'" in refused.json()["error"]
    assert served.client.get("/v1/endpoints").json()["endpoints"] == []
    again = served.client.delete("/v1/endpoints/churn")
    assert again.status_code == 409 and "already deleted" in again.json()["error"]
    assert served.client.delete("/v1/endpoints/nope").status_code == 404
    redeploy = served.client.put("/v1/endpoints/churn/deployment", json={"primary": "churn@2"})
    assert redeploy.status_code == 409
    assert "endpoints restore churn" in redeploy.json()["error"]
    deleted = sqlite_workspace.serving.list_endpoints("deleted_only")
    assert [(e.name, e.deleted_by) for e in deleted] == [("churn", "ana")]
    sqlite_workspace.acting_as("bo").serving.restore_endpoint("churn")  # another process
    assert _status_within(served, 200) == 200
    assert sqlite_workspace.serving.get_deployment("churn").version == 1


def test_a_rollback_to_a_deleted_version_is_refused(sqlite_workspace: dl.Workspace) -> None:
    log_churn_model(sqlite_workspace, onnx=False)
    log_churn_model(sqlite_workspace, onnx=False)
    sqlite_workspace.serving.deploy("churn", "churn@1")
    sqlite_workspace.serving.deploy("churn", "churn@2")
    sqlite_workspace.registry.delete_version("churn", 1)
    with pytest.raises(dl.NotFoundError, match=r"churn@1 is deleted .*models restore churn@1"):
        sqlite_workspace.serving.rollback("churn")
    assert sqlite_workspace.serving.get_deployment("churn").version == 2


def test_endpoints_delete_and_restore_from_the_cli(sqlite_workspace: dl.Workspace) -> None:
    log_churn_model(sqlite_workspace, onnx=False)
    sqlite_workspace.serving.deploy("churn", "churn@1")
    deleted = invoke_cli("endpoints", "delete", "churn")
    assert deleted.exit_code == 0, deleted.stderr
    assert "undo with `driftloop endpoints restore churn`" in deleted.stdout.replace("\n", "")
    assert json.loads(invoke_cli("endpoints", "list", "--json").stdout) == []
    trash = json.loads(invoke_cli("endpoints", "list", "--deleted", "--json").stdout)
    assert [(e["endpoint"], e["deleted_by"]) for e in trash] == [("churn", sqlite_workspace.user)]
    restored = invoke_cli("endpoints", "restore", "churn", "--json")
    assert restored.exit_code == 0 and json.loads(restored.stdout)[0]["action"] == "restore"
    assert [
        e["endpoint"] for e in json.loads(invoke_cli("endpoints", "list", "--json").stdout)
    ] == ["churn"]
