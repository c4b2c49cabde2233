"""One pass of the loop, from trigger to promotion or rollback, as a state machine.

Each move is checked against :data:`TRANSITIONS` here, before anything is written, so a
restarted scheduler that re-reads an episode can only carry it on along a legal path or
abandon it. Terminal states never move again.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from driftloop.errors import ConflictError


class EpisodeState(StrEnum):
    TRIGGERED = "triggered"
    TRAINING = "training"
    GATING = "gating"
    AWAITING_APPROVAL = "awaiting_approval"
    CANARY = "canary"
    PROMOTED = "promoted"
    REJECTED = "rejected"
    ROLLED_BACK = "rolled_back"
    ABANDONED = "abandoned"

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL


TERMINAL = frozenset(
    {
        EpisodeState.PROMOTED,
        EpisodeState.REJECTED,
        EpisodeState.ROLLED_BACK,
        EpisodeState.ABANDONED,
    }
)

_S = EpisodeState
TRANSITIONS: dict[EpisodeState, frozenset[EpisodeState]] = {
    _S.TRIGGERED: frozenset({_S.TRAINING, _S.ABANDONED}),
    _S.TRAINING: frozenset({_S.GATING, _S.ABANDONED}),
    _S.GATING: frozenset({_S.CANARY, _S.AWAITING_APPROVAL, _S.REJECTED, _S.ABANDONED}),
    # Approval is asked before the canary, so no traffic reaches an unapproved model.
    _S.AWAITING_APPROVAL: frozenset({_S.CANARY, _S.REJECTED, _S.ABANDONED}),
    _S.CANARY: frozenset({_S.PROMOTED, _S.ROLLED_BACK, _S.ABANDONED}),
}


@dataclass(frozen=True, slots=True)
class Episode:
    """The loop's record of one retraining: where it is and what it has produced so far."""

    id: str
    endpoint: str
    state: EpisodeState
    started_at: datetime
    updated_at: datetime
    trigger: dict[str, Any] = field(default_factory=dict)
    pipeline_run_id: str | None = None
    challenger_version: int | None = None
    champion_version: int | None = None
    canary_started_at: datetime | None = None
    ended_at: datetime | None = None


def advance(episode: Episode, to: EpisodeState, now: datetime, **changes: Any) -> Episode:
    """Return ``episode`` moved to ``to`` at ``now`` with ``changes`` applied.

    Raises:
        ConflictError: the move is not on a legal path (e.g. promoting a rejected
            challenger), naming both states.
    """
    allowed = TRANSITIONS.get(episode.state, frozenset())
    if to not in allowed:
        choices = ", ".join(sorted(s.value for s in allowed)) or "nothing (it has ended)"
        raise ConflictError(
            f"loop episode {episode.id} of endpoint {episode.endpoint!r} is "
            f"{episode.state.value} and cannot become {to.value}; it can become: {choices}"
        )
    ended_at = now if to.is_terminal else None
    return replace(episode, state=to, updated_at=now, ended_at=ended_at, **changes)


def is_cooling_down(last_ended_at: datetime | None, now: datetime, cooldown_s: float) -> bool:
    """True while a finished episode's cooldown still holds back a new one."""
    if last_ended_at is None:
        return False
    return (now - last_ended_at).total_seconds() < cooldown_s
