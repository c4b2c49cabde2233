"""The public API is what `import driftloop as dl` exports: pinned, so a change is deliberate."""

from __future__ import annotations

import driftloop as dl

EXPECTED = {
    "ActiveRun",
    "AlreadyExistsError",
    "ConflictError",
    "Dataset",
    "DatasetVersion",
    "DriftReport",
    "DriftThresholds",
    "DriftloopError",
    "Entity",
    "Experiment",
    "Feature",
    "FeatureView",
    "IntegrityError",
    "InvalidInputError",
    "Lineage",
    "LoadedModel",
    "LoggedModel",
    "LoopPolicy",
    "Metric",
    "MissingExtraError",
    "ModelSignature",
    "ModelStatus",
    "ModelVersion",
    "NotFoundError",
    "Pipeline",
    "PipelineRun",
    "RegisteredModel",
    "Run",
    "RunStatus",
    "Step",
    "StepRun",
    "StepStatus",
    "Suite",
    "TrainingSet",
    "Trigger",
    "TriggerEvent",
    "Workspace",
    "__version__",
    "active_run",
    "attach_run",
    "compute_drift",
    "apply_features",
    "define_trigger",
    "delete_model_alias",
    "download_artifacts",
    "end_run",
    "fire_trigger",
    "get_dataset",
    "get_metric_history",
    "get_model_version",
    "get_online_features",
    "get_run",
    "get_training_set",
    "get_workspace",
    "init_workspace",
    "lineage",
    "load_model",
    "log_artifact",
    "log_artifacts",
    "log_dataset",
    "log_dict",
    "log_feedback",
    "log_figure",
    "log_input",
    "log_metric",
    "log_metrics",
    "log_model",
    "log_param",
    "log_params",
    "log_text",
    "materialize_features",
    "model_card",
    "pipeline",
    "register_model",
    "run_pipeline",
    "search_runs",
    "seed_everything",
    "set_loop_policy",
    "set_model_alias",
    "set_tag",
    "set_tags",
    "set_workspace",
    "start_run",
    "step",
    "validate_dataset",
}


def test_public_names_are_pinned() -> None:
    assert set(dl.__all__) == EXPECTED
    assert len(dl.__all__) == len(set(dl.__all__))


def test_every_public_name_resolves() -> None:
    for name in dl.__all__:
        assert getattr(dl, name) is not None, name


def test_modules_are_private_and_subpackages_narrow() -> None:
    import pkgutil

    public = [m.name for m in pkgutil.iter_modules(dl.__path__) if not m.name.startswith("_")]
    assert sorted(public) == sorted(
        [
            "artifacts",
            "automation",
            "cli",
            "config",
            "data",
            "errors",
            "features",
            "governance",
            "monitoring",
            "pipelines",
            "registry",
            "serving",
            "store",
            "testing",
            "tracking",
        ]
    )
