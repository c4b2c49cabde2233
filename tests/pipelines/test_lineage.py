"""Which dataset and model versions reach a step: the inputs of the runs it makes."""

from __future__ import annotations

from typing import Any

import pandas as pd

import driftloop as dl
from driftloop.pipelines._lineage import versions_reaching
from driftloop.pipelines._models import OutputRef


@dl.step
def load(data: dl.DatasetVersion) -> pd.DataFrame:
    return dl.get_dataset(data.ref).to_pandas()


@dl.step(outputs=2)
def split(frame: pd.DataFrame) -> tuple[Any, Any]:
    return frame, frame


@dl.step
def train(frame: pd.DataFrame, holdout: Any, again: dl.DatasetVersion) -> Any:
    return None


@dl.step
def report(data: dl.DatasetVersion) -> None:
    return None


@dl.pipeline
def branches(data: dl.DatasetVersion, other: dl.DatasetVersion):
    first, second = split(load(data))
    train(first, second, again=data)
    report(other)


def _outputs() -> dict[str, OutputRef]:
    champion = OutputRef("model_version", "ModelVersion", "d2", "churn@2")
    return {
        "load": OutputRef("pandas", "DataFrame", "d0"),
        "split": OutputRef(
            "tuple", "tuple", "d1", parts=(OutputRef("pandas", "x", "d3"), champion)
        ),
    }


def test_versions_reach_a_step_through_its_upstream_steps_and_its_own_arguments(
    sqlite_workspace: dl.Workspace,
) -> None:
    data = dl.log_dataset("flights", pd.DataFrame({"a": [1]}))
    other = dl.log_dataset("airports", pd.DataFrame({"b": [1]}))
    graph = branches.build({"data": data, "other": other})
    # Nearest first: train's own argument names the role of the data, not load's.
    assert versions_reaching(graph, "train", _outputs()) == (
        ("model_version", "churn@2", "holdout"),
        ("dataset", "flights@1", "again"),
    )
    assert versions_reaching(graph, "load", {}) == (("dataset", "flights@1", "data"),)
    # Another branch's versions do not reach it.
    assert versions_reaching(graph, "report", {}) == (("dataset", "airports@1", "data"),)
