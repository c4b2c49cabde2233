"""A profile as a self-contained HTML page: tables and inline PNG plots, no external files.

The page opens with what a person should look at (constant and all-null columns, high
null fractions, ID-like cardinality, strong skew) and a one-line-per-column overview;
the per-column details with their plots follow. A constant column gets its value and
count instead of a plot (a one-bar chart says nothing).
"""

from __future__ import annotations

import base64
import html
import io
import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

HIGH_NULL_FRACTION = 0.2
HIGH_CARDINALITY_FRACTION = 0.5
HIGH_CARDINALITY_MIN = 50
STRONG_SKEW = 0.5  # quantile skewness (q95 + q05 - 2 q50) / (q95 - q05): 0.56 for exponential

_STYLE = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:1100px}
table{border-collapse:collapse;margin:.5em 0}
td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}
th{background:#f3f3f3}td.l,th.l{text-align:left}td{white-space:nowrap}
.col{border-top:2px solid #888;margin-top:1.5em;padding-top:.5em}
.row{display:flex;gap:2em;align-items:flex-start;flex-wrap:wrap}
.warn{background:#fff4e5}.alert{background:#fde8e8}.ok{color:#2a7a2a}
.single{font-size:1.1em;padding:1em;border:1px dashed #aaa;background:#fafafa}
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


@dataclass(frozen=True, slots=True)
class Finding:
    """Something in a profile worth a look: the column, a short label and the detail."""

    column: str
    label: str
    detail: str
    severity: str  # "alert" (likely a problem) or "warn" (worth a look)


def findings(profile: Mapping[str, Any]) -> list[Finding]:
    """What a person should look at first, alerts before warnings, in column order."""
    found = [f for name, stats in profile.get("columns", {}).items() for f in _check(name, stats)]
    return sorted(found, key=lambda f: f.severity != "alert")


def _check(name: str, stats: dict[str, Any]) -> list[Finding]:
    count, nulls = int(stats.get("count") or 0), int(stats.get("nulls") or 0)
    if count == 0:
        return [Finding(name, "all null", f"all {nulls:,} values are null", "alert")]
    out = []
    if _is_constant(stats):
        value = _fmt_plain(_single_value(stats))
        out.append(Finding(name, "constant", f"one value ({value}) in {count:,} rows", "alert"))
    fraction = float(stats.get("null_fraction") or 0.0)
    if fraction >= HIGH_NULL_FRACTION:
        out.append(Finding(name, "many nulls", f"{fraction:.1%} null ({nulls:,} rows)", "warn"))
    distinct = int(stats.get("distinct") or 0)
    if (
        stats.get("kind") == "categorical"
        and distinct >= HIGH_CARDINALITY_MIN
        and distinct >= HIGH_CARDINALITY_FRACTION * count
    ):
        out.append(
            Finding(
                name,
                "high cardinality",
                f"~{distinct:,} distinct values in {count:,} rows (an ID? a poor category)",
                "warn",
            )
        )
    skew = quantile_skew(stats)
    if skew is not None and abs(skew) >= STRONG_SKEW:
        side = "right (long high tail)" if skew > 0 else "left (long low tail)"
        out.append(Finding(name, "strong skew", f"skewed {side}: {skew:+.2f}", "warn"))
    return out


def _is_constant(stats: dict[str, Any]) -> bool:
    if int(stats.get("count") or 0) == 0:
        return False
    if stats.get("min") is not None and stats.get("min") == stats.get("max"):
        return True
    return int(stats.get("distinct") or 0) == 1 and len(stats.get("top") or []) <= 1


def _single_value(stats: dict[str, Any]) -> Any:
    top = stats.get("top") or []
    return top[0][0] if top else stats.get("min")


def quantile_skew(stats: dict[str, Any]) -> float | None:
    """Robust skewness from the 5%, 50% and 95% quantiles; None if not numeric or flat."""
    quantiles = stats.get("quantiles") or {}
    low, mid, high = (quantiles.get(q) for q in ("0.05", "0.5", "0.95"))
    if not all(isinstance(v, int | float) for v in (low, mid, high)):
        return None
    assert isinstance(low, int | float) and isinstance(mid, int | float)
    assert isinstance(high, int | float)
    if high - low <= 0:
        return None
    return float((high + low - 2 * mid) / (high - low))


def _fmt(value: Any) -> str:
    return html.escape(_fmt_plain(value))


def _fmt_plain(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return "" if value is None else str(value)


def _plot(stats: dict[str, Any]) -> str:
    """A histogram (numeric) or a bar chart of frequent values, as an inline PNG."""
    if int(stats.get("count") or 0) == 0:
        return "<div class='single'>no values: every row is null</div>"
    if _is_constant(stats):
        return (
            f"<div class='single'>a single value <b>{_fmt(_single_value(stats))}</b> in "
            f"{int(stats['count']):,} rows</div>"
        )
    if "histogram" not in stats and not stats.get("top"):
        return ""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    figure = Figure(figsize=(4.5, 2.6), dpi=90)
    axes = figure.subplots()
    if "histogram" in stats:
        edges, counts = stats["histogram"]["edges"], stats["histogram"]["counts"]
        widths = [b - a for a, b in itertools.pairwise(edges)]
        axes.bar(edges[:-1], counts, width=widths, align="edge", color="#4c72b0", edgecolor="white")
        axes.set_ylabel("rows")
    else:
        labels = [str(v)[:18] for v, _ in stats["top"]][::-1]
        axes.barh(labels, [n for _, n in stats["top"]][::-1], color="#dd8452")
        axes.set_xlabel("rows")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img alt="distribution" src="data:image/png;base64,{data}">'


def _anchor(name: str) -> str:
    return "col-" + "".join(c if c.isalnum() else f"_{ord(c):x}" for c in name)


def _link(name: str) -> str:
    return f"<a href='#{_anchor(name)}'>{html.escape(name)}</a>"


def _attention(found: list[Finding]) -> str:
    if not found:
        return (
            "<p class='ok'>Nothing stands out: no constant, all-null, mostly-null, "
            "ID-like or strongly skewed columns.</p>"
        )
    rows = "".join(
        f"<tr class='{f.severity}'><td class='l'>{_link(f.column)}</td>"
        f"<td class='l'>{html.escape(f.label)}</td><td class='l'>{html.escape(f.detail)}</td></tr>"
        for f in found
    )
    return (
        "<table><tr><th class='l'>column</th><th class='l'>what</th><th class='l'>detail</th>"
        f"</tr>{rows}</table>"
    )


def _overview(columns: dict[str, dict[str, Any]], found: list[Finding]) -> str:
    labels: dict[str, list[str]] = {}
    for f in found:
        labels.setdefault(f.column, []).append(f.label)
    head = ["column", "type", "kind", "nulls", "distinct", "min", "max", "mean", "flags"]
    rows = "".join(
        f"<tr><td class='l'>{_link(name)}</td><td class='l'>{_fmt(s.get('type'))}</td>"
        f"<td class='l'>{_fmt(s.get('kind'))}</td>"
        f"<td>{float(s.get('null_fraction') or 0.0):.1%}</td><td>{_fmt(s.get('distinct'))}</td>"
        f"<td>{_fmt(s.get('min'))}</td><td>{_fmt(s.get('max'))}</td><td>{_fmt(s.get('mean'))}</td>"
        f"<td class='l'>{html.escape(', '.join(labels.get(name, [])))}</td></tr>"
        for name, s in columns.items()
    )
    header = "".join(f"<th class='l'>{h}</th>" for h in head)
    return f"<table><tr>{header}</tr>{rows}</table>"


def _details(name: str, stats: dict[str, Any]) -> str:
    rows = "".join(
        f"<tr><th>{f}</th><td>{_fmt(stats.get(f))}</td></tr>" for f in _FIELDS if f in stats
    )
    quantiles = "".join(
        f"<tr><th>q{q}</th><td>{_fmt(v)}</td></tr>" for q, v in stats.get("quantiles", {}).items()
    )
    return (
        f"<div class='col' id='{_anchor(name)}'><h3>{html.escape(name)}</h3><div class='row'>"
        f"<table>{rows}{quantiles}</table>{_plot(stats)}</div></div>"
    )


def render_profile_html(ref: str, profile: Mapping[str, Any]) -> str:
    """The whole report for dataset version ``ref`` as one HTML string."""
    columns: dict[str, dict[str, Any]] = profile.get("columns", {})
    found = findings(profile)
    head = "".join(
        f"<tr><th>{k}</th><td>{_fmt(profile.get(k))}</td></tr>"
        for k in ("num_rows", "num_columns", "num_bytes", "null_cells", "null_fraction")
    )
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>Profile of {html.escape(ref)}</title>",
        f"<style>{_STYLE}</style></head><body><h1>Profile of {html.escape(ref)}</h1>",
        f"<table>{head}</table>",
        f"<h2>Look at these first ({len(found)})</h2>{_attention(found)}",
        f"<h2>Overview</h2>{_overview(columns, found)}",
        "<h2>Columns</h2>",
        *(_details(name, stats) for name, stats in columns.items()),
        "</body></html>",
    ]
    return "".join(parts)
