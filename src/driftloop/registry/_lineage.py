"""The lineage graph of a model version: run, code, params, metrics, datasets, deployments."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from driftloop.errors import NotFoundError
from driftloop.registry._models import Lineage, LineageEdge, LineageNode, ModelVersion

if TYPE_CHECKING:
    from driftloop.registry._service import RegistryService
    from driftloop.tracking import Run


def _run_nodes(run: Run, nodes: list[LineageNode], edges: list[LineageEdge]) -> None:
    run_node = f"run:{run.id}"
    nodes.append(
        LineageNode(
            run_node,
            "run",
            f"run {run.name} ({run.id[:8]})",
            {
                "run_id": run.id,
                "name": run.name,
                "experiment": run.experiment,
                "status": run.status.value,
                "user": run.user,
                "start_time": run.start_time.isoformat(),
                "entry_point": run.entry_point,
            },
        )
    )
    if run.git_commit:
        code = f"code:{run.git_commit}"
        label = f"commit {run.git_commit[:12]}" + (" (dirty)" if run.git_dirty else "")
        nodes.append(
            LineageNode(code, "code", label, {"commit": run.git_commit, "dirty": run.git_dirty})
        )
        edges.append(LineageEdge(run_node, code, "ran_code"))
    if run.params:
        nodes.append(
            LineageNode(f"params:{run.id}", "params", f"{len(run.params)} params", dict(run.params))
        )
        edges.append(LineageEdge(run_node, f"params:{run.id}", "used_params"))
    if run.metrics:
        nodes.append(
            LineageNode(
                f"metrics:{run.id}", "metrics", f"{len(run.metrics)} metrics", dict(run.metrics)
            )
        )
        edges.append(LineageEdge(run_node, f"metrics:{run.id}", "scored"))
    # Every input the run recorded: dataset versions, feature view versions, and any
    # kind a later context adds; the kind names the node so tools can tell them apart.
    for item in run.inputs:
        node = f"{item.kind}:{item.ref}"
        label = f"{item.kind.replace('_', ' ')} {item.ref}"
        nodes.append(LineageNode(node, item.kind, label, {"ref": item.ref, "role": item.role}))
        edges.append(LineageEdge(run_node, node, "read"))


def build_lineage(service: RegistryService, uri: str) -> Lineage:
    """Walk back from the version at ``uri`` (or a run's model) and forward to what it feeds."""
    where, digest, version = service.locate(uri)
    root = f"model:{where}"
    attributes: dict[str, Any] = {"uri": where, "model_digest": digest}
    if version is not None:
        attributes |= {
            "name": version.name,
            "version": version.version,
            "status": version.status.value,
            "flavor": version.flavor,
            "aliases": list(version.aliases),
        }
    label = where
    if version is not None:
        aliases = f", @{', @'.join(version.aliases)}" if version.aliases else ""
        label = f"{where} ({version.flavor}, {version.status.value}{aliases})"
    nodes = [LineageNode(root, "model_version", label, attributes)]
    edges: list[LineageEdge] = []
    run_id = version.run_id if version else where.removeprefix("runs:/").split("/")[0]
    if run_id:
        try:
            run = service.tracking.get_run(run_id)
        except NotFoundError:
            run = None
        if run is not None:
            _run_nodes(run, nodes, edges)
            edges.insert(0, LineageEdge(root, f"run:{run.id}", "produced_by"))
    if version is not None:
        _downstream(service, version, root, nodes, edges)
    return Lineage(root, tuple(nodes), tuple(edges))


def _downstream(
    service: RegistryService,
    version: ModelVersion,
    root: str,
    nodes: list[LineageNode],
    edges: list[LineageEdge],
) -> None:
    for provider in service.downstream:
        for node, relation in provider(version):
            nodes.append(node)
            edges.append(LineageEdge(root, node.id, relation))


def lineage_tree(lineage: Lineage) -> list[str]:
    """The graph as indented text lines, root first (for the CLI)."""
    lines: list[str] = []

    def walk(node_id: str, depth: int, seen: set[str]) -> None:
        for edge, child in lineage.children(node_id):
            lines.append(f"{'    ' * depth}└── {edge.relation}: {child.label}")
            if child.kind == "params" or child.kind == "metrics":
                for key, value in sorted(child.attributes.items()):
                    lines.append(f"{'    ' * (depth + 1)}    {key} = {value}")
            if child.id not in seen:
                walk(child.id, depth + 1, seen | {child.id})

    lines.append(lineage.node(lineage.root).label)
    walk(lineage.root, 0, {lineage.root})
    return lines


def lineage_json(lineage: Lineage) -> dict[str, object]:
    return {
        "root": lineage.root,
        "nodes": [
            {"id": n.id, "kind": n.kind, "label": n.label, "attributes": n.attributes}
            for n in lineage.nodes
        ],
        "edges": [
            {"source": e.source, "target": e.target, "relation": e.relation} for e in lineage.edges
        ],
    }
