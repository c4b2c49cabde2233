"""Model cards in Markdown, generated from lineage, signature, metrics and requirements."""

from __future__ import annotations

from typing import Any

from driftloop.registry._manifest import ModelManifest
from driftloop.registry._models import Lineage, ModelVersion
from driftloop.registry._signature import ModelSignature


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value).replace("|", "\\|") if value is not None else ""


def _signature_lines(signature: ModelSignature | None) -> list[str]:
    if signature is None:
        return ["No signature: the model was logged without an input example."]
    lines: list[str] = []
    if signature.input_tensor is not None:
        lines.append(
            f"Input: tensor of {signature.input_tensor.type}, "
            f"shape {list(signature.input_tensor.shape)}"
        )
    else:
        lines += ["| column | type | nullable | range or categories |", "|---|---|---|---|"]
        for c in signature.inputs:
            if c.categories is not None:
                seen = ", ".join(c.categories[:12]) + (" ..." if len(c.categories) > 12 else "")
            elif c.minimum is not None:
                seen = f"{_cell(c.minimum)} to {_cell(c.maximum)}"
            else:
                seen = ""
            lines.append(
                f"| {c.name} | {c.type} | {'yes' if c.nullable else 'no'} | {_cell(seen)} |"
            )
    if signature.output is not None:
        lines += ["", f"Output: {signature.output.type}, shape {list(signature.output.shape)}"]
    return lines


def render_card(
    version: ModelVersion, lineage: Lineage, manifest: ModelManifest, description: str = ""
) -> str:
    """The Markdown card of one version."""
    lines = [f"# {version.name} version {version.version}", ""]
    if description or version.description:
        lines += [version.description or description, ""]
    lines += [
        f"- **Status:** {version.status.value}",
        f"- **Aliases:** {', '.join(version.aliases) or 'none'}",
        f"- **Flavor:** {version.flavor}",
        f"- **Registered by:** {version.created_by} on {version.created_at:%Y-%m-%d %H:%M} UTC",
        f'- **Load with:** `dl.load_model("{version.uri}")`',
        f"- **Model digest:** `{version.model_digest}` (files are verified against it on load)",
        "",
        "## Lineage",
        "",
    ]
    runs = lineage.of_kind("run")
    if runs:
        run = runs[0].attributes
        lines.append(
            f"- **Run:** {run['name']} (`{run['run_id']}`) in experiment {run['experiment']}, "
            f"by {run['user']}"
        )
    code = lineage.of_kind("code")
    lines.append(
        f"- **Code:** commit `{code[0].attributes['commit']}`"
        + (" (uncommitted changes)" if code[0].attributes.get("dirty") else "")
        if code
        else "- **Code:** not in git"
    )
    datasets = lineage.of_kind("dataset")
    lines.append(
        "- **Data:** "
        + (
            ", ".join(_input_text(d.attributes) for d in datasets)
            if datasets
            else "no dataset versions recorded"
        )
    )
    views = lineage.of_kind("feature_view")
    if views:
        lines.append("- **Feature views:** " + ", ".join(_input_text(v.attributes) for v in views))
    for kind, title in (("params", "Parameters"), ("metrics", "Metrics")):
        found = lineage.of_kind(kind)
        if found:
            lines += ["", f"## {title}", "", "| name | value |", "|---|---|"]
            lines += [f"| {k} | {_cell(v)} |" for k, v in sorted(found[0].attributes.items())]
    lines += ["", "## Signature", "", *_signature_lines(version.signature)]
    onnx = manifest.onnx
    if onnx:
        lines += ["", "## ONNX", ""]
        if onnx.file:
            lines.append(
                f"Stored; predictions match the native model within rtol={onnx.rtol}, "
                f"atol={onnx.atol} (largest difference {_cell(onnx.max_abs_diff)})."
            )
        else:
            lines.append(f"Not stored: {onnx.reason}")
    lines += ["", "## Requirements", "", "| package | version |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in sorted(version.requirements.items())]
    return "\n".join(lines) + "\n"


def _input_text(attributes: dict[str, Any]) -> str:
    role = attributes.get("role")
    return f"`{attributes['ref']}`" + (f" ({role})" if role else "")
