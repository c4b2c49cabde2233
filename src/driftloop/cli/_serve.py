"""`serve` and `endpoints deploy | rollback | list | show | history | update | promote |
delete | restore`.

`driftloop deploy` and `driftloop rollback` are the hidden earlier spellings of the first two.
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
from driftloop.cli._output import JsonOption, console, emit, print_json, table

if TYPE_CHECKING:
    from driftloop.serving._models import Deployment
    from driftloop.serving._service import ServingService
    from driftloop.serving._settings import ServeSettings

app = typer.Typer(
    help="Endpoints: deploy, update, promote, roll back, and their history.", no_args_is_help=True
)
EndpointArg = typer.Argument(..., help="Endpoint name, e.g. flight-delays.")


def _serving() -> ServingService:
    from driftloop._workspace import get_workspace

    return get_workspace(create=False).serving


def _json(d: Deployment) -> dict[str, Any]:
    from driftloop.serving._handlers import deployment_json

    return deployment_json(d)


def _routes(d: Deployment) -> str:
    parts = [f"{d.primary.model_name}@{d.primary.model_version}"]
    if d.canary:
        parts.append(f"canary {d.canary.model_name}@{d.canary.model_version} {d.canary_weight:.0%}")
    if d.shadow:
        parts.append(f"shadow {d.shadow.model_name}@{d.shadow.model_version}")
    return ", ".join(parts)


def _print(d: Deployment, verb: str) -> None:
    console.print(
        f"{verb} endpoint {escape(d.endpoint)} deployment {d.version}: {escape(_routes(d))}"
    )
    console.print(f"  {escape(d.changes)}")


def deploy(
    endpoint: str = EndpointArg,
    primary: str = typer.Argument(..., help="Model reference: churn@champion, models:/churn/3."),
    canary: str | None = typer.Option(None, help="Canary model reference."),
    canary_weight: float = typer.Option(0.0, help="Share of requests the canary answers, 0..1."),
    shadow: str | None = typer.Option(None, help="Shadow model: gets a copy, answer logged only."),
    sticky_key: str | None = typer.Option(
        None, help="Header (or input column) keeping one caller on one side of the canary."
    ),
    feature: list[str] = typer.Option(
        [], "--feature", help="Feature ref looked up online for entity-key requests (repeat)."
    ),
    max_batch_size: int = typer.Option(1, help="Adaptive micro-batching: most rows per batch."),
    max_batch_wait_ms: float = typer.Option(2.0, help="Adaptive micro-batching: longest wait."),
    as_json: bool = JsonOption,
) -> None:
    """Create or replace an endpoint's deployment; running servers pick it up."""
    made = _serving().deploy(
        endpoint,
        primary,
        canary=canary,
        canary_weight=canary_weight,
        shadow=shadow,
        sticky_key=sticky_key,
        features=feature,
        max_batch_size=max_batch_size,
        max_batch_wait_ms=max_batch_wait_ms,
    )
    emit(_json(made), as_json, lambda: _print(made, "Deployed"))


def rollback(
    endpoint: str = EndpointArg,
    to: int | None = typer.Option(None, "--to", help="Deployment version to return to."),
    as_json: bool = JsonOption,
) -> None:
    """Serve the deployment before the live one again (a new deployment in the history)."""
    made = _serving().rollback(endpoint, to)
    emit(_json(made), as_json, lambda: _print(made, "Rolled back"))


@app.command("list")
def list_endpoints(deleted: bool = DeletedOption, as_json: bool = JsonOption) -> None:
    """Endpoints and what they serve (--deleted: the deleted ones and their last deployment)."""
    found = _serving().list_endpoints("deleted_only" if deleted else "active_only")

    def render() -> None:
        rows = [
            (
                e.name,
                e.deployment.version,
                _routes(e.deployment),
                e.deployment.created_at,
                *deleted_columns(e, deleted),
            )
            for e in found
        ]
        table(None, ["endpoint", "deployment", "routes", "since", *deleted_headers(deleted)], rows)

    records = [
        {**_json(e.deployment), "deleted_at": e.deleted_at, "deleted_by": e.deleted_by}
        for e in found
    ]
    emit(records, as_json, render)


@app.command("delete")
def delete(
    endpoints: list[str] = typer.Argument(..., help="Endpoint names."), as_json: bool = JsonOption
) -> None:
    """Delete endpoints: servers stop answering them within a poll; restorable until
    `driftloop gc` (which also purges their prediction log).

    Refused while a monitor watches one or a loop policy drives it, naming which.
    """
    emit_events(each(endpoints, _serving().delete_endpoint), as_json, "endpoints")


@app.command("restore")
def restore(
    endpoints: list[str] = typer.Argument(..., help="Deleted endpoint names."),
    as_json: bool = JsonOption,
) -> None:
    """Restore deleted endpoints: their last deployment is served again."""
    emit_events(each(endpoints, _serving().restore_endpoint), as_json, "endpoints")


@app.command("show")
def show(endpoint: str = EndpointArg, as_json: bool = JsonOption) -> None:
    """The live deployment of an endpoint."""
    d = _serving().get_deployment(endpoint)
    emit(_json(d), as_json, lambda: _print(d, "Endpoint"))


@app.command("history")
def history(endpoint: str = EndpointArg, as_json: bool = JsonOption) -> None:
    """Every deployment of an endpoint: who changed what, and when."""
    found = _serving().history(endpoint)

    def render() -> None:
        rows = [(d.version, d.action, d.created_by, d.created_at, d.changes) for d in found]
        table(None, ["#", "action", "who", "when", "what changed"], rows)

    emit([_json(d) for d in found], as_json, render)


@app.command("update")
def update(
    endpoint: str = EndpointArg,
    primary: str | None = typer.Option(None, help="New primary model reference."),
    canary: str | None = typer.Option(None, help="New canary model reference."),
    no_canary: bool = typer.Option(False, "--no-canary", help="Remove the canary."),
    canary_weight: float | None = typer.Option(None, help="New canary share, 0..1."),
    shadow: str | None = typer.Option(None, help="New shadow model reference."),
    no_shadow: bool = typer.Option(False, "--no-shadow", help="Remove the shadow."),
    as_json: bool = JsonOption,
) -> None:
    """Change part of the live deployment (e.g. reweight the canary)."""
    changes: dict[str, Any] = {"primary": primary, "canary_weight": canary_weight}
    if canary is not None or no_canary:
        changes["canary"] = None if no_canary else canary
    if shadow is not None or no_shadow:
        changes["shadow"] = None if no_shadow else shadow
    made = _serving().update(endpoint, **changes)
    emit(_json(made), as_json, lambda: _print(made, "Updated"))


@app.command("promote")
def promote(endpoint: str = EndpointArg, as_json: bool = JsonOption) -> None:
    """Make the canary the primary."""
    made = _serving().promote_canary(endpoint)
    emit(_json(made), as_json, lambda: _print(made, "Promoted"))


def serve(
    host: str = typer.Option("127.0.0.1", help="Address to bind (loopback by default)."),
    port: int = typer.Option(8000, help="Port to listen on (0: any free port)."),
    workers: int = typer.Option(1, help="Worker processes sharing the port."),
    endpoint: list[str] = typer.Option([], "--endpoint", help="Serve only these (repeat)."),
    max_body_bytes: int = typer.Option(16 * 1024 * 1024, help="Largest request body accepted."),
    body_timeout: float = typer.Option(10.0, help="Seconds a client may take to send a body."),
    header_timeout: float = typer.Option(
        10.0, help="Seconds a client may take to send request headers (then a 408)."
    ),
    poll_interval: float = typer.Option(1.0, help="Seconds between deployment checks."),
    no_onnx: bool = typer.Option(False, "--no-onnx", help="Run native models, not ONNX forms."),
    predict_threads: int = typer.Option(
        1, help="OpenMP/BLAS threads per predict in each worker (0: the libraries' default)."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Serve the workspace's endpoints over HTTP until stopped (SIGINT or SIGTERM)."""
    from driftloop._workspace import get_workspace
    from driftloop.serving._process import listening_socket, serve_many, serve_one

    settings = _serve_settings(
        host=host,
        port=port,
        workers=workers,
        endpoints=tuple(endpoint) or None,
        max_body_bytes=max_body_bytes,
        body_timeout_s=body_timeout,
        header_timeout_s=header_timeout,
        poll_interval_s=poll_interval,
        prefer_onnx=not no_onnx,
        predict_threads=predict_threads,
    )
    ws = get_workspace(create=False)
    # Bound first: a port in use is one line, not a traceback after "Serving ..."; and
    # with --port 0 the line names the port the system gave.
    sock = listening_socket(host, port)
    bound = sock.getsockname()[1]
    url = f"http://[{host}]:{bound}" if ":" in host else f"http://{host}:{bound}"
    info = {"url": url, "workers": workers, "workspace": str(ws.root)}
    emit(info, as_json, lambda: console.print(f"Serving {escape(str(ws.root))} on {url}"))
    if workers == 1:
        from driftloop.serving._app import create_app

        serve_one(create_app(ws, settings), settings, sock)
        return
    environment = {"DRIFTLOOP_HOME": str(ws.root)}
    serve_many("driftloop.cli._serve:app_from_environment", settings, environment, sock)


def _serve_settings(**values: Any) -> ServeSettings:
    """``ServeSettings``, a bad value refused naming its flag (not a pydantic traceback)."""
    from pydantic import ValidationError

    from driftloop.errors import InvalidInputError
    from driftloop.serving._settings import ServeSettings

    try:
        return ServeSettings(**values)
    except ValidationError as exc:
        problems = "; ".join(
            f"--{str(e['loc'][0]).removesuffix('_s').replace('_', '-')} {e['input']!r}: "
            f"{e['msg'][0].lower()}{e['msg'][1:]}"
            for e in exc.errors()
        )
        raise InvalidInputError(f"driftloop serve: {problems}") from None


def app_from_environment() -> Any:
    """The app of one worker process (``driftloop serve --workers N``)."""
    from driftloop._workspace import get_workspace
    from driftloop.serving._app import create_app
    from driftloop.serving._process import settings_from_environment

    return create_app(get_workspace(create=False), settings_from_environment())


__all__ = ["app", "deploy", "print_json", "rollback", "serve"]
