"""The demo's loop report: one self-contained HTML page (timeline and ROC AUC by month)."""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path

from driftloop._workspace import Workspace

_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def write_loop_report(ws: Workspace, endpoint: str, aucs: dict[str, dict[int, float]]) -> Path:
    rows = "".join(
        f"<tr><td>{d.at:%Y-%m-%d %H:%M:%S}</td><td><b>{html.escape(d.kind)}</b></td>"
        f"<td>{html.escape(d.summary)}</td><td>{html.escape(d.actor)}</td></tr>"
        for d in ws.loop.history(endpoint)
    )
    page = ws.root / "loop-report.html"
    page.write_text(
        f"""<!doctype html><html><head><meta charset="utf-8">
<title>driftloop - loop of {html.escape(endpoint)}</title>
<style>body{{font-family:sans-serif;max-width:1000px;margin:2em auto}}
td{{padding:.2em .6em;border-bottom:1px solid #ddd;vertical-align:top}}</style></head><body>
<h1>The closed loop of {html.escape(endpoint)}</h1>
<h2>ROC AUC of each model version on the months after its training data</h2>
<img alt="ROC AUC by month" src="data:image/png;base64,{_auc_chart(aucs)}">{_unscored(aucs)}
<h2>Every decision, with who made it</h2>
<table><tr><th>time</th><th>decision</th><th>what and why</th><th>by</th></tr>{rows}</table>
</body></html>""",
        encoding="utf-8",
    )
    return page


def _unscored(aucs: dict[str, dict[int, float]]) -> str:
    names = [html.escape(label) for label, by_month in aucs.items() if not by_month]
    if not names:
        return ""
    return (
        f"<p>Not shown: {', '.join(names)}. Each was trained on flights of every month "
        "above, so no later month is left to score it on.</p>"
    )


def _auc_chart(aucs: dict[str, dict[int, float]]) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(8, 3.5))
    for label, by_month in aucs.items():
        if not by_month:
            continue
        months = sorted(by_month)
        axes.plot(
            [_MONTHS[m - 1] for m in months], [by_month[m] for m in months], "o-", label=label
        )
    axes.set_ylabel("ROC AUC")
    axes.grid(alpha=0.3)
    axes.legend()
    buffer = io.BytesIO()
    figure.tight_layout()
    figure.savefig(buffer, format="png", dpi=90)
    plt.close(figure)
    return base64.b64encode(buffer.getvalue()).decode("ascii")
