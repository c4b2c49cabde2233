"""The loop's memory in the metadata store: policies, episodes and every decision.

An episode moves only inside a transaction that first checks it is still in the state the
caller saw, so two schedulers acting on one episode cannot both move it; the move and its
decision row are written together, so the history never misses a step that happened.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError as SqlIntegrityError

from driftloop._serialization import to_jsonable
from driftloop.automation._episode import Episode, EpisodeState, advance
from driftloop.automation._lifecycle import refuse_deleted
from driftloop.automation._policy import LoopPolicy, parse_policy, policy_to_dict
from driftloop.errors import ConflictError, NotFoundError
from driftloop.store import MetadataStore
from driftloop.store._automation_rows import LoopDecisionRow, LoopEpisodeRow, LoopPolicyRow
from driftloop.store._lifecycle import ViewType, deleted_message, record_event, visible


@dataclass(frozen=True, slots=True)
class Decision:
    """One entry of ``driftloop loop history``."""

    id: int
    endpoint: str
    episode_id: str | None
    at: datetime
    kind: str
    from_state: str | None
    to_state: str | None
    summary: str
    evidence: dict[str, Any]
    actor: str


@dataclass(frozen=True, slots=True)
class PolicyState:
    policy: LoopPolicy
    is_paused: bool
    pinned_version: int | None
    updated_at: datetime
    updated_by: str
    deleted_at: datetime | None = None
    deleted_by: str | None = None


class LoopJournal:
    """Reads and writes the loop's rows; no decisions are taken here."""

    def __init__(self, store: MetadataStore) -> None:
        self._store = store

    def save_policy(self, policy: LoopPolicy, user: str, now: datetime) -> None:
        with self._store.session() as session:
            row = session.get(LoopPolicyRow, policy.endpoint)
            refuse_deleted(row)
            spec = policy_to_dict(policy)
            if row is None:
                session.add(
                    LoopPolicyRow(
                        endpoint=policy.endpoint, spec=spec, updated_at=now, updated_by=user
                    )
                )
            else:
                row.spec, row.updated_at, row.updated_by = spec, now, user

    def policy(self, endpoint: str) -> PolicyState:
        with self._store.read() as session:
            row = session.get(LoopPolicyRow, endpoint)
            if row is not None and row.deleted_at is not None:
                restore = f"driftloop loop restore {endpoint}"
                raise NotFoundError(
                    deleted_message(f"the loop policy of {endpoint!r}", row, restore)
                )
            if row is None:
                raise NotFoundError(
                    f"endpoint {endpoint!r} has no loop policy; define one with "
                    "dl.set_loop_policy(...) or a [[loop]] table in driftloop.toml"
                )
            return _policy_state(row)

    def policies(self, view_type: ViewType | str = ViewType.ACTIVE_ONLY) -> list[PolicyState]:
        """Policies by endpoint; deleted ones only with ``view_type``."""
        query = select(LoopPolicyRow).where(*visible(LoopPolicyRow, view_type))
        with self._store.read() as session:
            rows = session.scalars(query.order_by(LoopPolicyRow.endpoint))
            return [_policy_state(row) for row in rows]

    def set_controls(
        self, endpoint: str, user: str, now: datetime, **controls: bool | int | None
    ) -> None:
        """Set ``is_paused`` and/or ``pinned_version`` of an endpoint's policy."""
        with self._store.session() as session:
            row = session.get(LoopPolicyRow, endpoint)
            if row is None or row.deleted_at is not None:
                raise NotFoundError(f"endpoint {endpoint!r} has no loop policy")
            for name, value in controls.items():
                setattr(row, name, value)
            row.updated_at, row.updated_by = now, user

    def open_episode(self, endpoint: str, trigger: dict[str, Any], now: datetime) -> Episode | None:
        """Start an episode, or return None when the endpoint already has one open."""
        episode = Episode(
            id=uuid.uuid4().hex,
            endpoint=endpoint,
            state=EpisodeState.TRIGGERED,
            started_at=now,
            updated_at=now,
            trigger=to_jsonable(trigger),
        )
        try:
            with self._store.session() as session:
                session.add(_episode_row(episode))
                session.flush()
                session.add(
                    _decision_row(episode, "triggered", None, _describe(trigger), trigger, "loop")
                )
        except SqlIntegrityError:
            return None
        return episode

    def move(
        self,
        episode: Episode,
        to: EpisodeState,
        now: datetime,
        *,
        summary: str,
        evidence: dict[str, Any],
        actor: str = "loop",
        abandoned_because: str | None = None,
        **changes: Any,
    ) -> Episode:
        """Move ``episode`` to ``to`` and record why, if nobody moved it first; a person's
        abandon (``abandoned_because``) also goes to the lifecycle log, in the same commit.

        Raises:
            ConflictError: the episode is no longer in ``episode.state``, or the move is
                not a legal one.
        """
        moved = advance(episode, to, now, **changes)
        with self._store.session() as session:
            row = session.get(LoopEpisodeRow, episode.id, with_for_update=True)
            if row is None or row.state != episode.state.value:
                seen = row.state if row else "gone"
                raise ConflictError(
                    f"loop episode {episode.id} moved to {seen} meanwhile; re-read it"
                )
            _copy_into(row, moved)
            session.add(
                _decision_row(moved, to.value, episode.state.value, summary, evidence, actor)
            )
            if abandoned_because is not None:
                reason = abandoned_because
                record_event(session, "loop_episode", episode.id, "abandon", actor, now, reason)
        return moved

    def note(
        self,
        endpoint: str,
        kind: str,
        summary: str,
        evidence: dict[str, Any],
        actor: str,
        now: datetime,
        episode: Episode | None = None,
    ) -> None:
        """Record a decision that moves no episode (suppressed by cooldown, paused, ...)."""
        with self._store.session() as session:
            session.add(
                LoopDecisionRow(
                    episode_id=episode.id if episode else None,
                    endpoint=endpoint,
                    at=now,
                    kind=kind,
                    from_state=episode.state.value if episode else None,
                    to_state=None,
                    summary=summary,
                    evidence=to_jsonable(evidence),
                    actor=actor,
                )
            )

    def current(self, endpoint: str) -> Episode | None:
        """The endpoint's open episode, if it has one."""
        stmt = select(LoopEpisodeRow).where(
            LoopEpisodeRow.endpoint == endpoint, LoopEpisodeRow.ended_at.is_(None)
        )
        with self._store.read() as session:
            row = session.scalars(stmt).first()
            return _episode(row) if row else None

    def last_ended(self, endpoint: str) -> Episode | None:
        stmt = (
            select(LoopEpisodeRow)
            .where(LoopEpisodeRow.endpoint == endpoint, LoopEpisodeRow.ended_at.is_not(None))
            .order_by(LoopEpisodeRow.ended_at.desc())
            .limit(1)
        )
        with self._store.read() as session:
            row = session.scalars(stmt).first()
            return _episode(row) if row else None

    def episodes(self, endpoint: str, limit: int = 50) -> list[Episode]:
        stmt = (
            select(LoopEpisodeRow)
            .where(LoopEpisodeRow.endpoint == endpoint)
            .order_by(LoopEpisodeRow.started_at.desc())
            .limit(limit)
        )
        with self._store.read() as session:
            return [_episode(row) for row in session.scalars(stmt)]

    def history(self, endpoint: str, limit: int = 200) -> list[Decision]:
        """Decisions of ``endpoint``, oldest first."""
        stmt = (
            select(LoopDecisionRow)
            .where(LoopDecisionRow.endpoint == endpoint)
            .order_by(LoopDecisionRow.id.desc())
            .limit(limit)
        )
        with self._store.read() as session:
            rows = list(session.scalars(stmt))
        return [_decision(row) for row in reversed(rows)]


def _describe(trigger: dict[str, Any]) -> str:
    kind = trigger.get("kind", "manual")
    source = trigger.get("source")
    if not source:
        return f"{kind} retraining"
    said = f"retraining triggered by {kind} {source!r}"
    if trigger.get("repeat"):  # see LoopService._repeat_for_firing_alert
        since = str((trigger.get("payload") or {}).get("fired_at", ""))[:16]
        said += f", still firing (since {since}) after the last episode and its cooldown"
    return said


def _policy_state(row: LoopPolicyRow) -> PolicyState:
    return PolicyState(
        policy=parse_policy(row.spec, where=f"stored loop policy of {row.endpoint!r}"),
        is_paused=row.is_paused,
        pinned_version=row.pinned_version,
        updated_at=row.updated_at,
        updated_by=row.updated_by,
        deleted_at=row.deleted_at,
        deleted_by=row.deleted_by,
    )


_EPISODE_FIELDS = (
    "pipeline_run_id",
    "challenger_version",
    "champion_version",
    "canary_started_at",
    "updated_at",
    "ended_at",
)


def _episode_row(episode: Episode) -> LoopEpisodeRow:
    row = LoopEpisodeRow(
        id=episode.id,
        endpoint=episode.endpoint,
        trigger=episode.trigger,
        started_at=episode.started_at,
    )
    _copy_into(row, episode)
    return row


def _copy_into(row: LoopEpisodeRow, episode: Episode) -> None:
    row.state = episode.state.value
    for name in _EPISODE_FIELDS:
        setattr(row, name, getattr(episode, name))


def _episode(row: LoopEpisodeRow) -> Episode:
    return Episode(
        id=row.id,
        endpoint=row.endpoint,
        state=EpisodeState(row.state),
        started_at=row.started_at,
        trigger=dict(row.trigger),
        **{name: getattr(row, name) for name in _EPISODE_FIELDS},
    )


def _decision_row(
    episode: Episode,
    kind: str,
    from_state: str | None,
    summary: str,
    evidence: dict[str, Any],
    actor: str,
) -> LoopDecisionRow:
    return LoopDecisionRow(
        episode_id=episode.id,
        endpoint=episode.endpoint,
        at=episode.updated_at,
        kind=kind,
        from_state=from_state,
        to_state=episode.state.value,
        summary=summary,
        evidence=to_jsonable(evidence),
        actor=actor,
    )


def _decision(row: LoopDecisionRow) -> Decision:
    return Decision(
        id=row.id,
        endpoint=row.endpoint,
        episode_id=row.episode_id,
        at=row.at,
        kind=row.kind,
        from_state=row.from_state,
        to_state=row.to_state,
        summary=row.summary,
        evidence=dict(row.evidence),
        actor=row.actor,
    )
