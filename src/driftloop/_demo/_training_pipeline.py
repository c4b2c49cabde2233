"""The demo's training as a pipeline: load, training set, validate, train, evaluate, register.

Each step rebuilds a :class:`DemoContext` from its inputs in the worker process and
calls the demo step it stands for; what a step prints is captured by the pipeline and
replayed by the demo. The outputs are DataFrames, dataset versions, run ids and the
registered model version, stored in the artifact store and passed by reference.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from rich.console import Console

import driftloop as dl
from driftloop._demo._compare_step import show_comparison
from driftloop._demo._context import DemoContext
from driftloop._demo._data_step import log_and_validate
from driftloop._demo._features_step import define_features
from driftloop._demo._load_step import load_data
from driftloop._demo._registry_step import MODEL_NAME, register_champion
from driftloop._demo._tracking_step import track_runs


def _context(**fields: Any) -> DemoContext:
    # Plain text on the worker's stdout (captured), unwrapped: the demo's console wraps it.
    console = Console(highlight=False, width=100, soft_wrap=True, color_system=None)
    ctx = DemoContext(workspace=dl.get_workspace(), console=console)
    for name, value in fields.items():
        setattr(ctx, name, value)
    return ctx


@dl.step
def load() -> dict[str, pd.DataFrame]:
    ctx = _context()
    load_data(ctx)
    return {"flights": ctx.flights, "weather": ctx.weather, "planes": ctx.planes}


@dl.step
def training_set(raw: dict[str, pd.DataFrame]) -> dict[str, Any]:
    ctx = _context(**raw)
    define_features(ctx)
    return {"train": ctx.train, "summer": ctx.summer, "features": ctx.summary["features"]}


@dl.step
def validate(sets: dict[str, Any]) -> dict[str, Any]:
    ctx = _context(train=sets["train"], summer=sets["summer"])
    log_and_validate(ctx)
    return {"versions": ctx.dataset_versions, "datasets": ctx.summary["datasets"]}


@dl.step
def train(sets: dict[str, Any], validated: dict[str, Any]) -> dict[str, Any]:
    ctx = _context(train=sets["train"], summer=sets["summer"])
    ctx.dataset_versions = validated["versions"]
    ctx.summary["features"] = sets["features"]
    track_runs(ctx)
    return {"run_ids": ctx.run_ids, "best_run_id": ctx.best_run_id, "runs": ctx.summary["runs"]}


@dl.step
def evaluate(trained: dict[str, Any]) -> dict[str, Any]:
    ctx = _context(run_ids=trained["run_ids"], best_run_id=trained["best_run_id"])
    show_comparison(ctx)
    return {k: ctx.summary[k] for k in ("best_run_id", "auc_drop_in_summer")}


@dl.step
def register(sets: dict[str, Any], trained: dict[str, Any], evaluation: dict[str, Any]) -> Any:
    best = evaluation["best_run_id"]
    model = dl.load_model(f"runs:/{best}/model")
    ctx = _context(summer=sets["summer"], best_run_id=best, models={best: model})
    register_champion(ctx)
    version = ctx.workspace.registry.resolve(f"{MODEL_NAME}@champion")
    return {"version": version, "summary": ctx.summary["registry"]}


@dl.pipeline(name="flight-delays-training")
def training() -> None:
    sets = training_set(load())
    trained = train(sets, validate(sets))
    register(sets, trained, evaluate(trained))
