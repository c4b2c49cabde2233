"""Batch scoring with --executor ray on a real local Ray (2 CPUs, a small object store)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

import driftloop as dl

pytestmark = pytest.mark.slow
ray = pytest.importorskip("ray")


@pytest.fixture(scope="module")
def local_ray() -> Iterator[Any]:
    ray.init(
        address="local",  # a new local Ray, never a cluster another test left running
        num_cpus=2,
        object_store_memory=80 * 1024 * 1024,
        include_dashboard=False,
        log_to_driver=False,
        configure_logging=False,
    )
    yield ray
    ray.shutdown()


def test_ray_scores_every_chunk_like_the_local_loop_in_input_order(
    sqlite_workspace: dl.Workspace, local_ray: Any
) -> None:
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"id": np.arange(3_000), "x": rng.normal(size=3_000)})
    label = (frame["x"] > 0).astype(int)
    model = LogisticRegression().fit(frame[["x"]], label)
    with dl.start_run(experiment="train"):
        dl.log_model(model, name="sign", input_example=frame[["x"]].head(), register=True)
    dl.log_dataset("points", frame)
    on_ray = sqlite_workspace.scoring.score(
        "sign", "points@1", "on-ray", chunk_rows=500, executor="ray"
    )
    local = sqlite_workspace.scoring.score("sign", "points@1", "local", chunk_rows=500)
    assert (on_ray.rows, on_ray.executor) == (3_000, "ray")
    assert on_ray.chunks >= 6
    ray_rows = dl.get_dataset(on_ray.output.ref).to_pandas()
    local_rows = dl.get_dataset(local.output.ref).to_pandas()
    assert ray_rows["id"].tolist() == list(range(3_000))  # order kept
    pd.testing.assert_frame_equal(ray_rows, local_rows)
    assert ray.is_initialized()  # a Ray the caller started is left running
