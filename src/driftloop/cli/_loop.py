"""`loop status | history | run-once | retrain | pause | resume | pin | unpin | approve | reject |
abandon | delete | restore`.

`driftloop approve` and `driftloop reject` are the hidden earlier spellings of approve and reject.
"""

from __future__ import annotations

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
from driftloop.cli._output import JsonOption, console, emit, table

if TYPE_CHECKING:
    from driftloop.automation._service import LoopService

app = typer.Typer(
    help="The closed loop: retraining, gate, canary and promotion, per endpoint.",
    no_args_is_help=True,
)
EndpointArg = typer.Argument(..., help="Endpoint name.")
ReasonOption = typer.Option("", "--reason", "-r", help="Why; kept in the loop history.")


def _loop() -> LoopService:
    from driftloop._workspace import get_workspace

    return get_workspace(create=False).loop


def _loop_with_declared_policies() -> LoopService:
    from driftloop._workspace import get_workspace
    from driftloop.automation._config import apply_loop_file
    from driftloop.config import CONFIG_FILE

    ws = get_workspace(create=False)
    apply_loop_file(ws.loop, ws.root / CONFIG_FILE)
    return ws.loop


@app.command("status")
def status(deleted: bool = DeletedOption, as_json: bool = JsonOption) -> None:
    """Each endpoint's policy controls and its open episode (--deleted: the deleted
    policies, with who deleted each and when)."""
    loop = _loop()
    if deleted:
        _deleted_policies(loop, as_json)
        return
    rows: list[dict[str, Any]] = []
    for state in loop.journal.policies():
        endpoint = state.policy.endpoint
        episode = loop.journal.current(endpoint)
        rows.append(
            {
                "endpoint": endpoint,
                "model": state.policy.model,
                "paused": state.is_paused,
                "pinned_version": state.pinned_version,
                "episode": episode,
            }
        )

    def render() -> None:
        def control(row: dict[str, Any]) -> str:
            if row["paused"]:
                return "paused"
            return f"pinned @{row['pinned_version']}" if row["pinned_version"] else "on"

        table(
            f"{len(rows)} loop(s)",
            ["endpoint", "model", "loop", "episode", "since"],
            [
                (
                    r["endpoint"],
                    r["model"],
                    control(r),
                    r["episode"].state.value if r["episode"] else "idle",
                    r["episode"].updated_at if r["episode"] else None,
                )
                for r in rows
            ],
        )

    emit(rows, as_json, render)


def _deleted_policies(loop: LoopService, as_json: bool) -> None:
    found = [
        {"endpoint": p.policy.endpoint, "deleted_by": p.deleted_by, "deleted_at": p.deleted_at}
        for p in loop.journal.policies("deleted_only")
    ]
    cells = [(f["endpoint"], *deleted_columns(f)) for f in found]
    emit(found, as_json, lambda: table(None, ["endpoint", *deleted_headers(True)], cells))


@app.command("history")
def history(endpoint: str = EndpointArg, as_json: bool = JsonOption) -> None:
    """Every decision of the loop of ENDPOINT, oldest first, with who made it and why."""
    decisions = _loop().history(endpoint)

    def render() -> None:
        if not decisions:
            console.print(f"No loop decisions for {escape(endpoint)} yet.")
            return
        for d in decisions:
            when = d.at.strftime("%Y-%m-%d %H:%M")
            who = "" if d.actor == "loop" else f" [dim]({escape(d.actor)})[/dim]"
            console.print(f"{when}  [bold]{escape(d.kind):<17}[/bold] {escape(d.summary)}{who}")

    emit(decisions, as_json, render)


@app.command("run-once")
def run_once(as_json: bool = JsonOption) -> None:
    """Apply the [[loop]] tables of driftloop.toml, carry every open episode as far as it
    can go now, then exit (what one scheduler tick does for the loop)."""
    episodes = _loop_with_declared_policies().tick()

    def render() -> None:
        if not episodes:
            console.print("No open loop episodes.")
        for e in episodes:
            console.print(f"{escape(e.endpoint)}: {e.state.value}")

    emit(episodes, as_json, render)


@app.command("retrain")
def retrain(
    endpoint: str = EndpointArg,
    param: list[str] = typer.Option(
        [], "--param", "-p", help="Override a pipeline parameter for this retraining: key=value."
    ),
    reason: str = ReasonOption,
    as_json: bool = JsonOption,
) -> None:
    """Start a retraining of ENDPOINT now (the loop then gates and rolls it out)."""
    overrides = dict(_key_value(p) for p in param)
    episode = _loop().retrain(endpoint, reason, overrides)

    def render() -> None:
        if episode is None:
            console.print(f"Not started: see `driftloop loop history {escape(endpoint)}`.")
        else:
            console.print(f"Retraining of {escape(endpoint)} started (episode {episode.id}).")

    emit(episode, as_json, render)


def _key_value(text: str) -> tuple[str, Any]:
    import json

    key, sep, value = text.partition("=")
    if not sep or not key:
        raise typer.BadParameter(f"{text!r} is not key=value")
    try:
        return key, json.loads(value)
    except ValueError:
        return key, value


def _controls(loop: LoopService, endpoint: str, said: str, as_json: bool) -> None:
    """Print what a control command left: the loop's state for ENDPOINT (JSON or ``said``)."""
    state = loop.journal.policy(endpoint)
    controls = {
        "endpoint": endpoint,
        "paused": state.is_paused,
        "pinned_version": state.pinned_version,
    }
    emit(controls, as_json, lambda: console.print(said))


@app.command("pause")
def pause(endpoint: str = EndpointArg, as_json: bool = JsonOption) -> None:
    """Stop the loop of ENDPOINT: no new retraining; an open episode waits where it is."""
    loop = _loop()
    loop.pause(endpoint)
    _controls(loop, endpoint, f"Loop of {escape(endpoint)} paused.", as_json)


@app.command("resume")
def resume(endpoint: str = EndpointArg, as_json: bool = JsonOption) -> None:
    """Let the loop of ENDPOINT act again."""
    loop = _loop()
    loop.pause(endpoint, paused=False)
    _controls(loop, endpoint, f"Loop of {escape(endpoint)} resumed.", as_json)


@app.command("pin")
def pin(
    endpoint: str = EndpointArg,
    version: int = typer.Argument(..., help="Model version to keep serving."),
    as_json: bool = JsonOption,
) -> None:
    """Keep ENDPOINT on VERSION: the loop starts no retraining until `unpin`."""
    loop = _loop()
    loop.pin(endpoint, version)
    _controls(loop, endpoint, f"{escape(endpoint)} pinned to version {version}.", as_json)


@app.command("unpin")
def unpin(endpoint: str = EndpointArg, as_json: bool = JsonOption) -> None:
    """Let the loop of ENDPOINT retrain and roll out new versions again."""
    loop = _loop()
    loop.pin(endpoint, None)
    _controls(loop, endpoint, f"{escape(endpoint)} unpinned.", as_json)


def approve(
    endpoint: str = EndpointArg, reason: str = ReasonOption, as_json: bool = JsonOption
) -> None:
    """Approve the challenger awaiting approval on ENDPOINT: it goes out as a canary once
    its approval request is met (see `driftloop approvals`)."""
    episode = _loop().approve(endpoint, reason)
    version = episode.challenger_version

    def render() -> None:
        if episode.state.value == "canary":
            console.print(f"Approved version {version} of {escape(endpoint)}: canary started.")
        else:
            console.print(
                f"Approved version {version} of {escape(endpoint)}; it awaits more approvals "
                "(see `driftloop approvals list`)."
            )

    emit(episode, as_json, render)


def reject(
    endpoint: str = EndpointArg, reason: str = ReasonOption, as_json: bool = JsonOption
) -> None:
    """Reject the challenger awaiting approval on ENDPOINT: the champion stays."""
    episode = _loop().reject(endpoint, reason)
    emit(
        episode,
        as_json,
        lambda: console.print(
            f"Rejected version {episode.challenger_version} of {escape(endpoint)}."
        ),
    )


@app.command("abandon")
def abandon(
    endpoint: str = EndpointArg,
    reason: str = typer.Option(..., "--reason", "-r", help="Why (required); kept in the history."),
    as_json: bool = JsonOption,
) -> None:
    """End the open episode of ENDPOINT as abandoned (a stuck one, or one no longer wanted):
    a canary it deployed is rolled back, a retraining still running is cancelled."""
    episode = _loop().abandon(endpoint, reason)

    def render() -> None:
        console.print(f"Abandoned episode {episode.id} of {escape(endpoint)}: {escape(reason)}")

    emit(episode, as_json, render)


@app.command("delete")
def delete(
    endpoints: list[str] = typer.Argument(..., help="Endpoints whose loop policy to delete."),
    as_json: bool = JsonOption,
) -> None:
    """Delete loop policies with their triggers: the loop stops acting on the endpoint.
    Refused while an episode is open (abandon it first); restorable until `driftloop gc`."""
    emit_events(each(endpoints, _loop().delete_policy), as_json, "loop")


@app.command("restore")
def restore(
    endpoints: list[str] = typer.Argument(..., help="Endpoints whose deleted policy to restore."),
    as_json: bool = JsonOption,
) -> None:
    """Restore deleted loop policies with their triggers (nothing missed meanwhile fires)."""
    emit_events(each(endpoints, _loop().restore_policy), as_json, "loop")
