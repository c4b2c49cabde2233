"""`driftloop deploy | rollback | endpoints ...` on a real workspace, as a shell runs them."""

from __future__ import annotations

import json
import socket

import pytest
from tests.serving.conftest import log_churn_model

import driftloop as dl
from driftloop.testing import invoke_cli


def test_deploy_update_promote_rollback_and_history(sqlite_workspace: dl.Workspace) -> None:
    for c in (1.0, 0.01):
        log_churn_model(sqlite_workspace, c, onnx=False)
    made = invoke_cli("deploy", "churn", "churn@1", "--json")
    assert made.exit_code == 0, made.stderr
    assert json.loads(made.stdout)["primary"] == {"model": "churn", "version": 1, "ref": "churn@1"}
    canary = invoke_cli(
        "endpoints", "update", "churn", "--canary", "churn@2", "--canary-weight", "0.25"
    )
    assert canary.exit_code == 0 and "canary churn@2 25%" in canary.stdout
    assert invoke_cli("endpoints", "promote", "churn").exit_code == 0
    back = invoke_cli("rollback", "churn", "--json")
    assert json.loads(back.stdout)["action"] == "rollback"
    history = json.loads(invoke_cli("endpoints", "history", "churn", "--json").stdout)
    assert [h["action"] for h in history] == ["deploy", "deploy", "promote", "rollback"]
    shown = json.loads(invoke_cli("endpoints", "show", "churn", "--json").stdout)
    assert shown["primary"]["version"] == 1 and shown["canary"]["version"] == 2
    listed = invoke_cli("endpoints", "list")
    assert listed.exit_code == 0 and "churn" in listed.stdout
    lineage = invoke_cli("models", "lineage", "churn@2")
    assert "deployed_as: endpoint churn deployment 3 (primary)" in lineage.stdout


def test_bad_deployments_exit_1_with_the_reason(sqlite_workspace: dl.Workspace) -> None:
    log_churn_model(sqlite_workspace, onnx=False)
    missing = invoke_cli("deploy", "churn", "churn@9")
    assert missing.exit_code == 1 and "no version 9" in missing.stderr
    weight = invoke_cli("deploy", "churn", "churn@1", "--canary-weight", "0.5")
    assert weight.exit_code == 1 and "without a canary" in weight.stderr
    nothing = invoke_cli("rollback", "ghost")
    assert nothing.exit_code == 1 and "no endpoint named 'ghost'" in nothing.stderr


def test_serve_refuses_bad_limits_naming_the_flags(sqlite_workspace: dl.Workspace) -> None:
    bad = invoke_cli("serve", "--predict-threads", "-1", "--header-timeout", "0")
    assert bad.exit_code == 1
    assert "--predict-threads -1: input should be greater than or equal to 0" in bad.stderr
    assert "--header-timeout 0.0: input should be greater than 0" in bad.stderr


@pytest.mark.parametrize("workers", ["1", "2"])
def test_serve_on_a_port_in_use_says_so_in_one_line(
    sqlite_workspace: dl.Workspace, workers: str
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        busy = invoke_cli("serve", "--port", str(port), "--workers", workers)
    assert busy.exit_code == 1
    assert busy.stderr.splitlines() == [
        f"error: Address in use: port 127.0.0.1:{port} is in use by another process "
        "(another driftloop serve?); stop it, or serve on another port with --port"
    ]
    assert busy.stdout == ""  # no "Serving ..." line for a server that never served
