"""What ``driftloop scheduler status`` shows: schedulers, what is due, fired, running."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from driftloop.pipelines._dispatch import RunStatusReader
from driftloop.pipelines._trigger_due import DueTrigger
from driftloop.pipelines._trigger_models import EventStatus, TriggerEvent
from driftloop.pipelines._triggers import TriggerService
from driftloop.store import MetadataStore, SchedulerHeartbeatRow

__all__ = ["RunningEvent", "SchedulerInfo", "SchedulerStatus", "scheduler_status"]

# A scheduler missing this many heartbeats in a row is taken for dead.
MISSED_BEATS = 3
_UNFINISHED = {"pending", "running"}


@dataclass(frozen=True, slots=True)
class SchedulerInfo:
    id: str
    host: str
    pid: int
    started_at: datetime
    heartbeat_at: datetime
    stopped_at: datetime | None
    is_alive: bool
    info: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RunningEvent:
    """A fired event whose run has not finished (or a claim not yet started)."""

    event: TriggerEvent
    run_status: str | None


@dataclass(frozen=True, slots=True)
class SchedulerStatus:
    now: datetime
    schedulers: list[SchedulerInfo]
    due: list[DueTrigger]
    fired: list[TriggerEvent]
    running: list[RunningEvent]


def scheduler_status(
    store: MetadataStore, triggers: TriggerService, now: datetime, *, limit: int = 20
) -> SchedulerStatus:
    """Every scheduler seen, each cron/dataset trigger's owed and next event, the last
    ``limit`` events, and those whose run is still pending or running."""
    fired = triggers.events(limit=limit)
    return SchedulerStatus(
        now=now,
        schedulers=_schedulers(store, now),
        due=triggers.due(now),
        fired=fired,
        running=_running(triggers, fired),
    )


def _schedulers(store: MetadataStore, now: datetime) -> list[SchedulerInfo]:
    with store.read() as session:
        rows = list(
            session.scalars(
                select(SchedulerHeartbeatRow).order_by(SchedulerHeartbeatRow.heartbeat_at.desc())
            )
        )
    found = []
    for row in rows:
        interval = float(str(row.info.get("interval_s", 5.0)))
        fresh = row.heartbeat_at >= now - timedelta(seconds=MISSED_BEATS * interval)
        found.append(
            SchedulerInfo(
                row.id,
                row.host,
                row.pid,
                row.started_at,
                row.heartbeat_at,
                row.stopped_at,
                fresh and row.stopped_at is None,
                dict(row.info),
            )
        )
    return found


def _running(triggers: TriggerService, events: list[TriggerEvent]) -> list[RunningEvent]:
    kinds = {t.name: t.target_kind for t in triggers.list()}
    running = []
    for event in events:
        if event.status is EventStatus.CLAIMED:
            running.append(RunningEvent(event, None))
        elif event.status is EventStatus.FIRED and event.pipeline_run_id is not None:
            status = _run_status(triggers, kinds.get(event.trigger), event.pipeline_run_id)
            if status in _UNFINISHED:
                running.append(RunningEvent(event, status))
    return running


def _run_status(triggers: TriggerService, kind: str | None, run_id: str) -> str | None:
    if kind is None:
        return None
    try:
        dispatcher = triggers.dispatcher(kind)
        if not isinstance(dispatcher, RunStatusReader):
            return None
        return dispatcher.run_status(run_id)
    except Exception:  # a run its target can no longer read is shown without a status
        return None
