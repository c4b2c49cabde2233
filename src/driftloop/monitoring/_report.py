"""The monitoring report of an endpoint: JSON for scripts, one self-contained HTML page.

The page reads top-down at a glance: a headline per monitor (drifted features,
accuracy beside its estimate, latency, firing alerts), then drift per feature over
time, the reference and current distributions of the drifted features, accuracy and
estimated accuracy over time, latency, and the alert history. Plots are inline SVG
(matplotlib), so the file needs nothing else to open.
"""

from __future__ import annotations

import html
import io
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from driftloop.monitoring._thresholds import explain_drift
from driftloop.store import utcnow

if TYPE_CHECKING:
    from driftloop.monitoring._service import MonitoringService

_HEADLINE = ("drift.share", "accuracy", "estimated.accuracy", "latency_p95", "error_rate")


def build_report(service: MonitoringService, endpoint: str) -> dict[str, Any]:
    """Every monitor of ``endpoint``: windows with their metrics, the latest details, alerts."""
    monitors = service.list_monitors(endpoint)
    if not monitors:
        from driftloop.errors import NotFoundError

        raise NotFoundError(
            f"no monitor watches endpoint {endpoint!r}; create one with "
            f"`driftloop monitors create {endpoint}`"
        )
    out: dict[str, Any] = {
        "endpoint": endpoint,
        "generated_at": utcnow().isoformat(),
        "monitors": [],
    }
    for monitor in monitors:
        windows = service.windows(monitor.name)
        latest = windows[-1] if windows else None
        out["monitors"].append(
            {
                "name": monitor.name,
                "spec": monitor.spec.to_dict(),
                "windows": [
                    {
                        "start": w.start.isoformat(),
                        "end": w.end.isoformat(),
                        "model_version": w.model_version,
                        "route": w.route,
                        "rows": w.rows,
                        "labeled_rows": w.labeled_rows,
                        "metrics": w.metrics,
                    }
                    for w in windows
                ],
                "latest": None
                if latest is None
                else {
                    "start": latest.start.isoformat(),
                    "model_version": latest.model_version,
                    "route": latest.route,
                    **latest.summary,
                },
                "alerts": [
                    {
                        "id": a.id,
                        "rule": a.rule,
                        "state": a.state,
                        "severity": a.severity,
                        "metric": a.metric,
                        "value": a.value,
                        "threshold": a.threshold,
                        "model_version": a.model_version,
                        "route": a.route,
                        "fired_at": a.fired_at.isoformat(),
                        "resolved_at": a.resolved_at.isoformat() if a.resolved_at else None,
                    }
                    for a in service.alerts(monitor=monitor.name)
                ],
            }
        )
    return out


def render_html(report: dict[str, Any]) -> str:
    """The report as one HTML page with inline SVG plots."""
    parts = [
        f"<h1>Monitoring: {html.escape(report['endpoint'])}</h1>",
        f"<p class=muted>generated {html.escape(report['generated_at'])}</p>",
    ]
    for monitor in report["monitors"]:
        parts.append(_monitor_section(monitor))
    return _PAGE.format(body="\n".join(parts), title=html.escape(report["endpoint"]))


def _monitor_section(monitor: dict[str, Any]) -> str:
    windows, latest = monitor["windows"], monitor["latest"] or {}
    name = html.escape(monitor["name"])
    parts = [f"<h2>Monitor {name}</h2>", _headline(windows, latest, monitor["alerts"])]
    if not windows:
        return "\n".join([*parts, "<p>No window computed yet: run `driftloop monitors run`.</p>"])
    parts.append("<h3>Drift per feature over time (statistic / threshold)</h3>")
    parts.append(_drift_lines(windows, latest))
    alpha = float(monitor.get("spec", {}).get("thresholds", {}).get("alpha", 0.05))
    parts.append(_drift_table(latest.get("drift", []), alpha))
    parts.append("<h3>Reference vs current, latest window</h3>")
    parts.append(_distributions(latest.get("distributions", {}), latest.get("drift", [])))
    parts.append("<h3>Accuracy: realized (once labels arrive) and estimated (CBPE)</h3>")
    parts.append(
        _lines(
            windows,
            ["accuracy", "estimated.accuracy"],
            ["accuracy", "estimated accuracy"],
            "accuracy",
        )
    )
    parts.append("<h3>Latency (ms)</h3>")
    parts.append(
        _lines(windows, ["latency_p50", "latency_p95", "latency_p99"], ["p50", "p95", "p99"], "ms")
    )
    if latest.get("fairness"):
        parts.append(_fairness(latest["fairness"]))
    parts.append(_alerts(monitor["alerts"]))
    return "\n".join(parts)


def drift_ratios(windows: list[dict[str, Any]], latest: dict[str, Any]) -> list[dict[str, Any]]:
    """The windows with each feature's drift statistic divided by its threshold.

    Features are judged by different statistics (PSI for one, KS or Jensen-Shannon for
    another) on different scales; over its own threshold each reads alike, and a feature
    drifts above 1.0. Thresholds are the latest window's; a feature it lacks is left out.
    """
    thresholds = {
        d["column"]: float(d["threshold"]) for d in latest.get("drift") or [] if d["threshold"]
    }
    return [
        {
            **w,
            "metrics": {
                f"drift.{name}": w["metrics"][f"drift.{name}"] / threshold
                for name, threshold in thresholds.items()
                if f"drift.{name}" in w["metrics"]
            },
        }
        for w in windows
    ]


def _drift_lines(windows: list[dict[str, Any]], latest: dict[str, Any]) -> str:
    scaled = drift_ratios(windows, latest)
    features = sorted({k.removeprefix("drift.") for w in scaled for k in w["metrics"]})
    keys = [f"drift.{f}" for f in features]
    return _lines(scaled, keys, features, "statistic / threshold", threshold=1.0, log_above=1.0)


def _headline(windows: list[dict[str, Any]], latest: dict[str, Any], alerts: list[Any]) -> str:
    if not windows:
        return ""
    last = windows[-1]
    cells = [
        ("window", f"{last['start'][:16]} (v{last['model_version']} {last['route']})"),
        ("drifted features", _drifted_text(latest.get("drift", []))),
    ]
    for key in _HEADLINE[1:]:
        value = last["metrics"].get(key)
        cells.append((key, "-" if value is None else f"{value:.3g}"))
    firing = [a["rule"] for a in alerts if a["state"] == "firing"]
    cells.append(("firing alerts", ", ".join(firing) or "none"))
    row = "".join(
        f"<div class=cell><b>{html.escape(k)}</b><br>{html.escape(v)}</div>" for k, v in cells
    )
    return f"<div class=headline>{row}</div>"


def _drifted_text(drift: list[dict[str, Any]]) -> str:
    """The drifted features, and those above their threshold that are not, with why."""
    drifted = [d["column"] for d in drift if d["drifted"]]
    quiet = [d["column"] for d in drift if not d["drifted"] and d["statistic"] > d["threshold"]]
    text = ", ".join(drifted) or "none"
    if quiet:
        text += (
            f"; above the threshold but not flagged: {', '.join(quiet)} (their test is not "
            "significant with this window's rows; see the table below)"
        )
    return text


def _why(d: dict[str, Any], alpha: float) -> str:
    """The stored reason, or one rebuilt from the stored fields (windows before reasons)."""
    if d.get("reason"):
        return str(d["reason"])
    rows = d.get("rows")
    return explain_drift(
        d["kind"],
        d["method"],
        d["statistic"],
        d["threshold"],
        d["pvalue"],
        float(d.get("alpha", alpha)),
        d["drifted"],
        None if rows is None else (int(rows[0]), int(rows[1])),
    )


def _drift_table(drift: list[dict[str, Any]], alpha: float) -> str:
    """The latest window's drift per feature: statistic, threshold, test, and why."""
    if not drift:
        return ""
    rows = "".join(
        f"<tr class={'firing' if d['drifted'] else ''}><td>{html.escape(d['column'])}</td>"
        f"<td>{html.escape(d['method'])} {d['statistic']:.3g}</td><td>{d['threshold']:.3g}</td>"
        f"<td>{d['pvalue']:.2g}</td><td>{'yes' if d['drifted'] else 'no'}</td>"
        f"<td>{html.escape(_why(d, alpha))}</td></tr>"
        for d in drift
    )
    return (
        "<table><tr><th>feature</th><th>statistic</th><th>threshold</th><th>p-value</th>"
        f"<th>drifted</th><th>why</th></tr>{rows}</table>"
    )


def _figure(
    width: float = 8.0, height: float = 3.0, layout: Literal["constrained"] | None = None
) -> Any:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout=layout)


def _svg(figure: Any) -> str:
    buffer = io.StringIO()
    if figure.get_layout_engine() is None:
        figure.tight_layout()
    figure.savefig(buffer, format="svg")
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def _lines(*args: Any, **options: Any) -> str:
    """:func:`line_figure` as inline SVG, or a note when there is nothing to draw."""
    figure = line_figure(*args, **options)
    return "<p class=muted>no values yet</p>" if figure is None else _svg(figure)


# One per series (model version and route); typed as matplotlib's line styles.
_STYLES: tuple[Literal["-", "--", ":", "-."], ...] = ("-", "--", ":", "-.")


def line_figure(
    windows: list[dict[str, Any]],
    keys: list[str],
    labels: list[str],
    ylabel: str,
    threshold: float | None = None,
    log_above: float | None = None,
) -> Any:
    """Each key over the windows' starts, a colour per key and a line style per series
    (model version and route); the legend beside the plot names each once (inside, it
    hid the lines it names). ``log_above``: the y axis is logarithmic above that value,
    so one feature far out does not flatten the others. None when nothing is drawn."""
    from matplotlib.lines import Line2D

    # Constrained layout keeps a legend placed outside the axes within the figure.
    figure = _figure(layout="constrained")
    axes = figure.add_subplot()
    every_series = sorted({(w["model_version"], w["route"]) for w in windows})
    styles = {series: _STYLES[i % len(_STYLES)] for i, series in enumerate(every_series)}
    colours = _colours(len(keys))
    handles = []
    for key, label, colour in zip(keys, labels, colours, strict=True):
        drawn = False
        for series, style in styles.items():
            points = [
                w
                for w in windows
                if (w["model_version"], w["route"]) == series and key in w["metrics"]
            ]
            if points:
                xs = [datetime.fromisoformat(w["start"]) for w in points]
                ys = [w["metrics"][key] for w in points]
                axes.plot(xs, ys, color=colour, linestyle=style, marker="o", markersize=2)
                drawn = True
        if drawn:
            handles.append(Line2D([], [], color=colour, label=label))
    if not handles:
        return None
    if len(every_series) > 1:
        handles += [
            Line2D([], [], color="#555555", linestyle=style, label=f"v{version} {route}")
            for (version, route), style in styles.items()
        ]
    if threshold is not None:
        axes.axhline(threshold, color="red", linestyle="--", linewidth=1)
        handles.append(Line2D([], [], color="red", linestyle="--", label="threshold"))
    if log_above is not None:
        from matplotlib.ticker import FuncFormatter

        axes.set_yscale("symlog", linthresh=log_above)
        axes.set_ylim(bottom=0)
        axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    axes.set_ylabel(ylabel)
    columns = 1 if len(handles) <= 14 else 2
    figure.legend(handles=handles, loc="outside right upper", fontsize=7, ncols=columns)
    figure.autofmt_xdate()
    return figure


def _colours(count: int) -> list[Any]:
    import matplotlib

    palette = matplotlib.colormaps["tab10" if count <= 10 else "tab20"]
    return [palette(i % palette.N) for i in range(count)]


def _distributions(distributions: dict[str, Any], drift: list[dict[str, Any]]) -> str:
    if not distributions:
        return "<p class=muted>no distributions stored</p>"
    stats = {d["column"]: d for d in drift}
    figure = _figure(8.0, 2.6 * len(distributions))
    for i, (name, dist) in enumerate(distributions.items(), start=1):
        axes = figure.add_subplot(len(distributions), 1, i)
        ref = [c / max(sum(dist["reference"]), 1) for c in dist["reference"]]
        cur = [c / max(sum(dist["current"]), 1) for c in dist["current"]]
        if dist["kind"] == "numeric":
            edges = dist["edges"]
            axes.stairs(ref, edges, label="reference", fill=True, alpha=0.4)
            axes.stairs(cur, edges, label="current", linewidth=1.5)
        else:
            xs = range(len(dist["categories"]))
            axes.bar([x - 0.2 for x in xs], ref, width=0.4, label="reference")
            axes.bar([x + 0.2 for x in xs], cur, width=0.4, label="current")
            axes.set_xticks(list(xs), dist["categories"], fontsize=7)
        info = stats.get(name, {})
        title = f"{name}: {info.get('method', '')} {info.get('statistic', 0):.3g}"
        if info.get("drifted"):
            title += " (drifted)"
        elif info.get("statistic", 0) > info.get("threshold", float("inf")):
            title += " (above threshold; test not significant: not flagged)"
        axes.set_title(title, fontsize=9)
        axes.legend(fontsize=7)
    return _svg(figure)


def _fairness(fairness: dict[str, Any]) -> str:
    rows = "".join(
        f"<tr><td>{html.escape(g)}</td><td>{int(s['rows'])}</td>"
        f"<td>{s['selection_rate']:.3f}</td><td>{_fmt(s.get('true_positive_rate'))}</td>"
        f"<td>{_fmt(s.get('accuracy'))}</td></tr>"
        for g, s in fairness["groups"].items()
    )
    return (
        f"<h3>Fairness by {html.escape(fairness.get('attribute', ''))}</h3>"
        f"<p>demographic parity difference "
        f"{_fmt(fairness.get('demographic_parity_difference'))}, equal opportunity "
        f"difference {_fmt(fairness.get('equal_opportunity_difference'))}</p>"
        "<table><tr><th>group</th><th>rows</th><th>selection rate</th>"
        f"<th>true positive rate</th><th>accuracy</th></tr>{rows}</table>"
    )


def _alerts(alerts: list[dict[str, Any]]) -> str:
    if not alerts:
        return "<h3>Alerts</h3><p class=muted>none</p>"
    rows = "".join(
        f"<tr class={a['state']}><td>{html.escape(a['rule'])}</td><td>{a['state']}</td>"
        f"<td>{a['severity']}</td><td>{html.escape(a['metric'])} = {a['value']:.3g} "
        f"(threshold {a['threshold']:.3g})</td><td>v{a['model_version']} {a['route']}</td>"
        f"<td>{a['fired_at'][:16]}</td><td>{(a['resolved_at'] or '')[:16]}</td></tr>"
        for a in alerts
    )
    return (
        "<h3>Alerts</h3><table><tr><th>rule</th><th>state</th><th>severity</th>"
        "<th>value</th><th>series</th><th>fired</th><th>resolved</th></tr>"
        f"{rows}</table>"
    )


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>driftloop monitoring: {title}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em auto; max-width: 960px; color: #222; }}
.muted {{ color: #777; }}
.headline {{ display: flex; flex-wrap: wrap; gap: .5em; }}
.cell {{ border: 1px solid #ddd; border-radius: 6px; padding: .4em .8em; }}
table {{ border-collapse: collapse; }} td, th {{ border: 1px solid #ddd; padding: .2em .6em; }}
tr.firing td {{ background: #fde2e2; }}
svg {{ max-width: 100%; height: auto; }}
</style></head><body>
{body}
</body></html>
"""


def render_drift_html(report: Any) -> str:
    """A ``dl.compute_drift`` report as one page: the deciding statistic of every column
    against its threshold (a bar chart), then every statistic per column."""
    columns = sorted(report.columns, key=lambda c: -c.statistic / max(c.threshold, 1e-12))
    figure = _figure(8.0, 0.3 * len(columns) + 1.0)
    axes = figure.add_subplot()
    names = [c.column for c in columns][::-1]
    ratios = [c.statistic / max(c.threshold, 1e-12) for c in columns][::-1]
    colors = [_bar_color(c) for c in columns][::-1]
    axes.barh(names, ratios, color=colors)
    axes.axvline(1.0, color="red", linestyle="--", linewidth=1)
    axes.set_xlabel("statistic / threshold (red: drifted; orange: above, test not significant)")
    rows = "".join(
        f"<tr class={'firing' if c.drifted else ''}><td>{html.escape(c.column)}</td>"
        f"<td>{c.kind}</td><td>{c.method} {c.statistic:.4g} (threshold {c.threshold:.3g})</td>"
        f"<td>{c.pvalue:.3g}</td><td>{'yes' if c.drifted else 'no'}</td>"
        f"<td>{html.escape(c.reason)}</td>"
        f"<td>{html.escape(', '.join(f'{k} {v:.4g}' for k, v in c.stats.items()))}</td>"
        f"<td>{c.missing_reference:.3f} / {c.missing_current:.3f}</td></tr>"
        for c in columns
    )
    quiet = [c.column for c in columns if not c.drifted and c.statistic > c.threshold]
    note = (
        f"<p>Above the threshold but not flagged: {html.escape(', '.join(quiet))}; their "
        "test is not significant with these rows (see why).</p>"
        if quiet
        else ""
    )
    body = (
        f"<h1>Drift: {len(report.drifted)} of {len(report.columns)} columns drifted</h1>"
        f"<p class=muted>{report.reference_rows:,} reference rows, {report.current_rows:,} "
        f"current rows</p>{note}{_svg(figure)}<table><tr><th>column</th><th>kind</th>"
        "<th>deciding statistic</th><th>p-value</th><th>drifted</th><th>why</th>"
        f"<th>all statistics</th><th>missing ref / cur</th></tr>{rows}</table>"
    )
    return _PAGE.format(body=body, title="drift")


def _bar_color(column: Any) -> str:
    if column.drifted:
        return "#d62728"
    return "#ff7f0e" if column.statistic > column.threshold else "#1f77b4"
