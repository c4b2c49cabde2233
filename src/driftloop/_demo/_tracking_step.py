"""Demo step: train three models on January to April and track each as a run."""

from __future__ import annotations

import pandas as pd

from driftloop._demo._context import DemoContext
from driftloop._demo._training import (
    FEATURES,
    LABEL,
    PARAM_GRID,
    auc,
    make_model,
    split_train_valid,
)
from driftloop.data import log_input
from driftloop.registry import log_model
from driftloop.tracking import _fluent as tracking

EXPERIMENT = "flight-delays"
SEED = 13


def join_features(ctx: DemoContext, flights: pd.DataFrame) -> pd.DataFrame:
    """Flights with the weather at departure hour and the plane's attributes (point in time)."""
    from driftloop._demo._features_step import PLANE_FEATURES, WEATHER_FEATURES

    refs = [f"weather:{f}" for f in WEATHER_FEATURES] + [f"planes:{f}" for f in PLANE_FEATURES]
    features = ctx.workspace.features
    return features.get_training_set(flights, refs, event_timestamp="time_hour").to_pandas()


def track_runs(ctx: DemoContext) -> None:
    tracking.seed_everything(SEED)
    train, valid = split_train_valid(ctx.train, SEED)
    ctx.say(f"Training on {len(train):,} flights (Jan-Apr), validating on {len(valid):,}.")
    for params in PARAM_GRID:
        name = f"hgb-depth-{params['max_depth'] or 'none'}"
        with tracking.start_run(experiment=EXPERIMENT, name=name) as run:
            tracking.log_params({**params, "features": ",".join(FEATURES), "label": LABEL})
            for role, version in ctx.dataset_versions.items():
                log_input(version, role=role)
            for ref in ctx.summary.get("features", {}).get("views", []):
                run.log_input("feature_view", ref, "train")  # the view versions joined in
            model = make_model(params, SEED).fit(train[FEATURES], train[LABEL])
            staged = model.named_steps["model"]
            encoded = model.named_steps["encode"].transform(valid[FEATURES])
            from sklearn.metrics import log_loss

            for step, proba in enumerate(staged.staged_predict_proba(encoded)):
                if step % 10 == 0:
                    tracking.log_metric(
                        "valid_log_loss", log_loss(valid[LABEL], proba[:, 1]), step=step
                    )
            tracking.log_metrics(
                {
                    "valid_auc": auc(model, valid),
                    "summer_auc": auc(model, ctx.summer),
                    "train_rows": len(train),
                }
            )
            # The model goes into its run, so the registry step can register the best one.
            log_model(model, input_example=valid[FEATURES].head(5), training_data=train[FEATURES])
            ctx.run_ids.append(run.id)
            ctx.models[run.id] = model
    ranked = tracking.search_runs(
        EXPERIMENT,
        filter=f"run_id in ({', '.join(repr(r) for r in ctx.run_ids)})",
        order_by=["metrics.valid_auc desc"],
    )
    ctx.best_run_id = str(ranked.iloc[0]["run_id"])
    ctx.summary["runs"] = ranked[
        ["run_id", "run_name", "metrics.valid_auc", "metrics.summer_auc"]
    ].to_dict("records")
