"""`driftloop scheduler` (the long-running process), `scheduler status`, `scheduler triggers
[disable | enable | delete | restore]`, and `driftloop pipelines trigger NAME` (a manual
firing)."""

from __future__ import annotations

import json
import logging
import signal
import threading
from typing import TYPE_CHECKING, Any

import typer
from rich.markup import escape

from driftloop.cli._lifecycle import (
    DeletedOption,
    deleted_columns,
    deleted_headers,
    each,
    emit_events,
)
from driftloop.cli._output import JsonOption, console, emit, err_console, table

if TYPE_CHECKING:
    from driftloop.pipelines._trigger_models import TriggerEvent

app = typer.Typer(
    help="The scheduler: fires cron, dataset, webhook and alert triggers exactly once.",
    invoke_without_command=True,
)


@app.callback()
def run(
    ctx: typer.Context,
    interval: float = typer.Option(5.0, "--interval", help="Seconds between ticks."),
    webhook_host: str = typer.Option("127.0.0.1", "--webhook-host", help="Address for webhooks."),
    webhook_port: int = typer.Option(8787, "--webhook-port", help="Port for webhooks (0: any)."),
    no_webhooks: bool = typer.Option(False, "--no-webhooks", help="Serve no webhook endpoint."),
    once: bool = typer.Option(False, "--once", help="Tick once and exit (e.g. from cron)."),
    as_json: bool = JsonOption,
) -> None:
    """Run the scheduler until SIGTERM or Ctrl-C; safe to run several at once.

    Applies the [[trigger]] tables of driftloop.toml first, then ticks every --interval
    seconds: fires due cron times and new dataset versions, runs monitors and loop
    policies, and serves webhook triggers on http://HOST:PORT/v1/triggers/NAME/fire.
    """
    if ctx.invoked_subcommand is not None:
        return
    from driftloop._workspace import get_workspace
    from driftloop.automation._config import apply_loop_file
    from driftloop.config import CONFIG_FILE
    from driftloop.pipelines._scheduler import Scheduler
    from driftloop.pipelines._trigger_config import apply_trigger_file

    _log_to_stderr()
    ws = get_workspace(create=False)
    scheduler = Scheduler(ws, interval_s=interval)
    apply_trigger_file(scheduler.triggers, ws.root / CONFIG_FILE)
    apply_loop_file(ws.loop, ws.root / CONFIG_FILE)
    if once:
        report = scheduler.tick()
        scheduler.heartbeat(report.now, stopped=True)  # done: not taken for a live one
        emit(report, as_json, lambda: _print_fired(report.fired))
        return
    _serve(scheduler, None if no_webhooks else (webhook_host, webhook_port), as_json)


def _log_to_stderr() -> None:
    # The scheduler's own lines only (what fired, jobs that failed), not every library's.
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logger = logging.getLogger("driftloop.scheduler")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)


def _serve(scheduler: Any, webhook: tuple[str, int] | None, as_json: bool) -> None:
    from driftloop.pipelines._webhook import WebhookServer, create_webhook_app

    server = None
    if webhook is not None:
        app_ = create_webhook_app(scheduler.triggers)
        server = WebhookServer(app_, host=webhook[0], port=webhook[1]).start()
        scheduler.info["webhook_url"] = server.url
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    started = {"scheduler": scheduler.id, "webhook_url": scheduler.info.get("webhook_url")}
    if as_json:  # one line, flushed: whoever started the process reads it at once
        print(json.dumps(started), flush=True)
    else:
        err_console.print(_started_line(started, scheduler.jobs))
    try:
        scheduler.run(stop)
    finally:
        if server is not None:
            server.stop()


def _started_line(started: dict[str, Any], jobs: list[Any]) -> str:
    hooks = started["webhook_url"] or "off"
    names = ", ".join(j.name for j in jobs) or "none"
    return f"scheduler {started['scheduler']} running; webhooks: {hooks}; jobs: {names}"


def _print_fired(events: list[TriggerEvent]) -> None:
    if not events:
        console.print("nothing was due")
    for e in events:
        run = f" run {e.pipeline_run_id}" if e.pipeline_run_id else ""
        error = f" ({e.error})" if e.error else ""
        console.print(
            f"fired {escape(e.trigger)} [{escape(e.event_key)}]: {e.status.value}{run}{error}"
        )


@app.command("status")
def status(
    limit: int = typer.Option(10, "--limit", help="How many recent events to show."),
    as_json: bool = JsonOption,
) -> None:
    """What is due, what fired lately, and what is running; which schedulers are alive."""
    from driftloop._workspace import get_workspace
    from driftloop.pipelines._scheduler_status import scheduler_status
    from driftloop.store import utcnow

    ws = get_workspace(create=False)
    found = scheduler_status(ws.store, ws.triggers, utcnow(), limit=limit)

    def draw() -> None:
        _section(
            "Schedulers",
            ["id", "alive", "last heartbeat", "webhooks"],
            [
                (s.id, _yes(s.is_alive), s.heartbeat_at, s.info.get("webhook_url"))
                for s in found.schedulers
            ],
            "none has run; start one with `driftloop scheduler`",
        )
        _section(
            "Due",
            ["trigger", "kind", "owed now", "next"],
            [(d.trigger.name, d.trigger.kind.value, d.owed_key, d.next_at) for d in found.due],
            "no cron or dataset triggers",
        )
        _events_section("Fired", found.fired, "nothing fired yet")
        _events_section("Running", [r.event for r in found.running], "nothing running")

    emit(found, as_json, draw)


def _section(title: str, columns: list[str], rows: list[tuple[Any, ...]], empty: str) -> None:
    if rows:
        table(title, columns, rows)
    else:
        console.print(f"{title}: {escape(empty)}")


def _events_section(title: str, events: list[TriggerEvent], empty: str) -> None:
    rows = [
        (
            e.trigger,
            e.event_key,
            e.status.value,
            e.fired_at or e.claimed_at,
            e.pipeline_run_id or e.error,
        )
        for e in events
    ]
    _section(title, ["trigger", "event", "status", "at", "run"], rows, empty)


triggers_app = typer.Typer(
    help="Triggers (schedules are cron triggers): list, disable, enable, delete, restore.",
    invoke_without_command=True,
)
app.add_typer(triggers_app, name="triggers")


def _triggers() -> Any:
    from driftloop._workspace import get_workspace

    return get_workspace(create=False).triggers


@triggers_app.callback()
def triggers(ctx: typer.Context, deleted: bool = DeletedOption, as_json: bool = JsonOption) -> None:
    """The declared triggers: kind, what they listen to, and what they start (--deleted:
    the deleted ones, with who deleted each and when)."""
    if ctx.invoked_subcommand is not None:
        return
    found = _triggers().list(view_type="deleted_only" if deleted else "active_only")
    emit(
        found,
        as_json,
        lambda: table(
            None,
            ["name", "kind", "when", "target", "on", *deleted_headers(deleted)],
            [
                (
                    t.name,
                    t.kind.value,
                    t.cron or t.source or "",
                    t.target,
                    _yes(t.enabled),
                    *deleted_columns(t, deleted),
                )
                for t in found
            ],
        ),
    )


_NAMES = typer.Argument(..., help="Trigger names (see `driftloop scheduler triggers`).")


@triggers_app.command("disable")
def disable(names: list[str] = _NAMES, as_json: bool = JsonOption) -> None:
    """Stop triggers firing (cron times, datasets, alerts, webhooks) until enabled again."""
    emit_events(each(names, _triggers().disable), as_json, "scheduler triggers")


@triggers_app.command("enable")
def enable(names: list[str] = _NAMES, as_json: bool = JsonOption) -> None:
    """Let disabled triggers fire again; cron times missed while disabled do not fire."""
    emit_events(each(names, _triggers().enable), as_json, "scheduler triggers")


@triggers_app.command("delete")
def delete(names: list[str] = _NAMES, as_json: bool = JsonOption) -> None:
    """Delete triggers: they fire no more and are hidden; restorable until `driftloop gc`.

    A [[trigger]] table in driftloop.toml naming a deleted trigger is skipped, with a
    warning, when the scheduler starts.
    """
    emit_events(each(names, _triggers().delete), as_json, "scheduler triggers")


@triggers_app.command("restore")
def restore(names: list[str] = _NAMES, as_json: bool = JsonOption) -> None:
    """Restore deleted triggers (what they missed while deleted does not fire)."""
    emit_events(each(names, _triggers().restore), as_json, "scheduler triggers")


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def parse_params(pairs: list[str] | None) -> dict[str, Any]:
    """``key=value`` pairs; a value that parses as JSON (3, 0.5, true, [1]) is that value."""
    params: dict[str, Any] = {}
    for pair in pairs or []:
        key, sep, raw = pair.partition("=")
        if not sep or not key.strip():
            raise typer.BadParameter(f"{pair!r} is not key=value", param_hint="-p")
        try:
            params[key.strip()] = json.loads(raw)
        except ValueError:
            params[key.strip()] = raw
    return params


def trigger(
    name: str = typer.Argument(..., help="The trigger to fire."),
    key: str | None = typer.Option(
        None, "--key", help="Idempotency key: firing again with it starts nothing."
    ),
    param: list[str] = typer.Option(None, "--param", "-p", help="key=value, overrides params."),
    as_json: bool = JsonOption,
) -> None:
    """Fire a trigger by hand now (any kind); prints the event and the run it started."""
    from driftloop._workspace import get_workspace

    params = parse_params(param)
    payload = {"params": params, "by": "cli"} if params else {"by": "cli"}
    event = get_workspace(create=False).triggers.fire(name, event_key=key, payload=payload)
    emit(event, as_json, lambda: _print_fired([event]))
    if event.error is not None:
        raise typer.Exit(1)
