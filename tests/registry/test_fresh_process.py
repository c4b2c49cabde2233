"""Real models registered here load by alias in a new Python process with identical predictions."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import driftloop as dl

# Nothing from the test process (fitted objects, training code) reaches the child.
_CHILD = """
import json, sys
import pandas as pd
import driftloop as dl
rows = pd.read_parquet(sys.argv[1])
out = {}
for name in ("sk", "xgb", "lgbm"):
    model = dl.load_model(f"models:/{name}@champion")
    out[name] = model.predict_proba(rows)[:, 1].tolist()
print(json.dumps(out))
"""


@pytest.mark.slow
def test_champions_load_in_a_fresh_process_with_identical_predictions(
    workspace: dl.Workspace,
    churn: tuple[pd.DataFrame, pd.Series],
    trainers: dict[str, Any],
    tmp_path: Path,
) -> None:
    frame, label = churn
    numeric = frame[["age", "tenure"]]
    trained = {
        "sk": (trainers["sklearn"], frame),
        "xgb": (trainers["xgboost"], numeric),
        "lgbm": (trainers["lightgbm"], numeric),
    }
    expected = {}
    for name, (train, data) in trained.items():
        for rows in (60, 120):  # two versions; the champion moves to the second
            model = train(data.head(rows), label.head(rows))
            with dl.start_run(experiment=name):
                dl.log_model(model, name=name, input_example=data.head(3), register=True)
        dl.set_model_alias(name, "champion", 1)
        dl.set_model_alias(name, "champion", 2)
        expected[name] = model.predict_proba(data)[:, 1]
    rows_path = tmp_path / "rows.parquet"
    frame.to_parquet(rows_path)
    env = {
        **os.environ,
        "DRIFTLOOP_HOME": str(workspace.root),
        "DRIFTLOOP_DB_URL": workspace.settings.db_url,
    }
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(rows_path)],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout.strip().splitlines()[-1])
    for name, values in expected.items():
        np.testing.assert_array_equal(np.asarray(got[name]), values)
