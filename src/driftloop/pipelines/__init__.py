"""Pipelines: plain-Python steps whose passed values draw the DAG, cached on content.

A *step* is a function decorated with ``@dl.step``; a *pipeline* is a function
decorated with ``@dl.pipeline`` that calls steps and passes their outputs on. Each
run and step run is a row in the metadata store (status, attempts, times, logs,
inputs and outputs); outputs are kept in the artifact store and passed by reference.
A step whose code, input contents and parameters are unchanged is not run again
(``cached``). The local executor runs independent steps in parallel in a reused pool
of worker processes; ``executor="ray"`` runs them on Ray.

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

from driftloop.pipelines._definition import Pipeline, Step, StepOutput, pipeline, step
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
from driftloop.pipelines._service import PipelineService

__all__ = [
    "OutputRef",
    "Pipeline",
    "PipelineRun",
    "PipelineService",
    "Step",
    "StepExecutor",
    "StepOutput",
    "StepResult",
    "StepRun",
    "StepStatus",
    "StepTask",
    "pipeline",
    "run_pipeline",
    "step",
]
