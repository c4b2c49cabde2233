"""The loop's trainer: the policy's pipeline, run by the pipelines context.

Idempotent by episode: the run is tagged with ``loop:<episode id>`` as its trigger event,
so a scheduler that died after submitting finds the run instead of starting a second.
"""

from __future__ import annotations

from datetime import datetime

from driftloop.automation._policy import LoopPolicy
from driftloop.automation._protocols import TrainingStatus
from driftloop.pipelines._models import PipelineRun, StepStatus
from driftloop.pipelines._service import PipelineService

# How far back to look for an episode's run when the scheduler restarts.
RECENT_RUNS = 200


def episode_event_id(episode_id: str) -> str:
    return f"loop:{episode_id}"


class PipelineTrainer:
    def __init__(self, pipelines: PipelineService) -> None:
        self._pipelines = pipelines

    def submit(self, policy: LoopPolicy, episode_id: str, now: datetime) -> str:
        event_id = episode_event_id(episode_id)
        for run in self._pipelines.list_runs(limit=RECENT_RUNS):
            if run.trigger_event_id == event_id:
                return run.id
        return self._pipelines.submit(
            policy.pipeline, dict(policy.params), trigger_event_id=event_id
        )

    def cancel(self, run_id: str) -> None:
        self._pipelines.cancel_run(run_id)

    def status(self, policy: LoopPolicy, run_id: str) -> TrainingStatus:
        run = self._pipelines.get_run(run_id)
        if not run.status.is_finished:
            return TrainingStatus("running")
        if run.status is not StepStatus.SUCCEEDED:
            return TrainingStatus("failed", error=run.error or f"pipeline run {run.status.value}")
        return TrainingStatus("succeeded", model_version=_made_version(run, policy.model))


def _made_version(run: PipelineRun, model: str) -> int | None:
    """The newest version of ``model`` a step of ``run`` registered or returned."""
    versions = [
        int(version)
        for step in run.steps
        for kind, ref, role in step.links
        for name, _, version in [ref.rpartition("@")]
        if kind == "model_version" and role in ("created", "output") and name == model
    ]
    return max(versions) if versions else None
