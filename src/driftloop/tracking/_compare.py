"""Runs side by side: the params that differ and each metric's delta to the first run."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from driftloop.tracking._models import Run


@dataclass(frozen=True, slots=True)
class RunLabel:
    run_id: str
    name: str


@dataclass(frozen=True, slots=True)
class MetricComparison:
    """One metric across the compared runs (None where a run has no value)."""

    values: tuple[float | None, ...]
    delta_vs_first: tuple[float | None, ...]


@dataclass(frozen=True, slots=True)
class RunComparison:
    """``params`` holds only the params whose values differ; ``metrics`` holds every metric."""

    runs: tuple[RunLabel, ...]
    params: dict[str, tuple[str | None, ...]]
    metrics: dict[str, MetricComparison]


def compare_runs(runs: Sequence[Run]) -> RunComparison:
    """Pure: compare the runs in the order given; deltas are against the first run."""
    keys = sorted({k for r in runs for k in r.params})
    differing = {
        k: tuple(r.params.get(k) for r in runs)
        for k in keys
        if len({r.params.get(k) for r in runs}) > 1
    }
    metrics: dict[str, MetricComparison] = {}
    for key in sorted({k for r in runs for k in r.metrics}):
        values = tuple(r.metrics.get(key) for r in runs)
        base = values[0]
        deltas = tuple(None if v is None or base is None else v - base for v in values)
        metrics[key] = MetricComparison(values, deltas)
    return RunComparison(tuple(RunLabel(r.id, r.name) for r in runs), differing, metrics)
