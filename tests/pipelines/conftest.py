<<<<<<< HEAD
"""Pipeline modules written to real files, imported by the test and by worker processes."""

from __future__ import annotations

import importlib
import textwrap
import uuid
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

HEADER = """
from __future__ import annotations
import os, sys, time
from pathlib import Path
import numpy as np
import pandas as pd
import driftloop as dl
"""

WriteModule = Callable[[str], ModuleType]


@pytest.fixture
def write_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> WriteModule:
    """Write ``source`` as a new module (unique name) on sys.path and import it."""
    folder = tmp_path / "pipeline_code"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))

    def write(source: str, name: str | None = None) -> ModuleType:
        name = name or f"pl_{uuid.uuid4().hex[:10]}"
        (folder / f"{name}.py").write_text(HEADER + textwrap.dedent(source), encoding="utf-8")
        importlib.invalidate_caches()
        return importlib.import_module(name)

    return write  # type: ignore[return-value]
=======
"""Fixtures of the trigger tests: a movable clock and a target kind that records starts.

``record`` is registered through the public target registry (the way the closed loop
adds ``loop``), so the trigger service runs unchanged and the test sees each start.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from driftloop.pipelines import Trigger, TriggerEvent, register_trigger_target


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


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    found = Recorder()
    register_trigger_target("record", lambda _ws: found)
    yield found
    register_trigger_target("record", lambda _ws: Recorder())
>>>>>>> 17e33bd (pipelines: webhook, toml and Python declarations, the Scheduler with registered jobs and a heartbeat, driftloop scheduler [status|triggers]; tests with real processes on SQLite and PostgreSQL)
