"""Jobs other contexts run in the scheduler process, registered without import cycles.

Monitoring registers its monitor job and the closed loop its policy job by calling
:func:`register_scheduler_job` from their own package ``__init__``; a plugin can
instead name a factory in the ``driftloop.scheduler_jobs`` entry-point group. A
factory takes the workspace and returns a :class:`SchedulerJob`. The scheduler imports
the known contexts by name (:data:`JOB_MODULES`), so this package never imports them.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from datetime import datetime
from importlib.metadata import entry_points
from typing import Any, Protocol, runtime_checkable

from driftloop.errors import InvalidInputError

__all__ = [
    "JOB_MODULES",
    "JobFactory",
    "SchedulerJob",
    "register_scheduler_job",
    "registered_jobs",
]


@runtime_checkable
class SchedulerJob(Protocol):
    """Work the scheduler does on every tick.

    ``tick`` gets the scheduler's time (UTC-aware, from its clock: never read the wall
    clock) and must return promptly; it runs in every scheduler process, so a job that
    must happen once per period claims it in the metadata store itself (e.g. through
    ``TriggerService.notify`` or a unique row). An exception is logged and counted on the
    scheduler's heartbeat; it does not stop the scheduler or the other jobs.
    """

    name: str

    def tick(self, now: datetime) -> None: ...


JobFactory = Callable[[Any], SchedulerJob]

# Contexts whose import registers their jobs (import by name: nothing here imports up).
JOB_MODULES = ("driftloop.monitoring", "driftloop.automation")
ENTRY_POINT_GROUP = "driftloop.scheduler_jobs"

_lock = threading.Lock()
_factories: dict[str, JobFactory] = {}


def register_scheduler_job(name: str, factory: JobFactory) -> None:
    """Run ``factory(workspace)``'s job in every scheduler started after this call.

    Registering ``name`` again replaces the factory (re-imports stay harmless).

    Example::

        register_scheduler_job("monitors", lambda ws: MonitorJob(ws.monitoring))
    """
    if not isinstance(name, str) or not name.strip():
        raise InvalidInputError(f"scheduler job name {name!r} must be a non-empty string")
    if not callable(factory):
        raise InvalidInputError(f"scheduler job {name!r}: factory must be callable")
    with _lock:
        _factories[name] = factory


def registered_jobs(workspace: Any) -> list[SchedulerJob]:
    """The jobs of every registered factory, built for ``workspace``, in name order."""
    for module in JOB_MODULES:
        importlib.import_module(module)
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        register_scheduler_job(entry.name, entry.load())
    with _lock:
        factories = sorted(_factories.items())
    jobs = []
    for name, factory in factories:
        job = factory(workspace)
        if not isinstance(job, SchedulerJob):
            raise InvalidInputError(
                f"scheduler job {name!r}: its factory returned {type(job).__name__}, which has "
                "no `name` and `tick(now)`"
            )
        jobs.append(job)
    return jobs
