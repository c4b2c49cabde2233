"""Pipeline modules written to real files, imported by the test and by worker processes."""

from __future__ import annotations

import importlib
import textwrap
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import pytest

from driftloop.pipelines import register_trigger_target

from ._trigger_fixtures import Clock, Recorder

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


@pytest.fixture
def clock() -> Clock:
    """A clock the trigger tests move by hand (never the wall clock)."""
    return Clock()


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    """Target kind ``record`` for this test: every start lands in the recorder."""
    found = Recorder()
    register_trigger_target("record", lambda _ws: found)
    yield found
    register_trigger_target("record", lambda _ws: Recorder())
