"""Records of triggers and their events, as the trigger service returns them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class TriggerKind(StrEnum):
    """What makes a trigger fire."""

    CRON = "cron"  # a time of a cron schedule (event key: the due time, ISO UTC)
    DATASET = "dataset"  # a new version of a named dataset (event key: the version number)
    WEBHOOK = "webhook"  # an authenticated HTTP call (event key: the idempotency key or a uuid)
    MANUAL = "manual"  # `driftloop pipelines trigger NAME` or `ws.triggers.fire(NAME)`
    ALERT = "alert"  # an alert rule firing, notified by monitoring (event key: the firing id)


class EventStatus(StrEnum):
    CLAIMED = "claimed"  # one process owns the event and is starting its target
    FIRED = "fired"  # the target was started (``pipeline_run_id`` says which run)
    FAILED = "failed"  # starting the target raised (``error`` says why); never retried


@dataclass(frozen=True, slots=True)
class Trigger:
    """A declared trigger: ``kind`` and ``spec`` say when, ``target_kind``/``target`` what."""

    name: str
    kind: TriggerKind
    spec: dict[str, Any]
    target_kind: str
    target: str
    params: dict[str, Any] = field(default_factory=dict)
    enabled: bool = True
    source: str | None = None
    created_by: str = ""
    created_at: datetime | None = None
    id: int = 0
    # Set while the trigger is deleted: who deleted it, and when.
    deleted_at: datetime | None = None
    deleted_by: str | None = None

    @property
    def cron(self) -> str | None:
        value = self.spec.get("cron")
        return value if isinstance(value, str) else None

    @property
    def timezone(self) -> str:
        return str(self.spec.get("timezone", "UTC"))


@dataclass(frozen=True, slots=True)
class TriggerEvent:
    """One firing of a trigger: claimed once, then fired (or failed) with its target's run."""

    id: str
    trigger: str
    event_key: str
    status: EventStatus
    payload: dict[str, Any]
    claimed_by: str
    claimed_at: datetime
    fired_at: datetime | None = None
    pipeline_run_id: str | None = None
    error: str | None = None
    # False when the event existed already (a second caller with the same key).
    is_new: bool = True


@dataclass(frozen=True, slots=True)
class DefinedTrigger:
    """What :meth:`TriggerService.define` returns; ``secret`` only for a new webhook."""

    trigger: Trigger
    secret: str | None = None
