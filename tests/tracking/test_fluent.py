from __future__ import annotations

import pytest

import driftloop as dl


def test_run_records_params_metrics_tags_and_finishes(workspace: dl.Workspace) -> None:
    with dl.start_run(experiment="churn", name="rf-depth-8") as run:
        dl.log_params({"model": "rf", "max_depth": 8})
        for i in range(5):
            dl.log_metric("loss", 1.0 / (i + 1))
        dl.set_tag("team", "growth")
    stored = dl.get_run(run.id)
    assert stored.status == dl.RunStatus.FINISHED
    assert stored.params == {"model": "rf", "max_depth": "8"}
    assert stored.metrics["loss"] == pytest.approx(0.2)
    assert stored.tags == {"team": "growth"}
    assert [m.step for m in dl.get_metric_history(run.id, "loss")] == [0, 1, 2, 3, 4]
