"""The monitor job of the scheduler: every tick computes the due windows of every monitor.

Idempotent across scheduler processes: a window is one row per (monitor, version,
route, start), written by upsert, and an open alert is unique in the database, so
two schedulers computing the same window store it once and fire it once.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

log = logging.getLogger("driftloop.monitoring")


class MonitorJob:
    """``SchedulerJob`` running ``workspace.monitoring.run_due(now)`` on each tick."""

    name = "monitors"

    def __init__(self, workspace: Any) -> None:
        self._workspace = workspace

    def tick(self, now: datetime) -> None:
        written = self._workspace.monitoring.run_due(now)
        if written:
            log.info("monitors: %d windows computed at %s", len(written), now.isoformat())
