"""How pipeline runs look in the terminal: the DAG as a tree, step tables, live progress."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rich.live import Live
from rich.markup import escape
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from driftloop.cli._output import console, table
from driftloop.pipelines._models import PipelineRun, StepRun, StepStatus

_STYLE = {
    StepStatus.PENDING: "dim",
    StepStatus.RUNNING: "yellow",
    StepStatus.SUCCEEDED: "green",
    StepStatus.CACHED: "cyan",
    StepStatus.FAILED: "red",
    StepStatus.SKIPPED: "dim",
    StepStatus.CANCELLED: "magenta",
}


def seconds(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}s"


def _step_label(step: StepRun) -> str:
    style = _STYLE[step.status]
    extra = f" attempt {step.attempt}" if step.attempt > 1 else ""
    cached = f" (from {step.cached_from[:8]})" if step.cached_from else ""
    took = f" {seconds(step.duration_s)}" if step.duration_s is not None else ""
    return f"[{style}]{step.status.value}[/{style}] {escape(step.name)}{extra}{took}{cached}"


def dag_tree(run: PipelineRun) -> Tree:
    """Each step under the steps it reads from; a step with several parents shows under
    each, its children only under the first."""
    tree = Tree(f"[bold]{escape(run.pipeline)}[/bold] {run.id[:8]} {run.status.value}")
    by_name = {s.name: s for s in run.steps}
    children: dict[str, list[StepRun]] = {}
    for step in run.steps:
        for parent in step.upstream:
            children.setdefault(parent, []).append(step)
    drawn: set[str] = set()

    def add(branch: Tree, step: StepRun) -> None:
        node = branch.add(_step_label(step))
        if step.name in drawn:
            return
        drawn.add(step.name)
        for child in children.get(step.name, []):
            add(node, child)

    for step in run.steps:
        if not [u for u in step.upstream if u in by_name]:
            add(tree, step)
    return tree


def steps_table(run: PipelineRun) -> None:
    table(
        None,
        ["step", "status", "try", "started", "took"],
        [
            (
                step.name,
                Text(step.status.value, style=_STYLE[step.status]),
                step.attempt,
                step.started_at,
                seconds(step.duration_s),
            )
            for step in run.steps
        ],
    )


def show_run(run: PipelineRun) -> None:
    console.print(dag_tree(run))
    steps_table(run)
    made = [f"{s.name}: {', '.join(s.model_versions)}" for s in run.steps if s.model_versions]
    if made:
        console.print("model versions: " + "; ".join(escape(m) for m in made))
    tracked = [
        f"{s.name}: {', '.join(r[:8] for r in s.tracking_runs)}"
        for s in run.steps
        if s.tracking_runs
    ]
    if tracked:
        console.print("tracking runs: " + "; ".join(escape(t) for t in tracked))
    if run.error:
        console.print(f"[red]error[/red]: {escape(run.error)}", soft_wrap=True)


def run_json(run: PipelineRun) -> dict[str, Any]:
    from driftloop._serialization import to_jsonable

    data: dict[str, Any] = to_jsonable(run)
    data["duration_s"] = run.duration_s
    for step, record in zip(run.steps, data["steps"], strict=True):
        record["tracking_runs"] = list(step.tracking_runs)
        record["model_versions"] = list(step.model_versions)
    return data


class LiveProgress:
    """A live table of the steps while a run goes (Rich), fed by the orchestrator."""

    def __init__(self, steps: list[str]) -> None:
        self.rows: dict[str, tuple[StepStatus, int]] = {s: (StepStatus.PENDING, 0) for s in steps}

    def __call__(self, name: str, status: StepStatus, attempt: int) -> None:
        self.rows[name] = (status, attempt)
        if self._live is not None:
            self._live.update(self._render())

    _live: Live | None = None

    def _render(self) -> Table:
        grid = Table(show_header=True)
        grid.add_column("step", max_width=40, overflow="ellipsis", no_wrap=True)
        grid.add_column("status")
        grid.add_column("try")
        for name, (status, attempt) in self.rows.items():
            grid.add_row(escape(name), f"[{_STYLE[status]}]{status.value}[/]", str(attempt))
        done = sum(1 for s, _ in self.rows.values() if s.is_finished)
        grid.caption = f"{done}/{len(self.rows)} steps finished"
        return grid

    @contextmanager
    def shown(self) -> Iterator[LiveProgress]:
        with Live(self._render(), console=console, refresh_per_second=8, transient=True) as live:
            self._live = live
            try:
                yield self
            finally:
                self._live = None
