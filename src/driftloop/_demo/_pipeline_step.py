"""Demo steps: train as a pipeline, then run it again and see every step cached."""

from __future__ import annotations

import time

from driftloop._demo._context import DemoContext
from driftloop._demo._training_pipeline import training
from driftloop.pipelines._models import PipelineRun


def run_training_pipeline(ctx: DemoContext) -> None:
    pipelines = ctx.workspace.pipelines
    run = pipelines.run(training)
    for step in run.steps:
        stdout, _ = pipelines.step_logs(run.id, step.name)
        ctx.console.rule(f"step {step.name} ({step.status.value}, {step.duration_s or 0:.1f} s)")
        ctx.console.print(stdout.rstrip(), markup=False, highlight=False)
    if not run.succeeded:
        raise RuntimeError(f"the training pipeline failed: {run.error}")
    _fill_context(ctx, run)
    ctx.say(f"Pipeline run {run.id[:8]} succeeded; see: driftloop pipelines show {run.id[:8]}")
    ctx.summary["pipeline"] = {"first_run": _run_summary(run)}


def rerun_training_pipeline(ctx: DemoContext) -> None:
    started = time.perf_counter()
    run = ctx.workspace.pipelines.run(training)
    took = time.perf_counter() - started
    cached = [s.name for s in run.steps if s.status.value == "cached"]
    everything = len(cached) == len(run.steps)
    ctx.say(
        f"Pipeline run {run.id[:8]}: {len(cached)} of {len(run.steps)} steps cached "
        f"({', '.join(cached)}); "
        + (f"fully cached, nothing ran, {took:.2f} s." if everything else "some steps ran.")
    )
    ctx.summary["pipeline"]["second_run"] = _run_summary(run) | {
        "fully_cached": everything,
        "seconds": round(took, 3),
    }


def _fill_context(ctx: DemoContext, run: PipelineRun) -> None:
    """The later demo steps read what the pipeline made, as the old steps left it."""
    pipelines = ctx.workspace.pipelines
    raw = pipelines.load_output(run.id, "load")
    ctx.flights, ctx.weather, ctx.planes = raw["flights"], raw["weather"], raw["planes"]
    sets = pipelines.load_output(run.id, "training_set")
    ctx.train, ctx.summer = sets["train"], sets["summer"]
    validated = pipelines.load_output(run.id, "validate")
    ctx.dataset_versions = validated["versions"]
    trained = pipelines.load_output(run.id, "train")
    ctx.run_ids, ctx.best_run_id = trained["run_ids"], trained["best_run_id"]
    evaluation = pipelines.load_output(run.id, "evaluate")
    registered = pipelines.load_output(run.id, "register")
    from driftloop.registry._fluent import load_model

    ctx.models[ctx.best_run_id] = load_model(f"runs:/{ctx.best_run_id}/model")
    ctx.summary |= {
        "features": sets["features"],
        "datasets": validated["datasets"],
        "runs": trained["runs"],
        **evaluation,
        "registry": registered["summary"],
    }


def _run_summary(run: PipelineRun) -> dict[str, object]:
    return {
        "run_id": run.id,
        "status": run.status.value,
        "steps": {s.name: s.status.value for s in run.steps},
    }
