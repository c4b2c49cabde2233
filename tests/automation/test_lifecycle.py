"""Abandoning a loop episode, deleting and restoring loop policies, and what the loop
keeps from deletion."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

import driftloop as dl
from driftloop.automation import EpisodeState, ModelEvidence, parse_policy
from driftloop.automation._config import apply_loop_file
from driftloop.automation._lifecycle import model_version_users
from driftloop.automation._service import LoopService
from driftloop.store._lifecycle import lifecycle_events
from driftloop.testing import FakeLoopWorld, invoke_cli

S = EpisodeState
T0 = datetime(2026, 12, 1, tzinfo=UTC)
ALERT = {"kind": "alert", "source": "delay-drift"}


def _policy(**extra: object) -> dict[str, object]:
    return {
        "endpoint": "flights",
        "model": "flight-delays",
        "pipeline": "demo:train",
        "triggers": [{"alert": "delay-drift"}, {"schedule": "0 3 * * 1"}],
        "gate": {"min_improvement": 0.01},
        **extra,
    }


@pytest.fixture
def world() -> FakeLoopWorld:
    return FakeLoopWorld(
        evidence={1: ModelEvidence({"recent": 0.70}), 2: ModelEvidence({"recent": 0.76})}
    )


@pytest.fixture
def make_loop(workspace: dl.Workspace, world: FakeLoopWorld) -> Callable[..., LoopService]:
    def make(user: str = "ana", **extra: object) -> LoopService:
        loop = LoopService(
            workspace.store, world.parts(), lambda: T0, user=user, triggers=workspace.triggers
        )
        loop.set_policy(parse_policy(_policy(**extra)))
        return loop

    return make


def test_abandoning_a_canary_rolls_it_back_and_says_who_and_why(
    workspace: dl.Workspace, make_loop: Callable[..., LoopService], world: FakeLoopWorld
) -> None:
    loop = make_loop()
    loop.on_trigger("flights", ALERT)
    (episode,) = loop.tick()
    assert episode.state is S.CANARY and world.canary == 2
    abandoned = loop.abandon("flights", "  holiday traffic is not representative ")
    assert abandoned.state is S.ABANDONED and (world.primary, world.canary) == (1, None)
    last = loop.history("flights")[-1]
    assert (last.kind, last.actor) == ("abandoned", "ana")
    assert last.summary == "abandoned by ana: holiday traffic is not representative"
    assert last.evidence["canary_rolled_back"] == 2
    with workspace.store.read() as session:
        (event,) = lifecycle_events(session, "loop_episode", episode.id)
    assert (event.action, event.actor, event.reason) == (
        "abandon",
        "ana",
        "holiday traffic is not representative",
    )
    assert event.at == T0
    with pytest.raises(dl.ConflictError, match="has no open loop episode to abandon"):
        loop.abandon("flights", "again")


def test_abandoning_a_retraining_cancels_its_run_and_a_reason_is_required(
    make_loop: Callable[..., LoopService], world: FakeLoopWorld
) -> None:
    world.training = "running"
    loop = make_loop()
    loop.on_trigger("flights", ALERT)
    (episode,) = loop.tick()
    assert episode.state is S.TRAINING
    with pytest.raises(dl.InvalidInputError, match="needs a reason"):
        loop.abandon("flights", " ")
    loop.abandon("flights", "stuck for a day")
    assert world.cancelled == [episode.pipeline_run_id]
    assert loop.history("flights")[-1].evidence["training_cancelled"] == episode.pipeline_run_id


def test_a_deleted_policy_takes_its_triggers_and_the_loop_stops_acting(
    workspace: dl.Workspace,
    make_loop: Callable[..., LoopService],
    world: FakeLoopWorld,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    world.training = "running"
    loop = make_loop()
    loop.on_trigger("flights", ALERT)
    with pytest.raises(dl.ConflictError, match=r"episode .* is triggered; abandon it first"):
        loop.delete_policy("flights")
    loop.abandon("flights", "not now")
    event = loop.delete_policy("flights")
    assert event.reason == "with 2 trigger(s)"
    assert workspace.triggers.list() == [] and loop.journal.policies() == []
    assert loop.tick() == []
    with pytest.raises(dl.NotFoundError, match=r"policy of 'flights' is deleted .*loop restore"):
        loop.on_trigger("flights", {"kind": "manual"})
    with pytest.raises(dl.ConflictError, match="policy of 'flights' is deleted"):
        loop.set_policy(parse_policy(_policy()))
    path = tmp_path / "driftloop.toml"
    path.write_text(
        '[[loop]]\nendpoint = "flights"\nmodel = "m"\npipeline = "demo:train"\n'
        'triggers = [{ alert = "delay-drift" }]\n'
    )
    with caplog.at_level(logging.WARNING, logger="driftloop.scheduler"):
        assert apply_loop_file(loop, path) == []
    assert "the [[loop]] of flights was not applied: its policy is deleted" in caplog.text
    loop.restore_policy("flights")
    assert [t.name for t in workspace.triggers.list()] == [
        "loop.flights.alert.1",
        "loop.flights.schedule.2",
    ]
    assert [p.policy.endpoint for p in loop.journal.policies()] == ["flights"]


def test_what_the_loop_uses_refuses_deletion(
    workspace: dl.Workspace, make_loop: Callable[..., LoopService], world: FakeLoopWorld
) -> None:
    frame = pd.DataFrame({"x": [1.0, 2.0], "label": [0, 1]})
    holdout = dl.log_dataset("holdout", frame)
    loop = make_loop(gate={"holdout": holdout.ref, "holdout_label": "label"}, require_approval=True)
    with pytest.raises(dl.ConflictError, match="policy of 'flights' gates on holdout@1"):
        workspace.datasets.delete("holdout@1")
    loop.on_trigger("flights", ALERT)
    (episode,) = loop.tick()
    assert episode.state is S.AWAITING_APPROVAL
    (use,) = model_version_users(workspace.store)(("flight-delays", 2))
    assert f"loop episode {episode.id} of endpoint 'flights' is trying flight-delays@2" in use
    assert model_version_users(workspace.store)(("flight-delays", 1)) == []
    from tests.serving.conftest import log_churn_model

    log_churn_model(workspace, onnx=False)
    workspace.serving.deploy("flights", "churn@1")
    with pytest.raises(dl.ConflictError, match="its loop policy drives it"):
        workspace.serving.delete_endpoint("flights")


def test_loop_abandon_delete_and_restore_from_the_cli(
    sqlite_workspace: dl.Workspace, retrain_target: str
) -> None:
    from tests.serving.conftest import log_churn_model

    # A policy names what exists (it is checked when set): a model and a pipeline.
    log_churn_model(sqlite_workspace, onnx=False, name="flight-delays")
    dl.set_loop_policy(_policy(pipeline=retrain_target))
    retrain = invoke_cli("loop", "retrain", "flights", "-r", "try it")
    assert retrain.exit_code == 0, retrain.stderr
    missing = invoke_cli("loop", "abandon", "flights")
    assert missing.exit_code != 0 and "--reason" in missing.stderr
    abandoned = invoke_cli("loop", "abandon", "flights", "-r", "wrong data", "--json")
    assert abandoned.exit_code == 0, abandoned.stderr
    assert json.loads(abandoned.stdout)["state"] == "abandoned"
    deleted = invoke_cli("loop", "delete", "flights")
    assert deleted.exit_code == 0 and "undo with `driftloop loop restore flights`" in (
        deleted.stdout.replace("\n", "")
    )
    gone = json.loads(invoke_cli("loop", "status", "--deleted", "--json").stdout)
    assert [g["endpoint"] for g in gone] == ["flights"]
    assert json.loads(invoke_cli("loop", "status", "--json").stdout) == []
    assert invoke_cli("loop", "restore", "flights").exit_code == 0
    assert [s["endpoint"] for s in json.loads(invoke_cli("loop", "status", "--json").stdout)] == [
        "flights"
    ]
