from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from driftloop.automation import Episode, EpisodeState, advance, is_cooling_down
from driftloop.errors import ConflictError

T0 = datetime(2026, 12, 1, tzinfo=UTC)
S = EpisodeState


def new_episode() -> Episode:
    return Episode(id="e1", endpoint="flights", state=S.TRIGGERED, started_at=T0, updated_at=T0)


def test_an_episode_walks_the_happy_path_and_ends_once() -> None:
    episode = new_episode()
    for step, state in enumerate([S.TRAINING, S.GATING, S.CANARY, S.PROMOTED], start=1):
        episode = advance(episode, state, T0 + timedelta(minutes=step))
    assert episode.state is S.PROMOTED and episode.ended_at == T0 + timedelta(minutes=4)
    with pytest.raises(ConflictError, match="has ended"):
        advance(episode, S.ROLLED_BACK, T0)


def test_an_illegal_move_names_both_states_and_the_legal_ones() -> None:
    episode = advance(new_episode(), S.TRAINING, T0, pipeline_run_id="p1")
    assert episode.pipeline_run_id == "p1"
    with pytest.raises(ConflictError, match=r"training and cannot become promoted.*gating"):
        advance(episode, S.PROMOTED, T0)


def test_approval_comes_before_any_traffic_reaches_the_challenger() -> None:
    episode = advance(advance(new_episode(), S.TRAINING, T0), S.GATING, T0)
    waiting = advance(episode, S.AWAITING_APPROVAL, T0)
    assert advance(waiting, S.CANARY, T0).state is S.CANARY
    assert advance(waiting, S.REJECTED, T0).state.is_terminal


def test_the_cooldown_holds_back_a_new_episode_for_its_length() -> None:
    assert not is_cooling_down(None, T0, 3600)
    assert is_cooling_down(T0, T0 + timedelta(minutes=59), 3600)
    assert not is_cooling_down(T0, T0 + timedelta(minutes=60), 3600)
