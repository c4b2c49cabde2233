"""`driftloop loop ...`, `approve` and `reject` on a real workspace: people stay in control."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

import driftloop as dl
from driftloop.automation import EpisodeState, parse_policy
from driftloop.store import utcnow
from driftloop.testing import invoke_cli

S = EpisodeState


def _register(ws: dl.Workspace, seed: int) -> int:
    rng = np.random.default_rng(seed)
    x = pd.DataFrame({"a": rng.normal(size=40), "b": rng.normal(size=40)})
    run_id = ws.tracking.create_run("churn")
    logged = ws.registry.log_model(
        run_id,
        LogisticRegression().fit(x, (x["a"] > 0).astype(int)),
        "churn",
        register=True,
        input_example=x,
    )
    ws.tracking.end_run(run_id)
    assert logged.version is not None
    return logged.version.version


@pytest.fixture
def awaiting(sqlite_workspace: dl.Workspace, retrain_target: str) -> dl.Workspace:
    """Endpoint churn serving version 1; version 2 passed the gate and awaits approval."""
    ws = sqlite_workspace
    _register(ws, 0)
    _register(ws, 1)
    ws.serving.deploy("churn", "models:/churn/1")
    # The policy's pipeline never runs: the episode below is moved by hand.
    ws.loop.set_policy(
        parse_policy(
            {
                "endpoint": "churn",
                "model": "churn",
                "pipeline": retrain_target,
                "triggers": [{"alert": "churn-drift"}],
                "require_approval": True,
            }
        )
    )
    journal = ws.loop.journal
    episode = journal.open_episode("churn", {"kind": "alert", "source": "churn-drift"}, utcnow())
    assert episode is not None
    for state, changes in (
        (S.TRAINING, {"pipeline_run_id": "p1"}),
        (S.GATING, {"challenger_version": 2}),
        (S.AWAITING_APPROVAL, {"champion_version": 1}),
    ):
        episode = journal.move(
            episode, state, utcnow(), summary=state.value, evidence={}, **changes
        )
    return ws


def test_approve_starts_the_canary_and_records_who_and_why(awaiting: dl.Workspace) -> None:
    status = invoke_cli("loop", "status", "--json")
    assert status.exit_code == 0, status.stderr
    (row,) = json.loads(status.stdout)
    assert row["episode"]["state"] == "awaiting_approval" and row["paused"] is False
    done = invoke_cli("approve", "churn", "--reason", "checked the holdout")
    assert done.exit_code == 0, done.stderr
    assert "canary started" in done.stdout
    live = awaiting.serving.get_deployment("churn")
    assert (live.primary.model_version, live.canary.model_version) == (1, 2)  # type: ignore[union-attr]
    history = json.loads(invoke_cli("loop", "history", "churn", "--json").stdout)
    assert history[-1]["kind"] == "canary"
    assert history[-1]["evidence"]["why"] == "checked the holdout"
    assert history[-1]["actor"] == awaiting.user
    again = invoke_cli("approve", "churn")
    assert again.exit_code == 1 and "no challenger awaiting approval" in again.stderr


def test_reject_keeps_the_champion_and_ends_the_episode(awaiting: dl.Workspace) -> None:
    done = invoke_cli("reject", "churn", "-r", "not before the holidays")
    assert done.exit_code == 0, done.stderr
    assert awaiting.serving.get_deployment("churn").canary is None
    (episode,) = awaiting.loop.journal.episodes("churn")
    assert episode.state is S.REJECTED
    text = invoke_cli("loop", "history", "churn").stdout
    assert "rejected by" in text and "not before the holidays" not in text  # why is evidence


def test_pause_and_pin_show_in_status_and_hold_back_triggers(awaiting: dl.Workspace) -> None:
    assert invoke_cli("loop", "pause", "churn").exit_code == 0
    assert json.loads(invoke_cli("loop", "status", "--json").stdout)[0]["paused"] is True
    assert "paused" in invoke_cli("loop", "status").stdout
    assert invoke_cli("loop", "resume", "churn").exit_code == 0
    assert invoke_cli("loop", "pin", "churn", "1").exit_code == 0
    assert json.loads(invoke_cli("loop", "status", "--json").stdout)[0]["pinned_version"] == 1
    assert invoke_cli("loop", "unpin", "churn").exit_code == 0
    kinds = [d["kind"] for d in json.loads(invoke_cli("loop", "history", "churn", "--json").stdout)]
    assert kinds[-4:] == ["paused", "resumed", "pinned", "pinned"]


def test_an_unknown_endpoint_is_a_clear_error(sqlite_workspace: dl.Workspace) -> None:
    result = invoke_cli("loop", "pause", "nope")
    assert result.exit_code == 1 and "endpoint 'nope' has no loop policy" in result.stderr


def test_the_challenger_s_lineage_reaches_the_episode_and_the_alert(awaiting: dl.Workspace) -> None:
    lineage = awaiting.registry.lineage("models:/churn/2")
    (node,) = lineage.of_kind("loop_episode")
    assert node.attributes["trigger"] == {"kind": "alert", "source": "churn-drift"}
    assert node.attributes["state"] == "awaiting_approval"
    text = invoke_cli("models", "lineage", "churn@2")
    assert text.exit_code == 0, text.stderr
    assert "challenger_in_loop" in text.stdout and "alert churn-drift" in text.stdout
    assert awaiting.registry.lineage("models:/churn/1").of_kind("loop_episode") == []


def test_every_control_answers_json_with_the_state_it_left(awaiting: dl.Workspace) -> None:
    def controls(*args: str) -> dict[str, object]:
        result = invoke_cli("loop", *args, "churn", "--json")
        assert result.exit_code == 0, result.stderr
        data: dict[str, object] = json.loads(result.stdout)
        return data

    assert controls("pause") == {"endpoint": "churn", "paused": True, "pinned_version": None}
    assert controls("resume")["paused"] is False
    pinned = invoke_cli("loop", "pin", "churn", "1", "--json")
    assert json.loads(pinned.stdout) == {"endpoint": "churn", "paused": False, "pinned_version": 1}
    assert controls("unpin")["pinned_version"] is None
    approved = controls("approve")
    assert approved["state"] == "canary" and approved["challenger_version"] == 2


def test_approve_and_reject_live_under_loop(awaiting: dl.Workspace) -> None:
    rejected = invoke_cli("loop", "reject", "churn", "-r", "later", "--json")
    assert rejected.exit_code == 0, rejected.stderr
    assert json.loads(rejected.stdout)["state"] == "rejected"
