"""Helpers of the trigger tests: a movable clock and a target kind that records starts.

``record`` is registered through the public target registry (the way the closed loop
adds ``loop``), so the trigger service runs unchanged and the test sees each start.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from driftloop.pipelines import Trigger, TriggerEvent


@dataclass
class Clock:
    now: datetime = datetime(2026, 1, 5, 10, 30, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now

    def at(self, iso: str) -> datetime:
        self.now = datetime.fromisoformat(iso)
        return self.now


@dataclass
class Recorder:
    """Each start as (trigger, event key, payload); a target named 'boom' raises."""

    starts: list[tuple[str, str, dict[str, object]]] = field(default_factory=list)

    def start(self, trigger: Trigger, event: TriggerEvent) -> str | None:
        if trigger.target == "boom":
            raise RuntimeError("the target could not start")
        self.starts.append((trigger.name, event.event_key, dict(event.payload)))
        return f"run-{len(self.starts)}"
