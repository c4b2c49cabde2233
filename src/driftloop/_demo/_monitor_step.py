"""Demo step: monitor the served champion: the summer's drift, and accuracy once labels came.

The monitor compares each window of the summer's traffic with the model's training
set (January to April, found through the registry's lineage): the weather and the
month moved, so their distributions drift. The labels fed back show the realized
accuracy beside the estimate the monitor made from the predicted probabilities alone,
and beside the accuracy on the training months. A self-contained HTML report is
written into the workspace.
"""

from __future__ import annotations

from typing import Any

from driftloop._demo._context import DemoContext
from driftloop._demo._serving_step import ENDPOINT
from driftloop._demo._training import FEATURES, LABEL

WINDOW_ROWS = 1_000


def monitor_the_summer(ctx: DemoContext) -> None:
    from driftloop.monitoring import AlertRule, MonitorSpec
    from driftloop.monitoring._report import render_html
    from driftloop.store import utcnow

    ws = ctx.workspace
    monitoring = ws.monitoring
    spec = MonitorSpec(
        ENDPOINT,
        window=None,
        window_rows=WINDOW_ROWS,
        target=LABEL,
        group_by="origin",
        features=tuple(FEATURES),
    )
    monitoring.define(ENDPOINT, spec)
    trained = _training_accuracy(ctx)
    monitoring.define_alert(
        AlertRule("summer-drift", ENDPOINT, "drift.share", 0.3, for_windows=2, severity="warning")
    )
    monitoring.define_alert(
        AlertRule(
            "accuracy-drop", ENDPOINT, "accuracy", trained - 0.05, above=False, severity="critical"
        )
    )
    windows = monitoring.run_due(utcnow())
    if not windows:
        ctx.say("No full window of traffic to monitor.")
        return
    latest = windows[-1]
    drifted = [d["column"] for d in latest.summary.get("drift", []) if d["drifted"]]
    realized = _mean(windows, "accuracy")
    estimated = _mean(windows, "estimated.accuracy")
    ctx.say(
        f"Monitored {sum(w.rows for w in windows):,} logged rows in {len(windows)} windows of "
        f"{WINDOW_ROWS:,} against the training set {latest.summary.get('reference')}: "
        f"{len(drifted)} of {len(latest.summary.get('drift', []))} features drifted in the "
        f"last window ({', '.join(drifted[:6])}{'...' if len(drifted) > 6 else ''})."
    )
    ctx.say(
        f"Accuracy on the summer's labelled rows {realized:.3f} (estimated {estimated:.3f} from "
        f"the probabilities before labels), against {trained:.3f} on the training months."
    )
    alerts = monitoring.alerts(firing_only=True)
    ctx.say("Firing alerts: " + (", ".join(f"{a.rule} ({a.severity})" for a in alerts) or "none"))
    page = ws.root / "monitoring-report.html"
    page.write_text(render_html(monitoring.report(ENDPOINT)), encoding="utf-8")
    ctx.say(
        f"Report: {page}  (also: driftloop monitors status, driftloop monitors report "
        f"{ENDPOINT} --json)"
    )
    ctx.summary["monitoring"] = {
        "windows": len(windows),
        "drifted_features": drifted,
        "accuracy": realized,
        "estimated_accuracy": estimated,
        "training_accuracy": trained,
        "firing_alerts": [a.rule for a in alerts],
        "report": str(page),
    }


def _mean(windows: list[Any], metric: str) -> float:
    values = [(w.metrics[metric], w.labeled_rows or w.rows) for w in windows if metric in w.metrics]
    total = sum(weight for _, weight in values)
    return sum(v * weight for v, weight in values) / total if total else float("nan")


def _training_accuracy(ctx: DemoContext) -> float:
    model = ctx.models[ctx.best_run_id] if ctx.best_run_id else None
    if model is None or ctx.train.empty:
        return float("nan")
    predictions = model.predict(ctx.train[FEATURES])
    return float((predictions == ctx.train[LABEL].to_numpy()).mean())
