"""The live progress display follows the orchestrator's events."""

from __future__ import annotations

from driftloop.cli._pipeline_render import LiveProgress
from driftloop.pipelines import StepStatus


def test_live_progress_counts_finished_steps() -> None:
    live = LiveProgress(["load", "train"])
    live("load", StepStatus.RUNNING, 1)
    live("load", StepStatus.CACHED, 0)
    live("train", StepStatus.RUNNING, 2)
    grid = live._render()
    assert grid.caption == "1/2 steps finished"
    assert live.rows == {"load": (StepStatus.CACHED, 0), "train": (StepStatus.RUNNING, 2)}
