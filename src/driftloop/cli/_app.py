"""The `driftloop` command: one Typer app, one sub-command group per part of the loop."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import typer
from rich.markup import escape

from driftloop.cli import (
    _approvals,
    _data,
    _demo,
    _features,
    _feedback,
    _loop,
    _models,
    _monitor,
    _pipeline,
    _runs,
    _scheduler,
    _score,
    _serve,
    _server_init,
    _tokens,
    _users,
)
from driftloop.cli._output import JsonOption, console, emit, err_console
from driftloop.errors import DriftloopError

app = typer.Typer(
    name="driftloop",
    help="driftloop: data, features, experiments, models, serving and monitoring in one loop.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
# Groups are plural nouns, as in `driftloop models versions`; each action sits under the
# noun it acts on. The spellings before that stay as hidden aliases: scripts keep working.
app.add_typer(_data.app, name="data")
app.add_typer(_demo.app, name="demo")
app.add_typer(_features.app, name="features")
app.add_typer(_runs.app, name="runs")
app.add_typer(_runs.experiments_app, name="experiments")
app.add_typer(_models.app, name="models")
app.add_typer(_pipeline.app, name="pipelines")
app.add_typer(_scheduler.app, name="scheduler")
app.add_typer(_monitor.app, name="monitors")
_pipeline.app.command("trigger")(_scheduler.trigger)
app.add_typer(_loop.app, name="loop")
_loop.app.command("approve")(_loop.approve)
_loop.app.command("reject")(_loop.reject)
app.command("gc")(_data.gc)
app.command("score")(_score.score)
app.command("feedback")(_feedback.feedback)
app.command("predictions")(_feedback.predictions)
app.add_typer(_serve.app, name="endpoints")
_serve.app.command("deploy")(_serve.deploy)
_serve.app.command("rollback")(_serve.rollback)
app.command("serve")(_serve.serve)
app.add_typer(_users.app, name="users")
app.add_typer(_tokens.app, name="tokens")
app.add_typer(_users.roles_app, name="roles")
app.add_typer(_approvals.app, name="approvals")
app.add_typer(_approvals.protections_app, name="protections")
# `server init` joins the `server` group of the team server's edge when both land.
app.add_typer(_server_init.app, name="server")

app.add_typer(_pipeline.app, name="pipeline", hidden=True)
app.add_typer(_monitor.app, name="monitor", hidden=True)
app.command("approve", hidden=True)(_loop.approve)
app.command("reject", hidden=True)(_loop.reject)
app.command("deploy", hidden=True)(_serve.deploy)
app.command("rollback", hidden=True)(_serve.rollback)

_state = {"debug": bool(os.environ.get("DRIFTLOOP_DEBUG"))}


@app.callback()
def _root(
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks of errors."),
) -> None:
    if debug:
        _state["debug"] = True


@app.command()
def init(
    path: Path = typer.Argument(Path("."), help="Folder to make a workspace of."),
    as_json: bool = JsonOption,
) -> None:
    """Create driftloop.toml and .driftloop/ in a folder (kept if they exist)."""
    from driftloop._workspace import init_workspace

    ws = init_workspace(path)
    info = {
        "root": str(ws.root),
        "db_url": ws.store.display_url,
        "artifact_url": ws.settings.artifact_url,
    }
    ws.close()
    emit(
        info,
        as_json,
        lambda: console.print(f"Initialised driftloop workspace in {escape(info['root'])}"),
    )


def main() -> None:
    """Entry point of the console script: errors print a message, not a traceback."""
    try:
        app()
    except DriftloopError as exc:
        if _state["debug"] or "--debug" in sys.argv:
            raise
        # soft_wrap: the message stays one line a script can grep, however narrow the terminal
        err_console.print(f"error: {escape(exc.headline)}: {escape(str(exc))}", soft_wrap=True)
        sys.exit(1)
