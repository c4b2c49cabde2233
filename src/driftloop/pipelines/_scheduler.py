"""The scheduler: one loop that fires due triggers and runs the registered jobs.

Any number of scheduler processes may run over one workspace (and any may be killed
and restarted): each event is claimed by a unique row (:mod:`._trigger_claims`), so
whichever process sees it first fires it and the others fire nothing. Each process
posts a heartbeat row; ``driftloop scheduler status`` judges it alive by its age.
Time comes from the injected clock, so tests move time instead of sleeping.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from driftloop.pipelines._dispatch import dispatcher_for
from driftloop.pipelines._scheduler_jobs import SchedulerJob, registered_jobs
from driftloop.pipelines._trigger_models import TriggerEvent
from driftloop.pipelines._triggers import TriggerService
from driftloop.store import MetadataStore, SchedulerHeartbeatRow, upsert, utcnow

__all__ = ["Scheduler", "SchedulerWorkspace", "TickReport"]

log = logging.getLogger("driftloop.scheduler")

DEFAULT_INTERVAL_S = 5.0


class SchedulerWorkspace(Protocol):
    """What the scheduler needs of a workspace (a ``dl.Workspace`` has it)."""

    @property
    def store(self) -> MetadataStore: ...

    @property
    def user(self) -> str: ...


@dataclass(frozen=True, slots=True)
class TickReport:
    """What one tick did: the events it fired and the jobs that raised."""

    now: datetime
    fired: list[TriggerEvent] = field(default_factory=list)
    job_errors: dict[str, str] = field(default_factory=dict)


class Scheduler:
    """Fires due cron and dataset triggers and runs jobs, every ``interval_s`` seconds.

    ``jobs=None`` runs the registered jobs (see ``register_scheduler_job``); a list runs
    exactly those. ``info`` is extra state shown by ``driftloop scheduler status``
    (the CLI puts the webhook URL there).

    Example::

        scheduler = Scheduler(ws)
        scheduler.tick()               # once, e.g. from a system cron
        scheduler.run(stop_event)      # or until stop_event is set
    """

    def __init__(
        self,
        workspace: SchedulerWorkspace,
        *,
        clock: Callable[[], datetime] = utcnow,
        jobs: Sequence[SchedulerJob] | None = None,
        scheduler_id: str | None = None,
        interval_s: float = DEFAULT_INTERVAL_S,
        info: dict[str, Any] | None = None,
    ) -> None:
        self.id = scheduler_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._workspace = workspace
        self._store = workspace.store
        self._clock = clock
        self.interval_s = float(interval_s)
        self.triggers = TriggerService(
            workspace.store,
            workspace.user,
            lambda kind: dispatcher_for(kind, workspace),
            clock=clock,
            claimant=self.id,
        )
        self.jobs = list(registered_jobs(workspace) if jobs is None else jobs)
        self.info = dict(info or {})
        self._started_at = clock()
        self._errors: dict[str, str] = {}

    def tick(self) -> TickReport:
        """Post the heartbeat, fire what is owed now, then run every job once."""
        now = self._clock()
        self.heartbeat(now)
        fired = self.triggers.run_due(now)
        errors = {}
        for job in self.jobs:
            try:
                job.tick(now)
            except Exception as exc:  # one broken job must not stop the others
                log.exception("scheduler job %s failed", job.name)
                errors[job.name] = f"{type(exc).__name__}: {exc}"
        self._errors = errors
        for event in fired:
            log.info("fired %s [%s] -> %s", event.trigger, event.event_key, event.status.value)
        return TickReport(now, fired, errors)

    def run(self, stop: threading.Event) -> None:
        """Tick until ``stop`` is set (SIGTERM handlers set it), then post a last heartbeat.

        A tick that fails on a store error is logged and tried again next interval, so a
        database restart does not end the process.
        """
        try:
            while not stop.is_set():
                try:
                    self.tick()
                except Exception:
                    log.exception("scheduler tick failed; trying again in %.1fs", self.interval_s)
                stop.wait(self.interval_s)
        finally:
            try:
                self.heartbeat(self._clock(), stopped=True)
            except Exception:  # the store is down at exit: the stale heartbeat says enough
                log.exception("scheduler could not post its last heartbeat")

    def heartbeat(self, now: datetime, *, stopped: bool = False) -> None:
        info = {
            **self.info,
            "interval_s": self.interval_s,
            "jobs": [job.name for job in self.jobs],
            "job_errors": self._errors,
        }
        with self._store.session() as session:
            upsert(
                session,
                SchedulerHeartbeatRow,
                ["id"],
                [
                    {
                        "id": self.id,
                        "host": socket.gethostname(),
                        "pid": os.getpid(),
                        "started_at": self._started_at,
                        "heartbeat_at": now,
                        "stopped_at": now if stopped else None,
                        "info": info,
                    }
                ],
            )
