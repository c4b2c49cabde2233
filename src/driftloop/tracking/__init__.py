"""Experiment tracking: experiments, runs, params, metrics, tags, inputs and artifacts.

Shaped like MLflow's fluent API. Metric values are buffered and written by a
background thread in batches, so logging never slows a training loop; every value
is durable once its run ends. Each run captures its code version (git commit,
dirty flag, diff hash), entry point, command line, interpreter, host and installed
packages without being asked.
"""

from typing import TYPE_CHECKING

from driftloop._lazy import lazy_exports

if TYPE_CHECKING:
    from driftloop.tracking._fluent import (
        ActiveRun,
        active_run,
        attach_run,
        delete_experiment,
        delete_run,
        download_artifacts,
        end_run,
        get_metric_history,
        get_run,
        log_artifact,
        log_artifacts,
        log_dict,
        log_figure,
        log_metric,
        log_metrics,
        log_param,
        log_params,
        log_text,
        restore_experiment,
        restore_run,
        search_runs,
        seed_everything,
        set_tag,
        set_tags,
        start_run,
    )
    from driftloop.tracking._models import Experiment, Metric, Run, RunArtifact, RunInput, RunStatus
    from driftloop.tracking._service import TrackingService

# Imported on first use (see driftloop/_lazy.py), so importing the package is cheap.
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "driftloop.tracking._fluent": (
            "ActiveRun",
            "active_run",
            "attach_run",
            "delete_experiment",
            "delete_run",
            "download_artifacts",
            "end_run",
            "get_metric_history",
            "get_run",
            "log_artifact",
            "log_artifacts",
            "log_dict",
            "log_figure",
            "log_metric",
            "log_metrics",
            "log_param",
            "log_params",
            "log_text",
            "restore_experiment",
            "restore_run",
            "search_runs",
            "seed_everything",
            "set_tag",
            "set_tags",
            "start_run",
        ),
        "driftloop.tracking._models": (
            "Experiment",
            "Metric",
            "Run",
            "RunArtifact",
            "RunInput",
            "RunStatus",
        ),
        "driftloop.tracking._service": ("TrackingService",),
    },
    globals(),
)

__all__ = [
    "ActiveRun",
    "Experiment",
    "Metric",
    "Run",
    "RunArtifact",
    "RunInput",
    "RunStatus",
    "TrackingService",
    "active_run",
    "attach_run",
    "delete_experiment",
    "delete_run",
    "download_artifacts",
    "end_run",
    "get_metric_history",
    "get_run",
    "log_artifact",
    "log_artifacts",
    "log_dict",
    "log_figure",
    "log_metric",
    "log_metrics",
    "log_param",
    "log_params",
    "log_text",
    "restore_experiment",
    "restore_run",
    "search_runs",
    "seed_everything",
    "set_tag",
    "set_tags",
    "start_run",
]
