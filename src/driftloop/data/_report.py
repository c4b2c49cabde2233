"""A profile as a self-contained HTML page: tables and inline PNG plots, no external files."""

from __future__ import annotations

import base64
import html
import io
import itertools
from collections.abc import Mapping
from typing import Any

_STYLE = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:1100px}
table{border-collapse:collapse;margin:.5em 0}
td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}
th{background:#f3f3f3}.col{border-top:2px solid #888;margin-top:1.5em;padding-top:.5em}
.row{display:flex;gap:2em;align-items:flex-start;flex-wrap:wrap}
"""
_FIELDS = (
    "type",
    "kind",
    "count",
    "nulls",
    "null_fraction",
    "distinct",
    "min",
    "max",
    "mean",
    "std",
)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return html.escape("" if value is None else str(value))


def _plot(stats: dict[str, Any]) -> str:
    """A histogram (numeric) or a bar chart of frequent values, as an inline PNG."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    figure = Figure(figsize=(4.5, 2.6), dpi=90)
    axes = figure.subplots()
    if "histogram" in stats:
        edges, counts = stats["histogram"]["edges"], stats["histogram"]["counts"]
        widths = [b - a for a, b in itertools.pairwise(edges)]
        axes.bar(edges[:-1], counts, width=widths, align="edge", color="#4c72b0", edgecolor="white")
    elif stats.get("top"):
        labels = [str(v)[:18] for v, _ in stats["top"]][::-1]
        axes.barh(labels, [n for _, n in stats["top"]][::-1], color="#dd8452")
    else:
        return ""
    axes.set_ylabel("rows" if "histogram" in stats else "")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img alt="distribution" src="data:image/png;base64,{data}">'


def render_profile_html(ref: str, profile: Mapping[str, Any]) -> str:
    """The whole report for dataset version ``ref`` as one HTML string."""
    head = "".join(
        f"<tr><th>{k}</th><td>{_fmt(profile.get(k))}</td></tr>"
        for k in ("num_rows", "num_columns", "num_bytes", "null_cells", "null_fraction")
    )
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>Profile of {html.escape(ref)}</title>",
        f"<style>{_STYLE}</style></head><body><h1>Profile of {html.escape(ref)}</h1>",
        f"<h2>Table</h2><table>{head}</table><h2>Columns</h2>",
    ]
    for name, stats in profile.get("columns", {}).items():
        rows = "".join(
            f"<tr><th>{f}</th><td>{_fmt(stats.get(f))}</td></tr>" for f in _FIELDS if f in stats
        )
        quantiles = "".join(
            f"<tr><th>q{q}</th><td>{_fmt(v)}</td></tr>"
            for q, v in stats.get("quantiles", {}).items()
        )
        parts.append(
            f"<div class='col'><h3>{html.escape(name)}</h3><div class='row'>"
            f"<table>{rows}{quantiles}</table>{_plot(stats)}</div></div>"
        )
    parts.append("</body></html>")
    return "".join(parts)
