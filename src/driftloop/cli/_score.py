"""`driftloop score MODEL --input NAME@V --output NAME`: batch scoring with a progress bar."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

from driftloop.cli._output import JsonOption, console, emit
from driftloop.serving._batch import DEFAULT_CHUNK_ROWS, ScoreResult
from driftloop.serving._batch import Progress as RowsDone


@contextmanager
def _progress_bar(total: int, shown: bool) -> Iterator[RowsDone | None]:
    if not shown:
        yield None
        return
    columns = (
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("scoring rows", total=total)
        yield lambda rows: bar.advance(task, rows)


def score(
    model: str = typer.Argument(..., help="Model URI: models:/NAME@ALIAS, NAME/VERSION or NAME."),
    input: str = typer.Option(..., "--input", "-i", help="Dataset version to score: NAME@V."),
    output: str = typer.Option(..., "--output", "-o", help="Dataset name for the predictions."),
    executor: str = typer.Option(
        "local", "--executor", "-x", help="local, ray (a local Ray) or ray://host:port."
    ),
    chunk_rows: int = typer.Option(
        DEFAULT_CHUNK_ROWS, "--chunk-rows", help="Rows scored at a time."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Score a dataset version with a model; the predictions become a new dataset version."""
    from driftloop._workspace import get_workspace

    ws = get_workspace()
    total = ws.datasets.get_version(input).num_rows
    with _progress_bar(total, not as_json and console.is_terminal) as progress:
        result = ws.scoring.score(
            model, input, output, chunk_rows=chunk_rows, executor=executor, progress=progress
        )
    emit(result.to_json(), as_json, lambda: _show(result))


def _show(result: ScoreResult) -> None:
    console.print(
        f"Scored {result.rows:,} rows of {escape(result.input)} with {escape(result.model)} "
        f"in {result.seconds:.1f} s ({result.chunks} chunks, {escape(result.executor)})."
    )
    console.print(f"Predictions: dataset {escape(result.output.ref)} (run {result.run_id[:8]})")
    console.print(f"Lineage: driftloop models lineage {escape(result.model)}")
