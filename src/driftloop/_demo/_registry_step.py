"""Demo step: register the best run's model, make it the champion, load it in a new process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from driftloop._demo._context import DemoContext
from driftloop._demo._training import FEATURES

MODEL_NAME = "flight-delays"

# Run in a fresh interpreter: nothing of this process (the fitted object, imports) helps it.
_FRESH_PROCESS = """
import json, sys
import pandas as pd
import driftloop as dl
model = dl.load_model("models:/%s@champion")
rows = pd.read_parquet(sys.argv[1])
print(json.dumps(model.predict_proba(rows)[:, 1].tolist()))
"""


def _predict_in_fresh_process(ctx: DemoContext, rows_path: Path) -> list[float]:
    settings = ctx.workspace.settings
    env = {
        **os.environ,
        "DRIFTLOOP_HOME": str(settings.root),
        "DRIFTLOOP_DB_URL": settings.db_url,
        "DRIFTLOOP_ARTIFACT_URL": settings.artifact_url,
    }
    done = subprocess.run(
        [sys.executable, "-c", _FRESH_PROCESS % MODEL_NAME, str(rows_path)],
        capture_output=True,
        text=True,
        env=env,
        cwd=settings.root,
        check=False,
        timeout=300,
    )
    if done.returncode != 0:
        raise RuntimeError(f"loading the champion in a new process failed:\n{done.stderr}")
    return [float(v) for v in json.loads(done.stdout.strip().splitlines()[-1])]


def register_champion(ctx: DemoContext) -> None:
    registry = ctx.workspace.registry
    assert ctx.best_run_id is not None, "the tracking step picks the best run"
    version = registry.register(
        f"runs:/{ctx.best_run_id}/model",
        MODEL_NAME,
        description="Will a flight from New York arrive 15+ minutes late?",
    )
    registry.set_alias(MODEL_NAME, "champion", version.version)
    ctx.say(
        f"Registered {version.uri} ({version.flavor}, {version.model_digest[:19]}...) "
        f"and set {MODEL_NAME}@champion -> version {version.version}."
    )
    rows = ctx.summer[FEATURES].head(5)
    expected = ctx.models[ctx.best_run_id].predict_proba(rows)[:, 1]
    with tempfile.TemporaryDirectory() as tmp:
        rows_path = Path(tmp) / "rows.parquet"
        rows.to_parquet(rows_path)
        fresh = _predict_in_fresh_process(ctx, rows_path)
    identical = bool(np.array_equal(np.asarray(fresh), expected))
    ctx.say(
        "A new Python process loaded models:/flight-delays@champion (bytes verified first) "
        f"and predicted P(late) for 5 summer flights: {', '.join(f'{p:.3f}' for p in fresh)}; "
        f"{'identical to' if identical else 'DIFFERENT from'} the in-memory model."
    )
    ctx.say(f"See it with: driftloop models card {version.ref}")
    ctx.summary["registry"] = {
        "model": MODEL_NAME,
        "version": version.version,
        "alias": "champion",
        "model_digest": version.model_digest,
        "fresh_process_predictions": fresh,
        "identical_predictions": identical,
    }
