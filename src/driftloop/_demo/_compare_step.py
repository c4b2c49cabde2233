"""Demo step: print the three runs side by side."""

from __future__ import annotations

from driftloop._demo._context import DemoContext
from driftloop.cli._output import format_value


def show_comparison(ctx: DemoContext) -> None:
    from rich.table import Table

    runs = ctx.workspace.tracking.get_runs(ctx.run_ids)
    result = ctx.workspace.tracking.compare_runs(ctx.run_ids)
    grid = Table(title="Runs compared (delta vs first run)")
    grid.add_column("")
    for run in runs:
        grid.add_column(f"{run.name}\n{run.id[:8]}")
    for key, values in result.params.items():
        grid.add_row(f"param {key}", *map(format_value, values))
    for key, entry in result.metrics.items():
        cells = [format_value(entry.values[0])]
        cells += [
            f"{format_value(v)} ({d:+.3f})" if d is not None else ""
            for v, d in zip(entry.values[1:], entry.delta_vs_first[1:], strict=True)
        ]
        grid.add_row(f"metric {key}", *cells)
    ctx.console.print(grid)
    best = next(r for r in runs if r.id == ctx.best_run_id)
    drop = best.metrics["valid_auc"] - best.metrics["summer_auc"]
    ctx.say(
        f"Best run: {best.name} ({best.id[:8]}), valid AUC {best.metrics['valid_auc']:.3f}; "
        f"on summer flights it scores {best.metrics['summer_auc']:.3f} ({drop:.3f} lower): drift."
    )
    ctx.summary["best_run_id"] = best.id
    ctx.summary["auc_drop_in_summer"] = drop
