"""driftloop: the whole machine-learning loop in one pip install.

    import driftloop as dl

    with dl.start_run(experiment="churn", name="rf-depth-8"):
        dl.log_param("max_depth", 8)
        dl.log_metric("auc", 0.91)
"""

from driftloop._workspace import Workspace, get_workspace, init_workspace, set_workspace
from driftloop.data import (
    Dataset,
    DatasetVersion,
    Suite,
    get_dataset,
    log_dataset,
    log_input,
    validate_dataset,
)
from driftloop.errors import (
    AlreadyExistsError,
    ConflictError,
    DriftloopError,
    IntegrityError,
    InvalidInputError,
    MissingExtraError,
    NotFoundError,
)
from driftloop.tracking import (
    ActiveRun,
    Experiment,
    Metric,
    Run,
    RunStatus,
    active_run,
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
    search_runs,
    seed_everything,
    set_tag,
    set_tags,
    start_run,
)

__version__ = "0.1.0"

__all__ = [
    "ActiveRun",
    "AlreadyExistsError",
    "ConflictError",
    "Dataset",
    "DatasetVersion",
    "DriftloopError",
    "Experiment",
    "IntegrityError",
    "InvalidInputError",
    "Metric",
    "MissingExtraError",
    "NotFoundError",
    "Run",
    "RunStatus",
    "Suite",
    "Workspace",
    "__version__",
    "active_run",
    "download_artifacts",
    "end_run",
    "get_dataset",
    "get_metric_history",
    "get_run",
    "get_workspace",
    "init_workspace",
    "log_artifact",
    "log_artifacts",
    "log_dataset",
    "log_dict",
    "log_figure",
    "log_input",
    "log_metric",
    "log_metrics",
    "log_param",
    "log_params",
    "log_text",
    "search_runs",
    "seed_everything",
    "set_tag",
    "set_tags",
    "set_workspace",
    "start_run",
    "validate_dataset",
]
