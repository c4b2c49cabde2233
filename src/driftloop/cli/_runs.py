"""`driftloop runs list | show | compare | history | delete | restore` and
`driftloop experiments list | delete | restore`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer
from rich.markup import escape

from driftloop.cli._lifecycle import (
    DeletedOption,
    deleted_columns,
    deleted_headers,
    each,
    emit_events,
)
from driftloop.cli._output import JsonOption, console, emit, format_value, table

if TYPE_CHECKING:
    from driftloop.tracking._models import Run
    from driftloop.tracking._service import TrackingService

app = typer.Typer(
    help="Tracked runs: list, show, compare, metric history, delete and restore.",
    no_args_is_help=True,
)
experiments_app = typer.Typer(
    help="Experiments: list, delete (with their runs) and restore.", no_args_is_help=True
)


def _tracking() -> TrackingService:
    from driftloop._workspace import get_workspace

    return get_workspace(create=False).tracking


@app.command("list")
def list_runs(
    experiment: list[str] = typer.Option(
        None, "--experiment", "-e", help="Only these experiments."
    ),
    filter_: str | None = typer.Option(None, "--filter", "-f", help='e.g. "metrics.auc > 0.8"'),
    order_by: list[str] = typer.Option(None, "--order-by", "-o", help='e.g. "metrics.auc desc"'),
    max_results: int = typer.Option(50, "--max", help="At most this many runs."),
    columns: str | None = typer.Option(
        None, "--columns", "-c", help='Params and metrics to show, e.g. "metrics.auc,params.model".'
    ),
    wide: bool = typer.Option(False, "--wide", help="Every param and metric, untruncated."),
    deleted: bool = DeletedOption,
    as_json: bool = JsonOption,
) -> None:
    """List runs, newest first: id, name, status, start, duration and the metrics that matter.

    The metrics shown are those in --filter/--order-by, else the first three by name;
    --columns picks others, --wide shows every param and metric, --json every value.
    Deleted runs are hidden; --deleted lists them instead, with who deleted each and when.
    """
    from driftloop.cli._runs_list import chosen_columns, referenced_columns, render

    view = "deleted_only" if deleted else "active_only"
    records = _tracking().search_run_records(
        experiment or None, filter_, order_by or (), max_results, view_type=view
    )
    available = list(records[0]) if records else []
    mentioned = referenced_columns([filter_, *(order_by or [])], available)
    extra = chosen_columns(available, columns, mentioned) if records else []

    def draw() -> None:
        every = [c for c in available if c.startswith(("params.", "metrics."))]
        # when before who: the columns that do not fit are left out from the right
        who = ["deleted_at", "deleted_by"] if deleted else []
        render(records, who + (every if wide else extra), wide=wide)

    emit(records, as_json, draw)


@app.command("show")
def show(
    run_id: str = typer.Argument(
        ..., help="Run id, a unique id prefix, or a run name (its newest run)."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Everything about one run: status, code version, params, metrics, tags, inputs, artifacts."""
    tracking = _tracking()
    run = tracking.get_run(tracking.resolve_run_id(run_id))

    def render() -> None:
        console.print(f"[bold]{escape(run.name)}[/bold]  {run.id}  ({run.status.value})")
        if run.deleted_at is not None:
            console.print(
                f"deleted by {escape(str(run.deleted_by))} at {format_value(run.deleted_at)} "
                f"UTC; restore with `driftloop runs restore {run.id}`"
            )
        console.print(f"experiment: {escape(run.experiment)}   user: {escape(run.user)}")
        ended = format_value(run.end_time) or "not yet"
        console.print(f"started: {format_value(run.start_time)}   ended: {ended}")
        dirty = " (dirty)" if run.git_dirty else ""
        console.print(
            f"code: {run.git_commit or 'not in git'}{dirty}   "
            f"entry point: {escape(run.entry_point or 'not recorded')}"
        )
        if run.seed is not None:
            console.print(f"seed: {run.seed}")
        for title, mapping in (
            ("params", run.params),
            ("metrics", run.metrics),
            ("tags", run.tags),
        ):
            if mapping:
                table(title, ["key", "value"], sorted(mapping.items()))
        if run.inputs:
            table("inputs", ["kind", "ref", "role"], [(i.kind, i.ref, i.role) for i in run.inputs])
        if run.artifacts:
            table(
                "artifacts",
                ["path", "size", "digest"],
                [(a.path, a.size, a.digest[:19]) for a in run.artifacts],
            )

    emit(_run_summary(run), as_json, render)


def _run_summary(run: Run) -> dict[str, Any]:
    data: dict[str, Any] = {
        "run_id": run.id,
        "name": run.name,
        "experiment": run.experiment,
        "status": run.status.value,
        "user": run.user,
        "start_time": run.start_time,
        "end_time": run.end_time,
        "parent_run_id": run.parent_run_id,
        "git_commit": run.git_commit,
        "git_dirty": run.git_dirty,
        "entry_point": run.entry_point,
        "seed": run.seed,
        "params": run.params,
        "metrics": run.metrics,
        "tags": run.tags,
        "inputs": run.inputs,
        "artifacts": run.artifacts,
        "environment": {k: v for k, v in run.environment.items() if k != "packages"},
        "deleted_at": run.deleted_at,
        "deleted_by": run.deleted_by,
    }
    return data


@app.command("compare")
def compare(
    run_ids: list[str] = typer.Argument(
        ..., help="Two or more runs: ids, unique id prefixes or names."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Side by side: the params that differ and each metric with its delta to the first run."""
    if len(run_ids) < 2:
        raise typer.BadParameter("give at least two run ids to compare")
    tracking = _tracking()
    result = tracking.compare_runs([tracking.resolve_run_id(ref) for ref in run_ids])

    def render() -> None:
        names = [f"{r.name} ({r.run_id[:8]})" for r in result.runs]
        if result.params:
            table(
                "params that differ",
                ["param", *names],
                [(k, *v) for k, v in result.params.items()],
            )
        else:
            console.print("All params are equal.")
        rows = []
        for key, entry in result.metrics.items():
            cells = [format_value(entry.values[0])]
            for v, d in zip(entry.values[1:], entry.delta_vs_first[1:], strict=True):
                cells.append(f"{format_value(v)} ({d:+.4g})" if d is not None else format_value(v))
            rows.append((key, *cells))
        table("metrics (delta vs first)", ["metric", *names], rows)

    emit(result, as_json, render)


@app.command("history")
def history(
    run_id: str = typer.Argument(
        ..., help="Run id, a unique id prefix, or a run name (its newest run)."
    ),
    key: str = typer.Argument(..., help="Metric name."),
    as_json: bool = JsonOption,
) -> None:
    """Every logged value of one metric of a run, with the time it was logged (UTC)."""
    from datetime import UTC, datetime

    tracking = _tracking()
    values = tracking.metric_history(tracking.resolve_run_id(run_id), key)

    def when(ms: int) -> str:
        # Milliseconds shown: a training loop logs many values within one second.
        return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]

    emit(
        values,
        as_json,
        lambda: table(
            f"{key}: {len(values)} value(s)",
            ["step", "value", "logged at (UTC)"],
            [(m.step, m.value, when(m.timestamp_ms)) for m in values],
        ),
    )


@app.command("delete")
def delete(
    run_ids: list[str] = typer.Argument(
        ..., help="Run ids, unique id prefixes, or run names (the newest run of each)."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Delete runs (and their nested runs): hidden from lists and searches, restorable
    with `runs restore` until `driftloop gc` purges them.

    A run a registered model version was made from is refused, naming the version.
    """
    tracking = _tracking()
    ids = [tracking.resolve_run_id(r) for r in run_ids]  # every id checked before any change
    emit_events(each(ids, tracking.delete_run), as_json, "runs")


@app.command("restore")
def restore(
    run_ids: list[str] = typer.Argument(
        ..., help="Deleted runs: ids, unique id prefixes, or names (the newest run of each)."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Restore deleted runs (with the nested runs deleted together with them)."""
    tracking = _tracking()
    ids = [tracking.resolve_run_id(r) for r in run_ids]
    emit_events(each(ids, tracking.restore_run), as_json, "runs")


@experiments_app.command("list")
def list_experiments(deleted: bool = DeletedOption, as_json: bool = JsonOption) -> None:
    """Experiments, oldest first (--deleted: the deleted ones, with who and when)."""
    found = _tracking().list_experiments("deleted_only" if deleted else "active_only")

    def render() -> None:
        columns = ["id", "name", "created", *deleted_headers(deleted)]
        rows = [(e.id, e.name, e.created_at, *deleted_columns(e, deleted)) for e in found]
        table(f"{len(found)} experiment(s)", columns, rows)

    emit(found, as_json, render)


@experiments_app.command("delete")
def delete_experiments(
    names: list[str] = typer.Argument(..., help="Experiment names."), as_json: bool = JsonOption
) -> None:
    """Delete experiments with their runs; a name stays taken until `driftloop gc`."""
    emit_events(each(names, _tracking().delete_experiment), as_json, "experiments")


@experiments_app.command("restore")
def restore_experiments(
    names: list[str] = typer.Argument(..., help="Deleted experiment names."),
    as_json: bool = JsonOption,
) -> None:
    """Restore deleted experiments with the runs deleted together with them."""
    emit_events(each(names, _tracking().restore_experiment), as_json, "experiments")
