"""The trigger service: declare triggers, fire them exactly once per event, start targets.

Every way an event arrives ends in :meth:`TriggerService._fire_row`: claim the row
(see :mod:`._trigger_claims`), and only if this call won, start the target through the
dispatcher of its ``target_kind`` and record the run it started. So a cron time, a
dataset version, an alert firing or a webhook idempotency key fires once, whichever
and however many processes see it.
"""

from __future__ import annotations

import os
import secrets
import socket
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from driftloop.errors import (
    AuthenticationError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
)
from driftloop.pipelines import _trigger_claims as claims
from driftloop.pipelines import _trigger_lifecycle as lifecycle
from driftloop.pipelines._dispatch import TargetDispatcher, target_kinds
from driftloop.pipelines._trigger_due import (
    DueTrigger,
    due_triggers,
    latest_version,
    owed_payload,
    to_trigger,
)
from driftloop.pipelines._trigger_models import (
    DefinedTrigger,
    Trigger,
    TriggerEvent,
    TriggerKind,
)
from driftloop.pipelines._trigger_references import check_references
from driftloop.pipelines._trigger_spec import (
    build_spec,
    check_event_key,
    check_kind,
    check_name,
    check_params,
    hash_secret,
    secret_matches,
)
from driftloop.store import MetadataStore, TriggerEventRow, TriggerRow, retry_on_conflict, utcnow
from driftloop.store._lifecycle import LifecycleEvent, ViewType, deleted_message, visible

__all__ = ["DueTrigger", "TriggerService"]

Clock = Callable[[], datetime]
# Aliases: inside the class, `list` is TriggerService.list.
_Events = list[TriggerEvent]
_Triggers = list[Trigger]
_Dues = list[DueTrigger]


def default_claimant() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class TriggerService:
    """Triggers of one workspace, acting for ``user``; ``targets`` maps a target kind to a
    dispatcher (the workspace passes :func:`driftloop.pipelines.dispatcher_for`).

    Example::

        ws.triggers.define("nightly", kind="cron", cron="0 2 * * *",
                           timezone="Europe/Paris", target="flows:train")
        ws.triggers.fire("nightly")          # now, once more, by hand
    """

    def __init__(
        self,
        store: MetadataStore,
        user: str,
        targets: Callable[[str], TargetDispatcher],
        *,
        clock: Clock = utcnow,
        claimant: str | None = None,
    ) -> None:
        self._store = store
        self._user = user
        self._targets = targets
        self._clock = clock
        self.claimant = claimant or default_claimant()

    # -- declaring ---------------------------------------------------------------------

    def define(
        self,
        name: str,
        *,
        target: str,
        kind: str | TriggerKind = TriggerKind.MANUAL,
        target_kind: str = "pipeline",
        params: Mapping[str, Any] | None = None,
        cron: str | None = None,
        timezone: str | None = None,
        dataset: str | None = None,
        rule: str | None = None,
        secret: str | None = None,
        executor: str | None = None,
        enabled: bool | None = None,
    ) -> DefinedTrigger:
        """Declare ``name`` (or change it: defining again updates, so declarations can be
        re-applied at every start). A new webhook trigger without ``secret`` gets one
        generated, returned once in :attr:`DefinedTrigger.secret` and stored only hashed.
        ``enabled`` None keeps a trigger as it is (a new one starts enabled), so a
        re-applied declaration does not undo a ``disable``.

        Raises:
            InvalidInputError: a bad name, kind, cron expression, time zone, or an
                argument the kind does not take (the message names it).
        """
        check_name(name)
        if not isinstance(target, str) or not target.strip():
            raise InvalidInputError(f"trigger {name!r} needs a target, e.g. target='flows:train'")
        params_dict = check_params(name, params)
        if target_kind not in target_kinds():
            raise InvalidInputError(
                f"trigger {name!r}: no target kind {target_kind!r}; known: "
                f"{', '.join(target_kinds())}"
            )
        generated = None
        if check_kind(kind) is TriggerKind.WEBHOOK and secret is None and not self._has(name):
            generated = secret = secrets.token_urlsafe(24)
        built = build_spec(
            kind,
            cron=cron,
            timezone=timezone,
            dataset=dataset,
            rule=rule,
            secret_hash=None if secret is None else hash_secret(secret),
            executor=executor,
        )
        check_references(self._store, self._targets(target_kind), name, built, target, params_dict)
        row = self._upsert(
            name, built.kind, built.source, built.spec, target_kind, target, params_dict, enabled
        )
        return DefinedTrigger(to_trigger(row), generated)

    def _has(self, name: str) -> bool:
        with self._store.read() as session:
            return session.scalar(select(TriggerRow.id).where(TriggerRow.name == name)) is not None

    def _upsert(
        self,
        name: str,
        kind: TriggerKind,
        source: str | None,
        spec: dict[str, Any],
        target_kind: str,
        target: str,
        params: dict[str, Any],
        enabled: bool | None,
    ) -> TriggerRow:
        now = self._clock()

        def attempt() -> TriggerRow:
            with self._store.session() as session:
                query = select(TriggerRow).where(TriggerRow.name == name)
                row = session.scalars(query).one_or_none()
                if row is None:
                    row = TriggerRow(name=name, created_by=self._user, created_at=now)
                else:
                    lifecycle.refuse_deleted(row)
                    _keep_state(row, kind, source, spec)
                if kind is TriggerKind.DATASET and "after_version" not in spec:
                    # Versions logged before the trigger existed are not its events.
                    spec["after_version"] = latest_version(session, source or "")
                declared = {
                    "kind": kind.value,
                    "source": source,
                    "spec": spec,
                    "target_kind": target_kind,
                    "target": target.strip(),
                    "params": params,
                    "enabled": (row.enabled is not False) if enabled is None else enabled,
                }
                if any(getattr(row, k, None) != v for k, v in declared.items()):
                    # A changed declaration owes nothing from before it changed (due_time).
                    row.updated_at = now
                    for key, value in declared.items():
                        setattr(row, key, value)
                session.add(row)
                session.flush()
            return row

        # Two schedulers applying driftloop.toml at once both insert: one retries, updates.
        return retry_on_conflict(attempt, what=f"trigger {name!r}")

    def get(self, name: str) -> Trigger:
        return to_trigger(self._row(name))

    def list(
        self,
        kind: str | TriggerKind | None = None,
        view_type: ViewType | str = ViewType.ACTIVE_ONLY,
    ) -> _Triggers:
        """Declared triggers by name (deleted ones only with ``view_type``)."""
        query = select(TriggerRow).where(*visible(TriggerRow, view_type)).order_by(TriggerRow.name)
        if kind is not None:
            query = query.where(TriggerRow.kind == check_kind(kind).value)
        with self._store.read() as session:
            return [to_trigger(r) for r in session.scalars(query)]

    def set_enabled(self, name: str, enabled: bool) -> Trigger:
        """Enable or disable ``name`` (see :meth:`disable`); returns the trigger as it is now."""
        lifecycle.set_enabled(self._store, name, bool(enabled), self._user, self._clock())
        return self.get(name)

    def disable(self, name: str) -> LifecycleEvent:
        """Stop ``name`` firing: no cron time, dataset version, alert or webhook call starts
        anything until :meth:`enable`, which does not fire what it missed meanwhile."""
        return lifecycle.set_enabled(self._store, name, False, self._user, self._clock())

    def enable(self, name: str) -> LifecycleEvent:
        return lifecycle.set_enabled(self._store, name, True, self._user, self._clock())

    def delete(self, name: str) -> LifecycleEvent:
        """Delete ``name``: it fires no more and is hidden; restorable until ``driftloop gc``."""
        return lifecycle.delete(self._store, name, self._user, self._clock())

    def restore(self, name: str) -> LifecycleEvent:
        """Restore a deleted trigger (it owes nothing it missed while deleted)."""
        return lifecycle.restore(self._store, name, self._user, self._clock())

    def deleted_names(self, names: Sequence[str]) -> set[str]:
        """Which of ``names`` are deleted triggers (their names stay taken)."""
        return lifecycle.deleted_names(self._store, names)

    def _row(self, name: str, session: Session | None = None) -> TriggerRow:
        query = select(TriggerRow).where(TriggerRow.name == name)
        row: TriggerRow | None
        if session is not None:
            row = session.scalars(query).one_or_none()
        else:
            with self._store.read() as read:
                row = read.scalars(query).one_or_none()
        if row is not None and row.deleted_at is not None:
            restore = f"driftloop scheduler triggers restore {name}"
            raise NotFoundError(deleted_message(f"trigger {name!r}", row, restore))
        if row is None:
            known = ", ".join(t.name for t in self.list()) or "none yet"
            raise NotFoundError(
                f"no trigger named {name!r} (known: {known}); declare it with "
                "ws.triggers.define(...) or a [[trigger]] table in driftloop.toml"
            )
        return row

    # -- firing ------------------------------------------------------------------------

    def fire(
        self, name: str, event_key: str | None = None, payload: Mapping[str, Any] | None = None
    ) -> TriggerEvent:
        """Fire ``name`` now (manual or webhook; any kind may be fired by hand).

        With ``event_key`` (an idempotency key) a repeated call returns the first call's
        event with ``is_new=False`` and starts nothing. A disabled trigger is refused.
        """
        row = self._row(name)
        if not row.enabled:
            raise ConflictError(
                f"trigger {name!r} is disabled, so it fires no events; enable it with "
                f"`driftloop scheduler triggers enable {name}`"
            )
        key = uuid.uuid4().hex if event_key is None else check_event_key(event_key)
        return self._fire_row(row, key, dict(payload or {}))

    def fire_webhook(
        self, name: str, secret: str, event_key: str | None, payload: Mapping[str, Any]
    ) -> TriggerEvent:
        """Fire webhook trigger ``name`` if ``secret`` matches its stored hash."""
        try:
            row = self._row(name)
        except NotFoundError:
            row = None
        # One answer for "no such trigger" and "wrong secret": a caller learns no names.
        if (
            row is None
            or row.kind != TriggerKind.WEBHOOK.value
            or not secret_matches(secret, row.spec.get("secret_sha256"))
        ):
            raise AuthenticationError(
                f"webhook trigger {name!r} refused the call: unknown trigger or wrong secret; "
                "send the secret given when it was defined as 'Authorization: Bearer <secret>'"
            )
        if not row.enabled:
            raise ConflictError(f"trigger {name!r} is disabled; enable it to accept calls")
        key = uuid.uuid4().hex if event_key is None else check_event_key(event_key)
        return self._fire_row(row, key, dict(payload))

    def notify(
        self,
        kind: str | TriggerKind,
        source: str,
        event_key: str,
        payload: Mapping[str, Any] | None = None,
    ) -> _Events:
        """Fire every enabled trigger of ``kind`` listening to ``source``, once per key.

        Monitoring calls ``notify("alert", rule_name, firing_id, {...})``; dataset
        events use kind ``"dataset"`` with the version number as the key. Returns the
        events (``is_new=False`` for ones fired before with the same key).
        """
        checked, key = check_kind(kind), check_event_key(str(event_key))
        query = select(TriggerRow).where(
            TriggerRow.kind == checked.value,
            TriggerRow.source == source,
            TriggerRow.enabled,
            *visible(TriggerRow),
        )
        with self._store.read() as session:
            rows = list(session.scalars(query.order_by(TriggerRow.name)))
        return [self._fire_row(row, key, dict(payload or {})) for row in rows]

    def _fire_row(self, row: TriggerRow, key: str, payload: dict[str, Any]) -> TriggerEvent:
        event_row, won = claims.claim_event(
            self._store, row, key, payload, claimant=self.claimant, now=self._clock()
        )
        if not won:
            return claims.to_event(event_row, row.name, is_new=False)
        return self._start(row, event_row)

    def _start(self, row: TriggerRow, event_row: TriggerEventRow) -> TriggerEvent:
        trigger = to_trigger(row)
        event = claims.to_event(event_row, row.name)
        try:
            run_id = self._targets(row.target_kind).start(trigger, event)
        except Exception as exc:  # any failure of the target is the event's, recorded
            done = claims.finish_event(
                self._store, event.id, now=self._clock(), error=f"{type(exc).__name__}: {exc}"
            )
        else:
            done = claims.finish_event(self._store, event.id, now=self._clock(), run_id=run_id)
        return claims.to_event(done, row.name)

    # -- what is owed ------------------------------------------------------------------

    def run_due(self, now: datetime | None = None) -> _Events:
        """Fire what is owed at ``now``: the latest cron time of each cron trigger, the
        latest new version of each watched dataset, and events whose owner died."""
        at = now or self._clock()
        fired = self._take_over_stale(at)
        for due in self.due(at):
            if due.owed_key is not None:
                row = self._row(due.trigger.name)
                event = self._fire_row(row, due.owed_key, owed_payload(due))
                if event.is_new:
                    fired.append(event)
        return fired

    def due(self, now: datetime | None = None) -> _Dues:
        """For each enabled cron and dataset trigger: the event owed at ``now`` (if not
        fired yet) and the next cron time."""
        with self._store.read() as session:
            return due_triggers(session, now or self._clock())

    def _take_over_stale(self, now: datetime) -> _Events:
        taken = []
        for event_row in claims.stale_claims(self._store, now):
            if claims.take_over(self._store, event_row, claimant=self.claimant, now=now):
                with self._store.read() as session:
                    row = session.get_one(TriggerRow, event_row.trigger_id)
                taken.append(self._start(row, event_row))
        return taken

    def events(
        self, name: str | None = None, *, status: str | None = None, limit: int = 50
    ) -> _Events:
        """The latest events, newest first (of trigger ``name`` and ``status`` if given)."""
        query = (
            select(TriggerEventRow, TriggerRow.name)
            .join(TriggerRow, TriggerRow.id == TriggerEventRow.trigger_id)
            .order_by(TriggerEventRow.claimed_at.desc(), TriggerEventRow.id)
            .limit(max(1, int(limit)))
        )
        if name is not None:
            query = query.where(TriggerEventRow.trigger_id == self._row(name).id)
        if status is not None:
            query = query.where(TriggerEventRow.status == status)
        with self._store.read() as session:
            return [claims.to_event(e, n) for e, n in session.execute(query)]

    def dispatcher(self, target_kind: str) -> TargetDispatcher:
        return self._targets(target_kind)


def _keep_state(
    row: TriggerRow, kind: TriggerKind, source: str | None, spec: dict[str, Any]
) -> None:
    # Re-applying a declaration keeps what was learned: the webhook's secret hash (when
    # no new secret is given) and the dataset version the trigger started watching after.
    if row.kind != kind.value:
        return
    if "secret_sha256" in row.spec and "secret_sha256" not in spec:
        spec["secret_sha256"] = row.spec["secret_sha256"]
    if "after_version" in row.spec and row.source == source:
        spec["after_version"] = row.spec["after_version"]
