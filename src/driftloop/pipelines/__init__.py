"""Pipelines: plain-Python steps whose passed values draw the DAG, cached on content.

A *step* is a function decorated with ``@dl.step``; a *pipeline* is a function
decorated with ``@dl.pipeline`` that calls steps and passes their outputs on. Each
run and step run is a row in the metadata store (status, attempts, times, logs,
inputs and outputs); outputs are kept in the artifact store and passed by reference.
A step whose code, input contents and parameters are unchanged is not run again
(``cached``). The local executor runs independent steps in parallel in a reused pool
of worker processes; ``executor="ray"`` runs them on Ray.

Triggers say when a pipeline starts (``kind``: a cron schedule, a new dataset version,
a webhook call, a manual call, an alert) and what (``target_kind``/``target``: a
pipeline, or what later contexts register). Each event fires exactly once, however
many schedulers run: it is claimed by a unique row in the metadata store.

Example::

    @dl.step
    def load() -> pd.DataFrame: ...

    @dl.step(retries=2)
    def train(data: pd.DataFrame, depth: int) -> Model: ...

    @dl.pipeline
    def training(depth: int = 6):
        train(load(), depth=depth)

    run = dl.run_pipeline(training, {"depth": 8})
"""

from typing import TYPE_CHECKING

from driftloop._lazy import lazy_exports

if TYPE_CHECKING:
    from driftloop.pipelines._definition import Pipeline, Step, StepOutput, pipeline, step
    from driftloop.pipelines._dispatch import (
        RunStatusReader,
        TargetDispatcher,
        register_trigger_target,
        target_kinds,
    )
    from driftloop.pipelines._fluent import run_pipeline
    from driftloop.pipelines._models import (
        OutputRef,
        PipelineRun,
        StepResult,
        StepRun,
        StepStatus,
        StepTask,
    )
    from driftloop.pipelines._protocols import StepExecutor
    from driftloop.pipelines._scheduler import Scheduler, TickReport
    from driftloop.pipelines._scheduler_jobs import SchedulerJob, register_scheduler_job
    from driftloop.pipelines._service import PipelineService
    from driftloop.pipelines._trigger_due import DueTrigger
    from driftloop.pipelines._trigger_models import (
        DefinedTrigger,
        EventStatus,
        Trigger,
        TriggerEvent,
        TriggerKind,
    )
    from driftloop.pipelines._triggers import TriggerService

# Imported on first use (see driftloop/_lazy.py), so importing the package is cheap.
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "driftloop.pipelines._definition": (
            "Pipeline",
            "Step",
            "StepOutput",
            "pipeline",
            "step",
        ),
        "driftloop.pipelines._dispatch": (
            "RunStatusReader",
            "TargetDispatcher",
            "register_trigger_target",
            "target_kinds",
        ),
        "driftloop.pipelines._fluent": ("run_pipeline",),
        "driftloop.pipelines._models": (
            "OutputRef",
            "PipelineRun",
            "StepResult",
            "StepRun",
            "StepStatus",
            "StepTask",
        ),
        "driftloop.pipelines._protocols": ("StepExecutor",),
        "driftloop.pipelines._scheduler": (
            "Scheduler",
            "TickReport",
        ),
        "driftloop.pipelines._scheduler_jobs": (
            "SchedulerJob",
            "register_scheduler_job",
        ),
        "driftloop.pipelines._service": ("PipelineService",),
        "driftloop.pipelines._trigger_due": ("DueTrigger",),
        "driftloop.pipelines._trigger_models": (
            "DefinedTrigger",
            "EventStatus",
            "Trigger",
            "TriggerEvent",
            "TriggerKind",
        ),
        "driftloop.pipelines._triggers": ("TriggerService",),
    },
    globals(),
)

__all__ = [
    "DefinedTrigger",
    "DueTrigger",
    "EventStatus",
    "OutputRef",
    "Pipeline",
    "PipelineRun",
    "PipelineService",
    "RunStatusReader",
    "Scheduler",
    "SchedulerJob",
    "Step",
    "StepExecutor",
    "StepOutput",
    "StepResult",
    "StepRun",
    "StepStatus",
    "StepTask",
    "TargetDispatcher",
    "TickReport",
    "Trigger",
    "TriggerEvent",
    "TriggerKind",
    "TriggerService",
    "pipeline",
    "register_scheduler_job",
    "register_trigger_target",
    "run_pipeline",
    "step",
    "target_kinds",
]
