"""Model version <-> pipeline step: the steps that made, returned or read a model version.

Registered with the registry as a lineage provider, so ``dl.lineage`` and ``driftloop
models lineage`` show the pipeline run and step a version came from; the other way,
a :class:`~driftloop.pipelines._models.StepRun` lists the versions it made.
:func:`versions_reaching` names the dataset and model versions a step's tracking runs
record as inputs, so a model trained in a step has lineage to its data.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from driftloop.pipelines._definition import Graph
from driftloop.pipelines._models import OutputRef
from driftloop.pipelines._params import _version_kind
from driftloop.pipelines._records import RunRecords
from driftloop.registry._models import LineageNode, ModelVersion

# Run input kinds, as ``dl.log_input`` and batch scoring write them.
_RUN_INPUT_KIND = {"dataset_version": "dataset", "model_version": "model_version"}

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


def versions_reaching(
    graph: Graph, name: str, outputs: Mapping[str, OutputRef]
) -> tuple[tuple[str, str, str], ...]:
    """(run input kind, ref, role) of each dataset and model version given to step ``name``
    or to any step upstream of it, as a parameter or as an upstream step's output.

    ``load(data) -> train(frame)``: the runs ``train`` makes read ``data`` through
    ``load``. The role is the name of the argument the version was given as, the
    nearest step's first; ``outputs`` holds the outputs of the steps upstream.
    """
    found: dict[tuple[str, str], str] = {}
    for node_name in _self_and_ancestors(graph, name):
        node = graph.nodes[node_name]
        for arg, (upstream, index) in node.upstream_args.items():
            whole = outputs[upstream].part(index)
            for ref in (whole, *whole.parts):
                if ref.kind in _RUN_INPUT_KIND and ref.ref:
                    found.setdefault((_RUN_INPUT_KIND[ref.kind], ref.ref), arg)
        for arg, value in node.literals.items():
            kind = _version_kind(type(value))
            if kind is not None:
                found.setdefault((_RUN_INPUT_KIND[kind], value.ref), arg)
    return tuple((kind, ref, role[:64]) for (kind, ref), role in found.items())


def _self_and_ancestors(graph: Graph, name: str) -> list[str]:
    """``name`` then the steps upstream of it, nearest first (breadth first)."""
    order, todo = [name], [name]
    while todo:
        for upstream in graph.nodes[todo.pop(0)].upstream:
            if upstream not in order:
                order.append(upstream)
                todo.append(upstream)
    return order
