"""`driftloop monitors`: create monitors and alert rules, run due windows, status, report;
list, delete and restore monitors (`delete`, `restore`) and alert rules (`delete-alert`,
`restore-alert`).

`driftloop monitor` is the hidden earlier spelling.
"""

from __future__ import annotations

from contextlib import nullcontext
from datetime import datetime
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape

from driftloop.cli._lifecycle import (
    DeletedOption,
    deleted_columns,
    deleted_headers,
    each,
    emit_events,
)
from driftloop.cli._output import (
    JsonOption,
    console,
    emit,
    hidden_output_option,
    output_file,
    output_option,
    table,
)
from driftloop.errors import InvalidInputError

app = typer.Typer(
    help="Monitors of endpoints: drift, accuracy, latency, fairness, alerts.",
    no_args_is_help=True,
)


@app.command("create")
def create(
    endpoint: str = typer.Argument(..., help="The endpoint to watch."),
    name: str | None = typer.Option(None, "--name", help="Monitor name (default: endpoint)."),
    reference: str | None = typer.Option(
        None, "--reference", help="Dataset version (default: the served model's training set)."
    ),
    window: str | None = typer.Option("1d", "--window", help="Time window: 1h, 1d, 7d..."),
    rows: int | None = typer.Option(None, "--rows", help="Count windows of N rows instead."),
    target: str | None = typer.Option(None, "--target", help="Label column of the reference."),
    group_by: str | None = typer.Option(None, "--group-by", help="Fairness attribute."),
    as_json: bool = JsonOption,
) -> None:
    """Create (or replace) a monitor of ENDPOINT."""
    from driftloop._workspace import get_workspace
    from driftloop.monitoring import MonitorSpec

    spec = MonitorSpec(
        endpoint,
        reference=reference,
        window=None if rows else window,
        window_rows=rows,
        target=target,
        group_by=group_by,
    )
    monitor = get_workspace(create=False).monitoring.define(name or endpoint, spec)
    emit(
        {"name": monitor.name, **spec.to_dict()},
        as_json,
        lambda: console.print(f"monitor {escape(monitor.name)} watches {escape(endpoint)}"),
    )


@app.command("alert")
def alert(
    name: str = typer.Argument(..., help="Rule name (pipeline triggers listen to it)."),
    monitor: str = typer.Option(..., "--monitor", help="The monitor whose series it reads."),
    metric: str = typer.Option(..., "--metric", help="drift.share, accuracy, latency_p95..."),
    above: float | None = typer.Option(None, "--above", help="Fire when the value is above."),
    below: float | None = typer.Option(None, "--below", help="Fire when the value is below."),
    for_windows: int = typer.Option(1, "--for", help="Windows in a row before firing."),
    severity: str = typer.Option("warning", "--severity", help="info, warning or critical."),
    webhook: str | None = typer.Option(None, "--webhook", help="URL to POST alerts to."),
    as_json: bool = JsonOption,
) -> None:
    """Create (or replace) an alert rule over a monitor's series."""
    from driftloop._workspace import get_workspace
    from driftloop.monitoring import AlertRule

    if (above is None) == (below is None):
        raise InvalidInputError("give exactly one of --above or --below")
    threshold = above if above is not None else below
    assert threshold is not None
    rule = AlertRule(
        name,
        monitor,
        metric,
        threshold,
        above=above is not None,
        for_windows=for_windows,
        severity=severity,
        webhook=webhook,
    )
    get_workspace(create=False).monitoring.define_alert(rule)
    emit(
        {"name": name, "monitor": monitor, "metric": metric, "threshold": threshold},
        as_json,
        lambda: console.print(f"alert rule {escape(name)} on {escape(monitor)}: {metric}"),
    )


@app.command("run")
def run(
    now: str | None = typer.Option(None, "--now", help="Compute as of this ISO time (UTC)."),
    as_json: bool = JsonOption,
) -> None:
    """Compute every due window of every monitor once (then evaluate alert rules)."""
    from driftloop._workspace import get_workspace
    from driftloop.store import utcnow

    moment = _parse_time(now) if now else utcnow()
    busy = nullcontext() if as_json else console.status("computing the due windows of monitors")
    with busy:
        windows = get_workspace(create=False).monitoring.run_due(moment)
    rows = [
        {
            "monitor": w.monitor,
            "start": w.start,
            "model_version": w.model_version,
            "route": w.route,
            "rows": w.rows,
            "drift_share": w.metrics.get("drift.share"),
            "accuracy": w.metrics.get("accuracy"),
            "estimated_accuracy": w.metrics.get("estimated.accuracy"),
        }
        for w in windows
    ]
    emit(rows, as_json, lambda: _print_windows(rows))


@app.command("status")
def status(as_json: bool = JsonOption) -> None:
    """Each monitor's latest window and its firing alerts."""
    from driftloop._workspace import get_workspace

    found = get_workspace(create=False).monitoring.status()
    emit(found, as_json, lambda: _print_status(found))


@app.command("report")
def report(
    endpoint: str = typer.Argument(..., help="The endpoint whose monitors to report."),
    output: Path | None = output_option("Write the report as a self-contained HTML page."),
    html: Path | None = hidden_output_option("--html"),
    as_json: bool = JsonOption,
) -> None:
    """The monitoring report of ENDPOINT, as an HTML page (-o report.html) or JSON (--json)."""
    from driftloop._workspace import get_workspace
    from driftloop.monitoring._report import render_html

    html_path = output_file(output, html, "--html")
    found = get_workspace(create=False).monitoring.report(endpoint)
    if html_path is not None:
        html_path.write_text(render_html(found), encoding="utf-8")
    emit(
        found,
        as_json,
        lambda: console.print(
            f"wrote {escape(str(html_path))}"
            if html_path
            else f"{len(found['monitors'])} monitor(s); give -o report.html or --json"
        ),
    )


def _parse_time(text: str) -> datetime:
    from datetime import UTC

    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInputError(
            f"--now {text!r} is not an ISO time like 2026-06-01T00:00"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _print_windows(rows: list[dict[str, Any]]) -> None:
    if not rows:
        console.print("no window was due")
        return
    table(
        "windows computed",
        ["monitor", "start", "ver", "route", "rows", "drift", "acc", "est"],
        [
            [
                r["monitor"],
                r["start"],
                r["model_version"],
                r["route"],
                r["rows"],
                r["drift_share"],
                r["accuracy"],
                r["estimated_accuracy"],
            ]
            for r in rows
        ],
    )


def _print_status(found: list[dict[str, Any]]) -> None:
    if not found:
        console.print("no monitors; create one with `driftloop monitors create ENDPOINT`")
        return
    rows = []
    for m in found:
        metrics = m["metrics"]
        rows.append(
            [
                m["monitor"],
                m["endpoint"],
                datetime.fromisoformat(m["last_window"]) if m["last_window"] else None,
                metrics.get("drift.share"),
                metrics.get("accuracy"),
                metrics.get("latency_p95"),
                ", ".join(m["firing"]) or "-",
            ]
        )
    table(
        "monitors", ["monitor", "endpoint", "last window", "drift", "acc", "p95 ms", "firing"], rows
    )


def _monitoring() -> Any:
    from driftloop._workspace import get_workspace

    return get_workspace(create=False).monitoring


@app.command("list")
def list_monitors(deleted: bool = DeletedOption, as_json: bool = JsonOption) -> None:
    """Monitors and their alert rules (--deleted: the deleted ones, with who and when)."""
    view = "deleted_only" if deleted else "active_only"
    service = _monitoring()
    monitors, rules = service.list_monitors(view_type=view), service.alert_rules(view_type=view)
    found = [
        {
            "kind": "monitor",
            "name": m.name,
            "of": m.spec.endpoint,
            "deleted_by": m.deleted_by,
            "deleted_at": m.deleted_at,
        }
        for m in monitors
    ] + [
        {
            "kind": "alert_rule",
            "name": r.name,
            "of": r.monitor,
            "deleted_by": r.deleted_by,
            "deleted_at": r.deleted_at,
        }
        for r in rules
    ]

    def render() -> None:
        rows = [(f["kind"], f["name"], f["of"], *deleted_columns(f, deleted)) for f in found]
        table(None, ["kind", "name", "of", *deleted_headers(deleted)], rows)

    emit(found, as_json, render)


@app.command("delete")
def delete(
    names: list[str] = typer.Argument(..., help="Monitor names."), as_json: bool = JsonOption
) -> None:
    """Delete monitors with their alert rules (firing alerts resolve); restorable until
    `driftloop gc`. Refused while a trigger or loop policy listens to one of the rules."""
    emit_events(each(names, _monitoring().delete), as_json, "monitors")


@app.command("restore")
def restore(
    names: list[str] = typer.Argument(..., help="Deleted monitor names."),
    as_json: bool = JsonOption,
) -> None:
    """Restore deleted monitors with the alert rules deleted with them."""
    emit_events(each(names, _monitoring().restore), as_json, "monitors")


@app.command("delete-alert")
def delete_alert(
    rules: list[str] = typer.Argument(..., help="Alert rule names."), as_json: bool = JsonOption
) -> None:
    """Delete alert rules (their firing alerts resolve); refused while a trigger listens."""
    emit_events(each(rules, _monitoring().delete_alert), as_json, "monitors {undo}-alert")


@app.command("restore-alert")
def restore_alert(
    rules: list[str] = typer.Argument(..., help="Deleted alert rule names."),
    as_json: bool = JsonOption,
) -> None:
    """Restore deleted alert rules."""
    emit_events(each(rules, _monitoring().restore_alert), as_json, "monitors {undo}-alert")
