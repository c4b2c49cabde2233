"""A team on a real workspace: people with roles, and a model with a few versions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

import driftloop as dl


def register(ws: dl.Workspace, name: str = "churn", seed: int = 0) -> int:
    """Log and register a small real model; its version number."""
    rng = np.random.default_rng(seed)
    x = pd.DataFrame({"a": rng.normal(size=40), "b": rng.normal(size=40)})
    run_id = ws.tracking.create_run(name)
    model = LogisticRegression().fit(x, (x["a"] > 0).astype(int))
    logged = ws.registry.log_model(run_id, model, name, register=True, input_example=x)
    ws.tracking.end_run(run_id)
    assert logged.version is not None
    return logged.version.version


@pytest.fixture
def team(workspace: dl.Workspace) -> dl.Workspace:
    """ana (data scientist), sam and sue (subject-matter experts), dan (DevOps), and
    churn versions 1, 2 and 3."""
    gov = workspace.governance
    gov.add_user("ana", ["data_scientist"])
    gov.add_user("sam", ["subject_matter_expert"])
    gov.add_user("sue", ["subject_matter_expert"])
    gov.add_user("dan", ["devops_engineer"])
    for seed in range(3):
        register(workspace, seed=seed)
    return workspace
