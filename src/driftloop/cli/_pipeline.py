"""`driftloop pipelines run | list | runs | show | logs | resume | cancel` (hidden alias:
`pipeline`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer
from rich.markup import escape

from driftloop.cli._output import EXIT_FAILED, JsonOption, console, emit, table
from driftloop.cli._pipeline_render import LiveProgress, run_json, seconds, show_run

if TYPE_CHECKING:
    from driftloop.pipelines._models import PipelineRun
    from driftloop.pipelines._orchestrator import Progress
    from driftloop.pipelines._service import PipelineService

app = typer.Typer(
    help="Pipelines: run, list, runs, show, logs, resume, cancel, trigger.", no_args_is_help=True
)

ExecutorOption = typer.Option(
    "local", "--executor", "-x", help="local, local:N (N workers), ray or ray://host:port."
)


def _pipelines(create: bool = False) -> PipelineService:
    from driftloop._workspace import get_workspace

    return get_workspace(create=create).pipelines


def _finish(run: PipelineRun, as_json: bool) -> None:
    def draw() -> None:
        show_run(run)
        cached = sum(1 for s in run.steps if s.status.value == "cached")
        if cached == len(run.steps):
            console.print(f"All {cached} steps cached: nothing ran ({seconds(run.duration_s)}).")
        console.print(f"See it again with: driftloop pipelines show {run.id[:8]}")

    emit(run_json(run), as_json, draw)
    if not run.status.is_done:
        raise typer.Exit(EXIT_FAILED)


def _with_progress(as_json: bool, steps: list[str], work: Any) -> PipelineRun:
    if as_json or not console.is_terminal:
        result: PipelineRun = work(None)
        return result
    live = LiveProgress(steps)
    with live.shown():
        progress: Progress = live
        result = work(progress)
    return result


@app.command("run")
def run(
    target: str = typer.Argument(..., help="module:pipeline, path/file.py:pipeline or a name."),
    param: list[str] = typer.Option(None, "--param", "-p", help="key=value (repeatable)."),
    executor: str = ExecutorOption,
    no_cache: bool = typer.Option(False, "--no-cache", help="Run every step; reuse nothing."),
    detach: bool = typer.Option(False, "--detach", help="Start it in the background; print id."),
    as_json: bool = JsonOption,
) -> None:
    """Run a pipeline, showing each step live; exits 1 if the run failed."""
    from driftloop.pipelines._params import parse_assignments

    service = _pipelines(create=True)  # a pipeline's own steps would create it anyway
    params = parse_assignments(param or [])
    if detach:
        run_id = service.submit(
            target, params, executor=executor, no_cache=no_cache, params_as_text=True
        )
        emit({"run_id": run_id}, as_json, lambda: console.print(f"Started pipeline run {run_id}"))
        return
    pipeline = service.resolve_target(target)
    steps = _step_names(service, pipeline, params)
    result = _with_progress(
        as_json,
        steps,
        lambda progress: service.run(
            pipeline,
            params,
            executor=executor,
            no_cache=no_cache,
            params_as_text=True,
            progress=progress,
        ),
    )
    _finish(result, as_json)


def _step_names(service: PipelineService, pipeline: Any, params: dict[str, str]) -> list[str]:
    from driftloop.pipelines._params import check_params

    values, _ = check_params(pipeline.fn, pipeline.name, params, service._resolve, from_text=True)
    return list(pipeline.build(values).nodes)


@app.command("execute", hidden=True)
def execute(run_id: str = typer.Argument(..., help="The recorded run's id.")) -> None:
    """Run a recorded pending run (what `run --detach` starts in the background)."""
    _pipelines().execute_recorded(run_id)


@app.command("resume")
def resume(
    run_id: str = typer.Argument(
        ..., help="Pipeline run id, a unique prefix, or a pipeline name (its newest run)."
    ),
    executor: str | None = typer.Option(None, "--executor", "-x", help="Default: the run's."),
    as_json: bool = JsonOption,
) -> None:
    """Rerun only what failed, was skipped or never ran; done steps keep their outputs."""
    service = _pipelines()
    before = service.get_run(run_id)
    result = _with_progress(
        as_json,
        [s.name for s in before.steps],
        lambda progress: service.resume(before.id, executor=executor, progress=progress),
    )
    _finish(result, as_json)


@app.command("list")
def list_pipelines(as_json: bool = JsonOption) -> None:
    """Pipelines that have run in this workspace (a name runs them again)."""
    rows = [{"name": n, "target": t, "last_run": at} for n, t, at in _pipelines().list_pipelines()]
    emit(
        rows,
        as_json,
        lambda: table(
            None,
            ["name", "target", "last run"],
            [(r["name"], r["target"], r["last_run"]) for r in rows],
        ),
    )


@app.command("runs")
def runs(
    pipeline: str | None = typer.Argument(None, help="Only this pipeline."),
    limit: int = typer.Option(20, "--max", help="At most this many runs."),
    as_json: bool = JsonOption,
) -> None:
    """Pipeline runs, newest first."""
    found = _pipelines().list_runs(pipeline, limit)

    def draw() -> None:
        rows = []
        for r in found:
            done = sum(1 for s in r.steps if s.status.is_done)
            rows.append(
                (
                    r.id[:8],
                    r.pipeline,
                    r.status.value,
                    r.created_at,
                    seconds(r.duration_s),
                    f"{done}/{len(r.steps)}",
                )
            )
        table(None, ["id", "pipeline", "status", "created", "took", "done"], rows)

    emit([run_json(r) for r in found], as_json, draw)


@app.command("show")
def show(
    run_id: str = typer.Argument(
        ..., help="Pipeline run id, a unique prefix, or a pipeline name (its newest run)."
    ),
    as_json: bool = JsonOption,
) -> None:
    """The DAG with each step's status, attempt and time, and the run's error if any."""
    found = _pipelines().get_run(run_id)
    emit(run_json(found), as_json, lambda: show_run(found))


@app.command("logs")
def logs(
    run_id: str = typer.Argument(
        ..., help="Pipeline run id, a unique prefix, or a pipeline name (its newest run)."
    ),
    step: str = typer.Argument(..., help="Step name."),
    as_json: bool = JsonOption,
) -> None:
    """The captured stdout and stderr of a step's last attempt."""
    stdout, stderr = _pipelines().step_logs(run_id, step)

    def draw() -> None:
        console.rule("stdout")
        console.print(escape(stdout), end="", soft_wrap=True, highlight=False)
        console.rule("stderr")
        console.print(escape(stderr), end="", soft_wrap=True, highlight=False)

    emit({"stdout": stdout, "stderr": stderr}, as_json, draw)


@app.command("cancel")
def cancel(
    run_id: str = typer.Argument(
        ..., help="Pipeline run id, a unique prefix, or a pipeline name (its newest run)."
    ),
    wait: bool = typer.Option(
        True, "--wait/--no-wait", help="Wait until the run has stopped, then show it."
    ),
    timeout: float = typer.Option(60.0, "--timeout", help="Seconds to wait at most."),
    as_json: bool = JsonOption,
) -> None:
    """Cancel a pending or running pipeline run, wherever it runs (a --detach'ed one too):
    its running steps are stopped (workers killed, Ray tasks cancelled) and the run and
    every step not done end cancelled. `pipelines resume` runs them again later."""
    import time

    service = _pipelines()
    event = service.cancel_run(run_id)
    found = service.get_run(event.name)
    deadline = time.monotonic() + max(0.0, timeout)
    while wait and not found.status.is_finished and time.monotonic() < deadline:
        time.sleep(0.2)
        found = service.get_run(found.id)

    def draw() -> None:
        console.print(f"Cancel of pipeline run {found.id} asked by {escape(event.actor)}")
        show_run(found)
        if not found.status.is_finished:
            console.print(
                f"Not stopped after {timeout:g} s; see `driftloop pipelines show {found.id}`."
            )

    emit({"cancel": event, "run": run_json(found)}, as_json, draw)
