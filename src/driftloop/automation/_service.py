"""The loop's use cases: take a trigger, carry each open episode one legal step further.

Every step first reconciles with the world (is the training run done? is the canary still
deployed? was it promoted before a crash?) and then records one move with its evidence, so
the scheduler can die between any two steps and the next tick carries on from the rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from driftloop.automation._episode import Episode, EpisodeState, is_cooling_down
from driftloop.automation._gate import evaluate_gate
from driftloop.automation._journal import Decision, LoopJournal, PolicyState
from driftloop.automation._lifecycle import (
    check_reason,
    delete_policy,
    deleted_endpoints,
    restore_policy,
    take_back,
)
from driftloop.automation._policy import LoopPolicy, LoopTrigger
from driftloop.automation._protocols import (
    Approvals,
    Evaluator,
    FiringAlerts,
    LiveMetrics,
    Notifier,
    Router,
    Trainer,
    TriggerRegistry,
)
from driftloop.automation._rollout import decide_canary
from driftloop.errors import ConflictError, InvalidInputError
from driftloop.governance._models import ApprovalRequest, ApprovalStatus
from driftloop.governance._requirements import describe
from driftloop.store import MetadataStore
from driftloop.store._lifecycle import LifecycleEvent

S = EpisodeState
Clock = Callable[[], datetime]
# Enough moves for one tick to take a quick episode from a finished training to a canary.
MAX_MOVES_PER_TICK = 6
# A still-firing alert retriggers at most this often, also under a zero cooldown.
MIN_REPEAT = timedelta(hours=1)
# The alias a promotion moves to the new primary.
CHAMPION = "champion"


@dataclass(frozen=True, slots=True)
class LoopParts:
    trainer: Trainer
    evaluator: Evaluator
    router: Router
    live: LiveMetrics
    notifier: Notifier
    alerts: FiringAlerts | None = None  # without it, a still-firing alert never retriggers
    # Without it, the one person who calls approve lets the challenger go, as before
    # governance; with it, the challenger's approval request decides.
    approvals: Approvals | None = None


class LoopService:
    """The closed loop over every endpoint that has a policy."""

    def __init__(
        self,
        store: MetadataStore,
        parts: LoopParts | Callable[[], LoopParts],
        clock: Clock,
        user: str,
        triggers: TriggerRegistry | None = None,
        references: Callable[[LoopPolicy], None] | None = None,
    ) -> None:
        self._store = store
        self.journal = LoopJournal(store)
        self._triggers = triggers
        # Raises for a policy naming what does not exist (see _references.py).
        self._check_references = references
        # A factory is called on first need: reading history or pausing builds no server parts.
        self._make_parts = parts if callable(parts) else (lambda: parts)
        self._built: LoopParts | None = None
        self._clock = clock
        self._user = user

    @property
    def _parts(self) -> LoopParts:
        if self._built is None:
            self._built = self._make_parts()
        return self._built

    # -- policies and people's controls -------------------------------------------------

    def check_policy(self, policy: LoopPolicy) -> None:
        """Raise InvalidInputError if ``policy`` names a model, pipeline, dataset or suite
        that does not exist (a service built without a checker checks nothing)."""
        if self._check_references is not None:
            self._check_references(policy)

    def set_policy(self, policy: LoopPolicy) -> None:
        """Store ``policy`` and declare its triggers (re-applying the same policy is harmless).

        A policy naming what does not exist is refused first (:meth:`check_policy`).
        """
        self.check_policy(policy)
        self.journal.save_policy(policy, self._user, self._clock())
        if self._triggers is not None:
            for number, trigger in enumerate(policy.triggers, start=1):
                declare_trigger(self._triggers, policy.endpoint, number, trigger)

    def policy(self, endpoint: str) -> PolicyState:
        return self.journal.policy(endpoint)

    def pause(self, endpoint: str, paused: bool = True) -> None:
        """Stop (or restart) the loop of ``endpoint``; an open episode waits where it is."""
        now = self._clock()
        self.journal.set_controls(endpoint, self._user, now, is_paused=paused)
        kind = "paused" if paused else "resumed"
        self.journal.note(endpoint, kind, f"loop {kind} by {self._user}", {}, self._user, now)

    def pin(self, endpoint: str, version: int | None) -> None:
        """Keep ``endpoint`` on ``version`` (None unpins): no retraining is started meanwhile."""
        now = self._clock()
        self.journal.set_controls(endpoint, self._user, now, pinned_version=version)
        summary = f"pinned to version {version}" if version else "unpinned"
        self.journal.note(endpoint, "pinned", summary, {"version": version}, self._user, now)

    def approve(self, endpoint: str, reason: str = "") -> Episode:
        """Approve the challenger awaiting approval: it goes out as a canary once its
        approval request is met (at once when one approval is all it needs)."""
        episode = self._awaiting_approval(endpoint)
        policy = self.journal.policy(endpoint).policy
        approvals = self._parts.approvals
        if approvals is not None:
            assert episode.challenger_version is not None
            self._ask_approval(policy, episode)  # also for one that waited before approvals
            request = approvals.approve(policy.model, episode.challenger_version, reason)
            if request.status is not ApprovalStatus.APPROVED:
                summary = (
                    f"version {episode.challenger_version} approved by {self._user}; it still "
                    f"needs {describe(request.missing)}"
                )
                evidence = {"why": reason, "approval_request": request.id}
                self.journal.note(
                    endpoint, "approval", summary, evidence, self._user, self._clock(), episode
                )
                return episode
        return self._start_canary(
            policy, episode, self._clock(), actor=self._user, approved_by=self._user, why=reason
        )

    def abandon(self, endpoint: str, reason: str) -> Episode:
        """End the open episode of ``endpoint`` (stuck, or no longer wanted) as abandoned,
        with ``reason``: a canary it deployed is rolled back and a retraining still
        running is cancelled; who, when and why go to the history."""
        why = check_reason(reason, endpoint)
        episode = self.journal.current(endpoint)
        if episode is None:
            raise ConflictError(
                f"endpoint {endpoint!r} has no open loop episode to abandon; see "
                f"`driftloop loop history {endpoint}`"
            )
        policy = self.journal.policy(endpoint).policy
        parts = self._parts
        evidence = {"reason": why, **take_back(parts.router, parts.trainer, policy, episode)}
        summary = f"abandoned by {self._user}: {why}"
        return self._move(
            episode, S.ABANDONED, summary, evidence, actor=self._user, abandoned_because=why
        )

    def delete_policy(self, endpoint: str) -> LifecycleEvent:
        """Delete the policy of ``endpoint`` and its triggers: the loop stops acting on it.

        Refused while an episode is open (:meth:`abandon` it first).
        """
        return delete_policy(self._store, endpoint, self._user, self._clock())

    def restore_policy(self, endpoint: str) -> LifecycleEvent:
        return restore_policy(self._store, endpoint, self._user, self._clock())

    def deleted_policies(self, endpoints: list[str]) -> set[str]:
        """Which of ``endpoints`` have a deleted policy (skipped by ``apply_loop_file``)."""
        return deleted_endpoints(self._store, endpoints)

    def reject(self, endpoint: str, reason: str = "") -> Episode:
        episode = self._awaiting_approval(endpoint)
        approvals = self._parts.approvals
        if approvals is not None:
            assert episode.challenger_version is not None
            policy = self.journal.policy(endpoint).policy
            self._ask_approval(policy, episode)
            approvals.reject(policy.model, episode.challenger_version, reason)
        return self._move(
            episode,
            S.REJECTED,
            f"challenger version {episode.challenger_version} rejected by {self._user}",
            {"reason": reason},
            actor=self._user,
        )

    # -- the loop -------------------------------------------------------------------------

    def on_trigger(self, endpoint: str, trigger: dict[str, Any]) -> Episode | None:
        """Open an episode for ``trigger``, unless the policy's controls hold it back (then
        the suppression is recorded and None returned): paused, pinned, an episode already
        open, or - for automatic triggers, not a person's ``manual`` one - the cooldown."""
        text = _trigger_text(trigger)
        now = self._clock()
        state = self.journal.policy(endpoint)
        held = self._holdback(state, now, manual=trigger.get("kind") == "manual")
        if held is None:
            episode = self.journal.open_episode(endpoint, trigger, now)
            if episode is not None:
                self._parts.notifier.notify(endpoint, "triggered", text)
                return episode
            held = "an episode is already in progress"
        self.journal.note(endpoint, "suppressed", f"trigger ignored: {held}", trigger, "loop", now)
        return None

    def retrain(
        self, endpoint: str, reason: str = "", params: dict[str, Any] | None = None
    ) -> Episode | None:
        """Start a retraining now, by hand (not held back by the cooldown); ``params``
        override the policy's pipeline parameters for this episode only."""
        trigger = {"kind": "manual", "source": self._user, "reason": reason}
        return self.on_trigger(endpoint, {**trigger, "params": dict(params or {})})

    def tick(self, now: datetime | None = None) -> list[Episode]:
        """Carry every open episode of every unpaused policy as far as it can go at ``now``
        (the scheduler's time; the service's clock when None)."""
        now = now or self._clock()
        moved = []
        for state in self.journal.policies():
            if state.is_paused:
                continue
            episode = self.journal.current(state.policy.endpoint)
            if episode is None:
                episode = self._repeat_for_firing_alert(state, now)
            if episode is not None:
                moved.append(self._carry_on(state.policy, episode, now))
        return moved

    def history(self, endpoint: str) -> list[Decision]:
        return self.journal.history(endpoint)

    def _repeat_for_firing_alert(self, state: PolicyState, now: datetime) -> Episode | None:
        """An alert the policy listens to is still firing on the serving version after the
        last episode ended and the cooldown passed: the drift persists, so retrain again
        (with the traffic labeled since). Nothing is recorded while held back: this is
        asked at every tick."""
        policy = state.policy
        rules = [t.source for t in policy.triggers if t.kind == "alert"]
        alerts = self._parts.alerts if rules and policy.repeat_while_firing else None
        last = self.journal.last_ended(policy.endpoint)
        if alerts is None or last is None or last.ended_at is None:
            return None  # no episode yet: the alert's own trigger starts the first one
        if now - last.ended_at < max(policy.cooldown, MIN_REPEAT):
            return None
        if self._holdback(state, now, manual=False) is not None:
            return None
        primary = self._parts.router.routing(policy.endpoint).primary
        for alert in alerts.firing(policy.endpoint, rules):
            if alert.get("model_version") == primary and alert.get("route") == "primary":
                cause = {
                    "kind": "alert",
                    "source": alert.get("rule"),
                    "event_key": f"{alert.get('id')}:after:{last.id}",
                    "payload": alert,
                    "repeat": True,
                }
                return self.on_trigger(policy.endpoint, cause)
        return None

    def _holdback(self, state: PolicyState, now: datetime, manual: bool) -> str | None:
        if state.is_paused:
            return "the loop is paused"
        if state.pinned_version is not None:
            return f"the endpoint is pinned to version {state.pinned_version}"
        if manual:
            return None  # a person asked: the cooldown only holds back automatic triggers
        last = self.journal.last_ended(state.policy.endpoint)
        cooldown_s = state.policy.cooldown.total_seconds()
        if last is not None and is_cooling_down(last.ended_at, now, cooldown_s):
            return f"cooling down after episode {last.id} (ended {last.ended_at:%Y-%m-%d %H:%M})"
        return None

    def _carry_on(self, policy: LoopPolicy, episode: Episode, now: datetime) -> Episode:
        for _ in range(MAX_MOVES_PER_TICK):
            handler = _HANDLERS.get(episode.state)
            if handler is None:
                break
            nxt = handler(self, policy, episode, now)
            if nxt is None:
                break
            episode = nxt
        return episode

    # -- one handler per state ------------------------------------------------------------

    def _start_training(self, policy: LoopPolicy, episode: Episode, now: datetime) -> Episode:
        # A person's retrain call may override the pipeline's parameters for this episode.
        overrides = episode.trigger.get("params")
        if isinstance(overrides, dict) and overrides:
            policy = replace(policy, params={**policy.params, **overrides})
        run_id = self._parts.trainer.submit(policy, episode.id, now)
        summary = f"retraining with pipeline {policy.pipeline!r} (run {run_id})"
        evidence = {"pipeline": policy.pipeline, "run_id": run_id, "params": policy.params}
        return self._move(episode, S.TRAINING, summary, evidence, pipeline_run_id=run_id, now=now)

    def _check_training(
        self, policy: LoopPolicy, episode: Episode, now: datetime
    ) -> Episode | None:
        assert episode.pipeline_run_id is not None  # set by the move into TRAINING
        status = self._parts.trainer.status(policy, episode.pipeline_run_id)
        if status.state == "running":
            return None
        if status.state == "failed" or status.model_version is None:
            why = status.error or "the pipeline registered no model version"
            return self._move(
                episode, S.ABANDONED, f"retraining failed: {why}", {"error": why}, now=now
            )
        summary = f"retraining produced challenger {policy.model} version {status.model_version}"
        evidence = {"run_id": episode.pipeline_run_id, "model_version": status.model_version}
        return self._move(
            episode, S.GATING, summary, evidence, now=now, challenger_version=status.model_version
        )

    def _gate(self, policy: LoopPolicy, episode: Episode, now: datetime) -> Episode:
        assert episode.challenger_version is not None
        champion = self._parts.router.routing(policy.endpoint).primary
        evaluator = self._parts.evaluator
        mine = evaluator.evidence(policy, episode.challenger_version, now)
        theirs = evaluator.evidence(policy, champion, now) if champion is not None else None
        result = evaluate_gate(policy.gate, mine, theirs)
        evidence: dict[str, Any] = {"gate": result, "challenger": mine, "champion": theirs}
        changes: dict[str, Any] = {"champion_version": champion}
        if not result.passed:
            reasons = "; ".join(c.reason for c in result.failures)
            return self._move(
                episode, S.REJECTED, f"gate failed: {reasons}", evidence, **changes, now=now
            )
        if policy.require_approval or self._is_protected(policy):
            request = self._ask_approval(policy, episode)
            needs = f" of {describe(request.missing)}" if request is not None else ""
            summary = f"gate passed; version {episode.challenger_version} awaits approval{needs}"
            evidence["approval_request"] = request.id if request is not None else None
            return self._move(episode, S.AWAITING_APPROVAL, summary, evidence, **changes, now=now)
        return self._start_canary(policy, episode, now, champion_version=champion, **evidence)

    def _start_canary(
        self,
        policy: LoopPolicy,
        episode: Episode,
        now: datetime,
        *,
        champion_version: int | None = None,
        actor: str = "loop",
        **evidence: Any,
    ) -> Episode:
        assert episode.challenger_version is not None
        weight = policy.rollout.canary_weight
        self._parts.router.start_canary(policy, episode.challenger_version, weight)
        summary = f"canary: version {episode.challenger_version} gets {weight:.0%} of traffic"
        changes: dict[str, Any] = {"canary_started_at": now}
        if champion_version is not None:
            changes["champion_version"] = champion_version
        evidence = {"weight": weight, **evidence}
        return self._move(episode, S.CANARY, summary, evidence, actor=actor, **changes, now=now)

    def _check_approval(
        self, policy: LoopPolicy, episode: Episode, now: datetime
    ) -> Episode | None:
        """A challenger approved or rejected outside the loop (`driftloop approvals`)
        goes on, or ends, at the next tick."""
        approvals = self._parts.approvals
        if approvals is None or episode.challenger_version is None:
            return None
        request = approvals.find(policy.model, episode.challenger_version)
        if request is None or request.status is ApprovalStatus.PENDING:
            return None
        decided = [a for a in request.approvals if a.decision == request.status.value]
        who = ", ".join(a.approver for a in decided)
        why = "; ".join(a.reason for a in decided if a.reason)
        evidence = {"approval_request": request.id, "why": why}
        if request.status is ApprovalStatus.REJECTED:
            summary = f"challenger version {episode.challenger_version} rejected by {who}"
            return self._move(episode, S.REJECTED, summary, evidence, actor=who, now=now)
        return self._start_canary(policy, episode, now, actor=who, approved_by=who, why=why)

    def _is_protected(self, policy: LoopPolicy) -> bool:
        approvals = self._parts.approvals
        return approvals is not None and approvals.needs_approval(
            policy.model, alias=CHAMPION, endpoint=policy.endpoint
        )

    def _ask_approval(self, policy: LoopPolicy, episode: Episode) -> ApprovalRequest | None:
        """The challenger's approval request, for the endpoint and its champion alias;
        the loop asks, so any person may approve it (their roles permitting)."""
        approvals = self._parts.approvals
        if approvals is None or episode.challenger_version is None:
            return None
        return approvals.request(
            policy.model,
            episode.challenger_version,
            alias=CHAMPION,
            endpoint=policy.endpoint,
            reason=f"loop episode {episode.id} on {policy.endpoint}: the gate passed",
            episode_id=episode.id,
            requested_by="loop",
        )

    def _watch_canary(self, policy: LoopPolicy, episode: Episode, now: datetime) -> Episode | None:
        assert episode.challenger_version is not None and episode.canary_started_at is not None
        routing = self._parts.router.routing(policy.endpoint)
        if routing.primary == episode.challenger_version:
            # Promoted already (by a person, or before a crash): finish what a promotion
            # does, the champion alias included, before recording it as done.
            self._parts.router.promote(policy, episode.challenger_version)
            return self._move(
                episode, S.PROMOTED, "promotion found done", {"routing": routing}, now=now
            )
        if routing.canary != episode.challenger_version:
            why = "the canary is no longer deployed"
            return self._move(episode, S.ROLLED_BACK, why, {"routing": routing}, now=now)
        canary, champion = self._parts.live.route_stats(policy, episode.canary_started_at, now)
        decision = decide_canary(
            policy.rollout,
            canary,
            champion,
            episode.canary_started_at,
            now,
            higher_is_better=policy.gate.higher_is_better,
        )
        if decision.action == "wait":
            return None
        evidence = {"decision": decision, "canary": canary, "champion": champion}
        if decision.action == "promote":
            self._parts.router.promote(policy, episode.challenger_version)
            summary = f"promoted version {episode.challenger_version}: " + "; ".join(
                decision.reasons
            )
            return self._move(episode, S.PROMOTED, summary, evidence, now=now)
        self._parts.router.drop_canary(policy)
        summary = "rolled back the canary: " + "; ".join(decision.reasons)
        return self._move(episode, S.ROLLED_BACK, summary, evidence, now=now)

    # -- helpers --------------------------------------------------------------------------

    def _move(
        self,
        episode: Episode,
        to: EpisodeState,
        summary: str,
        evidence: dict[str, Any],
        actor: str = "loop",
        now: datetime | None = None,
        abandoned_because: str | None = None,
        **changes: Any,
    ) -> Episode:
        at = now or self._clock()
        moved = self.journal.move(
            episode,
            to,
            at,
            summary=summary,
            evidence=evidence,
            actor=actor,
            abandoned_because=abandoned_because,
            **changes,
        )
        self._parts.notifier.notify(episode.endpoint, to.value, summary)
        return moved

    def _awaiting_approval(self, endpoint: str) -> Episode:
        episode = self.journal.current(endpoint)
        if episode is None or episode.state is not S.AWAITING_APPROVAL:
            where = episode.state.value if episode else "no open episode"
            raise ConflictError(
                f"endpoint {endpoint!r} has no challenger awaiting approval ({where}); "
                f"see `driftloop loop history {endpoint}`"
            )
        return episode


def declare_trigger(
    triggers: TriggerRegistry, endpoint: str, number: int, trigger: LoopTrigger
) -> None:
    """A trigger row that starts this endpoint's loop (``target_kind`` "loop")."""
    name = f"loop.{endpoint}.{trigger.kind}.{number}"
    where: dict[str, str] = {
        "alert": {"kind": "alert", "rule": trigger.source},
        "dataset": {"kind": "dataset", "dataset": trigger.source},
        "schedule": {"kind": "cron", "cron": trigger.source},
    }[trigger.kind]
    triggers.define(name, target=endpoint, target_kind="loop", **where)


def _trigger_text(trigger: dict[str, Any]) -> str:
    kind = trigger.get("kind")
    if not kind:
        raise InvalidInputError("a loop trigger needs a 'kind' (alert, dataset, schedule, manual)")
    return f"retraining triggered by {kind} {trigger.get('source', '')}".strip()


_Handler = Callable[[LoopService, LoopPolicy, Episode, datetime], Episode | None]
_HANDLERS: dict[EpisodeState, _Handler] = {
    S.TRIGGERED: LoopService._start_training,
    S.TRAINING: LoopService._check_training,
    S.GATING: LoopService._gate,
    S.AWAITING_APPROVAL: LoopService._check_approval,
    S.CANARY: LoopService._watch_canary,
}
