from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

import driftloop as dl
from driftloop.automation import EpisodeState, parse_policy
from driftloop.automation._journal import LoopJournal
from driftloop.errors import ConflictError, NotFoundError

T0 = datetime(2026, 12, 1, tzinfo=UTC)
S = EpisodeState
POLICY = parse_policy(
    {
        "endpoint": "flights",
        "model": "flight-delays",
        "pipeline": "demo:train",
        "triggers": [{"alert": "delay-drift"}, {"schedule": "0 3 * * 1"}],
        "train_weeks": 6,
        "rollout": {"observe_minutes": 45},
        "cooldown_hours": 12,
    }
)


@pytest.fixture
def journal(workspace: dl.Workspace) -> LoopJournal:
    return LoopJournal(workspace.store)


def test_a_saved_policy_reads_back_equal_with_its_controls(journal: LoopJournal) -> None:
    journal.save_policy(POLICY, "ana", T0)
    journal.set_controls("flights", "bo", T0, is_paused=True, pinned_version=3)
    state = journal.policy("flights")
    assert state.policy == POLICY
    assert (state.is_paused, state.pinned_version, state.updated_by) == (True, 3, "bo")
    with pytest.raises(NotFoundError, match="no loop policy"):
        journal.policy("nope")


def test_an_endpoint_never_has_two_open_episodes(journal: LoopJournal) -> None:
    first = journal.open_episode("flights", {"kind": "alert", "source": "delay-drift"}, T0)
    assert first is not None
    assert journal.open_episode("flights", {"kind": "schedule"}, T0) is None
    assert journal.open_episode("other", {"kind": "manual"}, T0) is not None
    ended = journal.move(first, S.ABANDONED, T0, summary="stopped", evidence={})
    assert ended.ended_at == T0
    assert journal.open_episode("flights", {"kind": "manual"}, T0) is not None


def test_moves_are_recorded_with_their_evidence_in_order(journal: LoopJournal) -> None:
    episode = journal.open_episode("flights", {"kind": "alert", "source": "delay-drift"}, T0)
    assert episode is not None
    later = T0 + timedelta(minutes=5)
    episode = journal.move(
        episode,
        S.TRAINING,
        later,
        summary="retraining",
        evidence={"run": "p1"},
        pipeline_run_id="p1",
    )
    assert journal.current("flights") == episode
    journal.note("flights", "cooldown", "suppressed", {"n": 1}, "loop", later, episode)
    kinds = [(d.kind, d.from_state, d.to_state) for d in journal.history("flights")]
    assert kinds == [
        ("triggered", None, "triggered"),
        ("training", "triggered", "training"),
        ("cooldown", "training", None),
    ]
    assert journal.history("flights")[1].evidence == {"run": "p1"}


def test_a_stale_copy_of_an_episode_cannot_move_it_twice(journal: LoopJournal) -> None:
    episode = journal.open_episode("flights", {}, T0)
    assert episode is not None
    journal.move(episode, S.TRAINING, T0, summary="a", evidence={})
    with pytest.raises(ConflictError, match="meanwhile"):
        journal.move(episode, S.ABANDONED, T0, summary="b", evidence={})
    assert journal.current("flights").state is S.TRAINING  # type: ignore[union-attr]


def test_evidence_with_non_finite_numbers_is_stored_as_strict_json(journal: LoopJournal) -> None:
    episode = journal.open_episode("flights", {"psi": float("nan")}, T0)
    assert episode is not None
    journal.move(episode, S.ABANDONED, T0, summary="x", evidence={"auc": float("inf")})
    first, second = journal.history("flights")
    assert first.evidence == {"psi": "NaN"} and second.evidence == {"auc": "Infinity"}
