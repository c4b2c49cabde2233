"""Deleting and restoring loop policies, and what the loop uses of the other contexts.

A deleted policy takes its triggers with it (they fire no more) and the loop stops
acting on the endpoint: no tick carries it, no trigger opens an episode. It is refused
while an episode is open (abandon it first, with a reason). A ``[[loop]]`` table of
``driftloop.toml`` naming it is skipped with a warning until it is restored or purged.

The loop uses endpoints (its policy drives one), dataset versions (a gate's holdout)
and model versions (the challenger of an open episode); the checks below refuse their
deletion, naming the policy or episode.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.orm import Session

from driftloop._refs import parse_ref
from driftloop.automation._episode import Episode, EpisodeState
from driftloop.automation._policy import LoopPolicy
from driftloop.automation._protocols import CancelsTraining, Router, Trainer
from driftloop.errors import ConflictError, DriftloopError, InvalidInputError
from driftloop.store import MetadataStore, TriggerRow
from driftloop.store._automation_rows import LoopEpisodeRow, LoopPolicyRow
from driftloop.store._deletable import Deletable, delete_object, restore_object
from driftloop.store._lifecycle import LifecycleEvent, UsageCheck, deleted_among, deleted_message


def _triggers_of(endpoint: str) -> list[ColumnElement[bool]]:
    return [TriggerRow.target_kind == "loop", TriggerRow.target == endpoint]


POLICY = Deletable(
    kind="loop_policy",
    noun="loop policy of endpoint",
    row_type=LoopPolicyRow,
    rows=lambda endpoint: [LoopPolicyRow.endpoint == endpoint],
    listing="driftloop loop status --deleted",
    parts=lambda row: [(TriggerRow, _triggers_of(row.endpoint), "trigger(s)")],
)


def delete_policy(store: MetadataStore, endpoint: str, user: str, now: datetime) -> LifecycleEvent:
    """Delete the policy of ``endpoint`` and its triggers; refused while an episode is open."""

    def no_open_episode(session: Session, row: LoopPolicyRow) -> None:
        episode = session.scalar(
            select(LoopEpisodeRow).where(
                LoopEpisodeRow.endpoint == endpoint, LoopEpisodeRow.ended_at.is_(None)
            )
        )
        if episode is not None:
            raise ConflictError(
                f"the loop policy of {endpoint!r} is in use, so it was not deleted: episode "
                f"{episode.id} is {episode.state}; abandon it first with `driftloop loop "
                f"abandon {endpoint} -r REASON`"
            )

    return delete_object(store, POLICY, endpoint, user, now, check=no_open_episode)


def restore_policy(store: MetadataStore, endpoint: str, user: str, now: datetime) -> LifecycleEvent:
    """Restore a deleted policy and the triggers deleted with it (owing nothing missed)."""

    def owe_nothing_missed(session: Session, row: LoopPolicyRow) -> None:
        kept = [*_triggers_of(endpoint), TriggerRow.deleted_at.is_(None)]
        session.execute(update(TriggerRow).where(*kept).values(updated_at=now))

    return restore_object(store, POLICY, endpoint, user, now, after=owe_nothing_missed)


def refuse_deleted(row: LoopPolicyRow | None) -> None:
    """Setting (or re-applying) a policy of an endpoint whose policy is deleted."""
    if row is not None and row.deleted_at is not None:
        restore = f"driftloop loop restore {row.endpoint}"
        raise ConflictError(deleted_message(f"the loop policy of {row.endpoint!r}", row, restore))


def check_reason(reason: str, endpoint: str) -> str:
    if not isinstance(reason, str) or not reason.strip():
        raise InvalidInputError(
            f"abandoning an episode needs a reason: `driftloop loop abandon {endpoint} -r "
            "'why'`; it is kept in the loop history"
        )
    return reason.strip()


def take_back(
    router: Router, trainer: Trainer, policy: LoopPolicy, episode: Episode
) -> dict[str, Any]:
    """What abandoning ``episode`` undoes: the canary it deployed (rolled back, if it is
    still the canary), the retraining still running (cancelled, if the trainer can)."""
    done: dict[str, Any] = {}
    if episode.state is EpisodeState.CANARY:
        routing = router.routing(policy.endpoint)
        if routing.canary is not None and routing.canary == episode.challenger_version:
            router.drop_canary(policy)
            done["canary_rolled_back"] = routing.canary
    if episode.state is EpisodeState.TRAINING and isinstance(trainer, CancelsTraining):
        assert episode.pipeline_run_id is not None  # set by the move into TRAINING
        try:
            trainer.cancel(episode.pipeline_run_id)
            done["training_cancelled"] = episode.pipeline_run_id
        except DriftloopError as exc:  # it ended meanwhile: nothing to stop
            done["training"] = str(exc)
    return done


def deleted_endpoints(store: MetadataStore, endpoints: Sequence[str]) -> set[str]:
    """Which of ``endpoints`` have a deleted loop policy."""
    return deleted_among(store, LoopPolicyRow.endpoint, endpoints)


def _policies(store: MetadataStore) -> list[LoopPolicyRow]:
    with store.read() as session:
        return list(
            session.scalars(select(LoopPolicyRow).where(LoopPolicyRow.deleted_at.is_(None)))
        )


def endpoint_users(store: MetadataStore) -> UsageCheck:
    """A usage check for endpoints: the loop policy driving it."""

    def check(endpoint: str) -> list[str]:
        return [
            f"its loop policy drives it (delete it first: `driftloop loop delete {endpoint}`)"
            for row in _policies(store)
            if row.endpoint == endpoint
        ]

    return check


def dataset_users(store: MetadataStore) -> UsageCheck:
    """A usage check for datasets, keyed (dataset, version or None for all): the policies
    whose gate scores challengers on it as their holdout."""

    def check(key: tuple[str, int | None]) -> list[str]:
        name, version = key
        uses = []
        for row in _policies(store):
            holdout = (row.spec.get("gate") or {}).get("holdout")
            try:
                ref = parse_ref(str(holdout), "dataset") if holdout else None
            except InvalidInputError:
                continue
            if ref is not None and ref.name == name and version in (None, ref.version):
                uses.append(
                    f"the loop policy of {row.endpoint!r} gates on {holdout} as its holdout "
                    "(change the policy's gate.holdout, or delete the policy)"
                )
        return uses

    return check


def model_version_users(store: MetadataStore) -> UsageCheck:
    """A usage check for model versions, keyed (model, version or None for all): the open
    episodes trying one as their challenger."""

    def check(key: tuple[str, int | None]) -> list[str]:
        name, version = key
        models = {row.endpoint: row.spec.get("model") for row in _policies(store)}
        with store.read() as session:
            episodes = list(
                session.scalars(
                    select(LoopEpisodeRow).where(
                        LoopEpisodeRow.ended_at.is_(None),
                        LoopEpisodeRow.challenger_version.is_not(None),
                    )
                )
            )
        return [
            f"loop episode {e.id} of endpoint {e.endpoint!r} is trying {name}@"
            f"{e.challenger_version} as its challenger ({e.state}; abandon it with `driftloop "
            f"loop abandon {e.endpoint} -r REASON`)"
            for e in episodes
            if models.get(e.endpoint) == name and version in (None, e.challenger_version)
        ]

    return check
