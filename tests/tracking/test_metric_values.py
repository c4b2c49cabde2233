"""Non-finite metric values round-trip; a batch the store refuses never poisons the writer."""

from __future__ import annotations

import math
import warnings

import pytest

import driftloop as dl
from driftloop.errors import MetricWriteWarning

VALUES = [0.5, float("nan"), float("inf"), float("-inf"), -2.0]


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


def test_nan_and_infinities_round_trip(workspace: dl.Workspace) -> None:
    with dl.start_run() as run:
        for step, value in enumerate(VALUES):
            dl.log_metric("m", value, step=step)
        dl.log_metric("nan", float("nan"))
        dl.log_metric("pinf", float("inf"))
        dl.log_metric("ninf", float("-inf"))
    got = dl.get_run(run.id)
    assert got.status is dl.RunStatus.FINISHED
    history = [m.value for m in dl.get_metric_history(run.id, "m")]
    assert len(history) == len(VALUES) and all(map(_same, history, VALUES))
    assert math.isnan(got.metrics["nan"]) and got.metrics["pinf"] == math.inf
    assert got.metrics["ninf"] == -math.inf and got.metrics["m"] == -2.0
    frame = dl.search_runs()
    row = frame[frame["run_id"] == run.id].iloc[0]
    assert math.isnan(row["metrics.nan"]) and row["metrics.pinf"] == math.inf
    assert row["metrics.ninf"] == -math.inf


def test_a_later_run_keeps_its_metrics_after_a_nan(workspace: dl.Workspace) -> None:
    with dl.start_run():
        dl.log_metric("m", float("nan"))
    with dl.start_run() as later:
        dl.log_metric("m", 1.5)
    assert dl.get_run(later.id).metrics == {"m": 1.5}


def test_refused_values_are_dropped_with_a_warning_and_the_rest_kept(
    workspace: dl.Workspace,
) -> None:
    tracking = workspace.tracking
    with dl.start_run() as run:
        dl.log_metric("good", 1.0)
        # a run that does not exist: the foreign key refuses this value on every backend
        tracking.log_metric("no-such-run", "bad", 2.0, 0, 0)
        dl.log_metric("good", 3.0, step=1)
        with pytest.warns(MetricWriteWarning, match="refused 1 metric value.*no-such-run"):
            tracking.writer.flush()
    assert dl.get_run(run.id).status is dl.RunStatus.FINISHED
    assert [m.value for m in dl.get_metric_history(run.id, "good")] == [1.0, 3.0]
    with warnings.catch_warnings():
        warnings.simplefilter("error", MetricWriteWarning)  # the bad value is gone for good
        with dl.start_run() as later:
            dl.log_metric("m", 4.0)
        assert dl.get_run(later.id).metrics == {"m": 4.0}
    assert tracking.writer.pending == 0
