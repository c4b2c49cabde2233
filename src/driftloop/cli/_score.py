"""`driftloop score MODEL --input NAME@V --output NAME`: batch scoring with a progress bar."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

from driftloop.cli._output import JsonOption, console, emit

if TYPE_CHECKING:
    from driftloop.serving._batch import Progress as RowsDone
    from driftloop.serving._batch import ScoreResult


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
    # No default here: the service's (100,000) applies, and the command starts without
    # importing the scoring module (Arrow, the registry) just to read it.
    chunk_rows: int | None = typer.Option(
        None, "--chunk-rows", help="Rows scored at a time (default 100,000)."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Score a dataset version with a model; the predictions become a new dataset version."""
    from driftloop._workspace import get_workspace

    ws = get_workspace(create=False)
    total = ws.datasets.get_version(input).num_rows
    chunks: dict[str, Any] = {} if chunk_rows is None else {"chunk_rows": chunk_rows}
    with _progress_bar(total, not as_json and console.is_terminal) as progress:
        result = ws.scoring.score(
            model, input, output, executor=executor, progress=progress, **chunks
        )
    emit(result.to_json(), as_json, lambda: _show(result))


def _show(result: ScoreResult) -> None:
    console.print(
        f"Scored {result.rows:,} rows of {escape(result.input)} with {escape(result.model)} "
        f"in {result.seconds:.1f} s ({result.chunks} chunks, {escape(result.executor)})."
    )
    console.print(f"Predictions: dataset {escape(result.output.ref)} (run {result.run_id[:8]})")
    console.print(f"Lineage: driftloop models lineage {escape(result.model)}")
