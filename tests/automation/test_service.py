"""The loop's logic on every path, against the in-memory world of dl.testing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

import driftloop as dl
from driftloop.automation import EpisodeState, ModelEvidence, RouteStats, parse_policy
from driftloop.automation._service import LoopService
from driftloop.errors import ConflictError
from driftloop.testing import FakeLoopWorld

S = EpisodeState
T0 = datetime(2026, 12, 1, tzinfo=UTC)
ALERT = {"kind": "alert", "source": "delay-drift", "psi": 0.31}
GOOD_CANARY = RouteStats(requests=300, latency_p99_ms=9.0, labeled=80, metric=0.81)
CHAMPION_LIVE = RouteStats(requests=1200, latency_p99_ms=9.0, labeled=300, metric=0.78)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def make_policy(**extra: object) -> dict[str, object]:
    return {
        "endpoint": "flights",
        "model": "flight-delays",
        "pipeline": "demo:train",
        "triggers": [{"alert": "delay-drift"}],
        "gate": {"min_improvement": 0.01},
        "rollout": {"min_requests": 100, "min_labels": 20, "observe_minutes": 30},
        "cooldown_hours": 6,
        **extra,
    }


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def world() -> FakeLoopWorld:
    return FakeLoopWorld(
        evidence={1: ModelEvidence({"recent": 0.70}), 2: ModelEvidence({"recent": 0.76})}
    )


@pytest.fixture
def make_loop(
    workspace: dl.Workspace, world: FakeLoopWorld, clock: Clock
) -> Callable[..., LoopService]:
    def make(**extra: object) -> LoopService:
        loop = LoopService(workspace.store, world.parts(), clock, user="ana")
        loop.set_policy(parse_policy(make_policy(**extra)))
        return loop

    return make


def test_an_alert_takes_a_better_challenger_through_canary_to_promotion(
    make_loop: Callable[..., LoopService], world: FakeLoopWorld, clock: Clock
) -> None:
    loop = make_loop()
    assert loop.on_trigger("flights", ALERT) is not None
    (episode,) = loop.tick()
    assert episode.state is S.CANARY and (world.primary, world.canary) == (1, 2)
    world.canary_stats, world.champion_stats = GOOD_CANARY, CHAMPION_LIVE
    clock.advance(minutes=10)
    (episode,) = loop.tick()
    assert episode.state is S.PROMOTED and (world.primary, world.canary) == (2, None)
    kinds = [d.kind for d in loop.history("flights")]
    assert kinds == ["triggered", "training", "gating", "canary", "promoted"]
    gate = loop.history("flights")[3].evidence["gate"]
    assert gate["passed"] is True and gate["checks"][0]["champion"] == 0.70
    assert loop.history("flights")[0].evidence["psi"] == 0.31


def test_a_worse_challenger_is_rejected_by_the_gate_and_never_served(
    make_loop: Callable[..., LoopService], world: FakeLoopWorld
) -> None:
    world.evidence[2] = ModelEvidence({"recent": 0.65})
    loop = make_loop()
    loop.on_trigger("flights", ALERT)
    (episode,) = loop.tick()
    assert episode.state is S.REJECTED
    assert world.deployments == [] and world.primary == 1
    assert "0.6500 is worse than champion 0.7000" in loop.history("flights")[-1].summary


def test_a_canary_that_breaches_is_rolled_back_to_the_champion(
    make_loop: Callable[..., LoopService], world: FakeLoopWorld
) -> None:
    loop = make_loop()
    loop.on_trigger("flights", ALERT)
    loop.tick()
    world.canary_stats = RouteStats(requests=50, errors=9, latency_p99_ms=9.0)
    (episode,) = loop.tick()
    assert episode.state is S.ROLLED_BACK and (world.primary, world.canary) == (1, None)
    assert "error rate" in loop.history("flights")[-1].summary


def test_a_failed_retraining_abandons_the_episode_with_the_error(
    make_loop: Callable[..., LoopService], world: FakeLoopWorld
) -> None:
    world.training = "running"
    loop = make_loop()
    loop.on_trigger("flights", ALERT)
    assert loop.tick()[0].state is S.TRAINING
    assert loop.tick()[0].state is S.TRAINING
    world.training, world.training_error = "failed", "step 'train' raised ValueError"
    assert loop.tick()[0].state is S.ABANDONED
    assert "ValueError" in loop.history("flights")[-1].summary
    assert world.submitted == {loop.journal.episodes("flights")[0].id: "run-1"}


def test_one_drift_does_not_retrain_twice_while_busy_or_cooling_down(
    make_loop: Callable[..., LoopService], world: FakeLoopWorld, clock: Clock
) -> None:
    world.evidence[2] = ModelEvidence({"recent": 0.60})
    loop = make_loop()
    loop.on_trigger("flights", ALERT)
    assert loop.on_trigger("flights", ALERT) is None
    loop.tick()
    clock.advance(hours=5)
    assert loop.on_trigger("flights", ALERT) is None
    clock.advance(hours=1, seconds=1)
    assert loop.on_trigger("flights", ALERT) is not None
    summaries = [d.summary for d in loop.history("flights") if d.kind == "suppressed"]
    assert "already in progress" in summaries[0] and "cooling down" in summaries[1]


def test_an_approval_is_required_before_any_traffic_and_records_who(
    make_loop: Callable[..., LoopService], world: FakeLoopWorld
) -> None:
    loop = make_loop(require_approval=True)
    loop.on_trigger("flights", ALERT)
    assert loop.tick()[0].state is S.AWAITING_APPROVAL and world.canary is None
    assert loop.tick()[0].state is S.AWAITING_APPROVAL
    episode = loop.approve("flights", reason="looks right")
    assert episode.state is S.CANARY and world.canary == 2
    last = loop.history("flights")[-1]
    assert last.actor == "ana" and last.evidence["why"] == "looks right"
    with pytest.raises(ConflictError, match="no challenger awaiting approval"):
        loop.reject("flights")


def test_a_rejection_ends_the_episode_and_nothing_is_deployed(
    make_loop: Callable[..., LoopService], world: FakeLoopWorld
) -> None:
    loop = make_loop(require_approval=True)
    loop.on_trigger("flights", ALERT)
    loop.tick()
    assert loop.reject("flights", reason="not on a Friday").state is S.REJECTED
    assert world.deployments == []


def test_a_paused_or_pinned_loop_starts_nothing_and_an_open_episode_waits(
    make_loop: Callable[..., LoopService], world: FakeLoopWorld
) -> None:
    loop = make_loop()
    loop.pin("flights", 1)
    assert loop.on_trigger("flights", ALERT) is None
    loop.pin("flights", None)
    loop.on_trigger("flights", ALERT)
    loop.pause("flights")
    assert loop.tick() == [] and world.deployments == []
    loop.pause("flights", paused=False)
    assert loop.tick()[0].state is S.CANARY


def test_a_promotion_done_before_a_crash_is_recognised_not_repeated(
    make_loop: Callable[..., LoopService], world: FakeLoopWorld
) -> None:
    loop = make_loop()
    loop.on_trigger("flights", ALERT)
    loop.tick()
    world.promote(loop.policy("flights").policy, 2)  # the scheduler died right after this
    deployments = len(world.deployments)
    assert loop.tick()[0].state is S.PROMOTED
    assert len(world.deployments) == deployments


def test_a_person_s_manual_trigger_is_not_held_back_by_the_cooldown(
    make_loop: Callable[..., LoopService], world: FakeLoopWorld
) -> None:
    world.evidence[2] = ModelEvidence({"recent": 0.60})
    loop = make_loop()
    loop.on_trigger("flights", ALERT)
    loop.tick()
    assert loop.on_trigger("flights", ALERT) is None
    episode = loop.retrain("flights", reason="try the new join", params={"window": 8})
    assert episode is not None and episode.trigger["source"] == "ana"
    loop.tick()
    assert world.submitted_params[episode.id] == {"window": 8}


def _firing(version: int = 1, route: str = "primary") -> dict[str, object]:
    return {
        "id": "alert-1",
        "rule": "delay-drift",
        "model_version": version,
        "route": route,
        "metric": "drift.share",
        "value": 0.4,
        "fired_at": T0.isoformat(),
    }


def _rejected_once(make_loop: Callable[..., LoopService], world: FakeLoopWorld, **extra: object):
    world.evidence[2] = ModelEvidence({"recent": 0.69})  # worse: the gate rejects it
    loop = make_loop(**extra)
    assert loop.on_trigger("flights", ALERT) is not None
    (episode,) = loop.tick()
    assert episode.state is S.REJECTED
    world.next_model_version = 3
    world.evidence[3] = ModelEvidence({"recent": 0.76})
    return loop


def test_an_alert_still_firing_after_the_cooldown_starts_another_retraining(
    make_loop: Callable[..., LoopService], world: FakeLoopWorld, clock: Clock
) -> None:
    loop = _rejected_once(make_loop, world)
    world.firing_alerts = [_firing()]
    clock.advance(hours=5)  # the cooldown is 6 hours: nothing, and nothing recorded
    before = len(loop.history("flights"))
    assert loop.tick() == []
    assert len(loop.history("flights")) == before
    clock.advance(hours=2)
    (episode,) = loop.tick()
    assert episode.state is S.CANARY and world.canary == 3
    assert episode.trigger["repeat"] and episode.trigger["payload"]["id"] == "alert-1"
    said = [d.summary for d in loop.history("flights") if d.kind == "triggered"]
    assert "still firing" in said[-1] and "still firing" not in said[0]


def test_no_repeat_when_the_alert_resolved_is_on_another_version_or_repeats_are_off(
    make_loop: Callable[..., LoopService], world: FakeLoopWorld, clock: Clock
) -> None:
    loop = _rejected_once(make_loop, world)
    clock.advance(hours=7)
    assert loop.tick() == []  # resolved: nothing firing
    world.firing_alerts = [_firing(version=7), _firing(route="canary")]
    assert loop.tick() == []  # an old version's or the canary's alert is not the champion's
    world.firing_alerts = [_firing()]
    loop.pause("flights")
    assert loop.tick() == []
    loop.pause("flights", paused=False)
    loop.set_policy(parse_policy(make_policy(repeat_while_firing=False)))
    assert loop.tick() == []
    loop.set_policy(parse_policy(make_policy()))
    assert [e.state for e in loop.tick()] == [S.CANARY]
