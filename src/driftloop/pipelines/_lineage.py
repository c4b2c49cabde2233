"""Model version <-> pipeline step: the steps that made, returned or read a model version.

Registered with the registry as a lineage provider, so ``dl.lineage`` and ``driftloop
models lineage`` show the pipeline run and step a version came from; the other way,
a :class:`~driftloop.pipelines._models.StepRun` lists the versions it made.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from driftloop.pipelines._records import RunRecords
from driftloop.registry._models import LineageNode, ModelVersion

_RELATION = {
    "created": "made_in_step",
    "output": "returned_by_step",
    "input": "read_by_step",
    "created_run": "run_made_in_step",
}


def step_lineage(
    records: RunRecords,
) -> Callable[[ModelVersion], Iterable[tuple[LineageNode, str]]]:
    """A lineage provider listing the pipeline steps linked to a model version."""

    def provide(version: ModelVersion) -> Iterable[tuple[LineageNode, str]]:
        found = records.steps_linked_to("model_version", version.ref)
        if version.run_id:
            # The version's run was made in a step (a training step logging its model).
            found += [
                (row, p, "created_run")
                for row, p, _ in records.steps_linked_to("run", version.run_id)
            ]
        seen: set[tuple[str, str]] = set()
        for row, pipeline, role in found:
            relation = _RELATION[role]
            if (row.id, relation) in seen:
                continue
            seen.add((row.id, relation))
            node = LineageNode(
                f"pipeline_step:{row.id}",
                "pipeline_step",
                f"step {row.name} of pipeline {pipeline} run {row.pipeline_run_id[:8]} "
                f"({row.status})",
                {
                    "pipeline": pipeline,
                    "pipeline_run_id": row.pipeline_run_id,
                    "step": row.name,
                    "step_run_id": row.id,
                    "status": row.status,
                    "attempt": row.attempt,
                },
            )
            yield node, relation

    return provide
