"""The ASGI app of ``driftloop serve``: ``create_app(workspace, settings)``.

The whole route table is below. Handlers parse, call the predictor or a service, and
render; errors become statuses in one table (``_errors.STATUS_BY_ERROR``). The lifespan
loads every endpoint's live deployment, starts the deployment watcher (re-reading the
live versions every ``poll_interval_s``) and the prediction log writer, and on shutdown
stops the watcher and drains the writer, so nothing logged is lost on SIGTERM.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import anyio.to_thread
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Match, Route

from driftloop.errors import DriftloopError
from driftloop.serving import _handlers as api
from driftloop.serving import _oip_handlers as v2
from driftloop.serving._feedback_routes import feedback_routes
from driftloop.serving._http import json_response, request_id
from driftloop.serving._metrics import CONTENT_TYPE, ServingMetrics
from driftloop.serving._openapi import DOCS_HTML, openapi_schema
from driftloop.serving._predict import PredictionSink, Predictor, RecordFactory
from driftloop.serving._prediction_log import PredictionLogWriter
from driftloop.serving._prediction_record import PredictionRecord
from driftloop.serving._runtime import ServingRuntime, registry_loader
from driftloop.serving._server_state import ServerState, Workspace
from driftloop.serving._settings import ServeSettings


def _routes() -> list[BaseRoute]:
    model = "/v2/models/{name}"
    version = "/v2/models/{name}/versions/{version}"
    return [
        Route("/v1/endpoints/{name}/predict", api.predict, methods=["POST"]),
        Route(f"{model}/infer", v2.infer, methods=["POST"]),
        Route(f"{version}/infer", v2.infer, methods=["POST"]),
        Route("/v1/endpoints", api.list_endpoints, methods=["GET"]),
        Route("/v1/endpoints/{name}", api.get_endpoint, methods=["GET"]),
        Route("/v1/endpoints/{name}", api.delete_endpoint, methods=["DELETE"]),
        Route("/v1/endpoints/{name}/deployment", api.put_deployment, methods=["PUT"]),
        Route("/v1/endpoints/{name}/deployment", api.patch_deployment, methods=["PATCH"]),
        Route("/v1/endpoints/{name}/promote", api.promote, methods=["POST"]),
        Route("/v1/endpoints/{name}/rollback", api.rollback, methods=["POST"]),
        Route("/v1/endpoints/{name}/history", api.history, methods=["GET"]),
        Route("/v2", v2.server_metadata, methods=["GET"]),
        Route("/v2/health/live", v2.live, methods=["GET"]),
        Route("/v2/health/ready", v2.ready, methods=["GET"]),
        Route(model, v2.model_metadata, methods=["GET"]),
        Route(f"{model}/ready", v2.model_ready, methods=["GET"]),
        Route(version, v2.model_metadata, methods=["GET"]),
        Route(f"{version}/ready", v2.model_ready, methods=["GET"]),
        Route("/health", health, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
        Route("/openapi.json", openapi, methods=["GET"]),
        Route("/docs", docs, methods=["GET"]),
    ]


async def health(request: Request) -> Response:
    state: ServerState = request.app.state.server
    endpoints = state.status()
    ok = all(e["ready"] for e in endpoints)
    return json_response({"status": "ok" if ok else "degraded", "endpoints": endpoints})


async def metrics(request: Request) -> Response:
    state: ServerState = request.app.state.server
    return Response(state.metrics.render(), media_type=CONTENT_TYPE)


async def openapi(request: Request) -> Response:
    states = request.app.state.server.runtime.states
    signatures = {name: s.model(s.deployment.primary).signature for name, s in states.items()}
    return json_response(openapi_schema(signatures))


async def docs(request: Request) -> Response:
    return HTMLResponse(DOCS_HTML)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code != 405:
        return json_response({"error": exc.detail, "code": "HTTP"}, exc.status_code)
    # Starlette names only the first route on the path; a path may have several (PUT, PATCH).
    allowed = ", ".join(_methods_of(request))
    message = f"{request.method} is not allowed on {request.url.path}; it takes {allowed}"
    response = json_response({"error": message, "code": "METHOD_NOT_ALLOWED"}, 405)
    response.headers["allow"] = allowed  # RFC 9110: a 405 says which methods are
    return response


def _methods_of(request: Request) -> list[str]:
    methods: set[str] = set()
    for route in request.app.routes:
        match, _ = route.matches(request.scope)  # PARTIAL: the path fits, the method not
        if match is not Match.NONE and isinstance(route, Route) and route.methods:
            methods |= route.methods
    return sorted(methods)


async def _unexpected(request: Request, exc: Exception) -> Response:
    # A bug, not bad input: say so without internals; the server stays up.
    rid = request_id(request)
    message = f"internal error ({type(exc).__name__}); the request id is {rid}"
    return json_response({"error": message, "code": "INTERNAL"}, 500, rid)


async def _driftloop_error(request: Request, exc: Exception) -> Response:
    from driftloop.serving._http import error_response

    assert isinstance(exc, DriftloopError)
    return error_response(exc, request_id(request))


def create_app(
    workspace: Workspace,
    settings: ServeSettings | None = None,
    *,
    prediction_log: PredictionSink | None = None,
    make_record: RecordFactory | None = None,
    draw: Callable[[], float] | None = None,
) -> Starlette:
    """The server's ASGI app over ``workspace`` (not started: run it with uvicorn).

    ``prediction_log`` (with ``make_record``) receives a record per answered request
    and route; ``draw`` replaces the uniform draw that splits canary traffic (tests).

    Example::

        app = create_app(ws, ServeSettings(endpoints=("churn",)))
        uvicorn.run(app, host="127.0.0.1", port=8000)
    """
    settings = settings or ServeSettings()
    runtime = ServingRuntime(
        workspace.serving,
        registry_loader(workspace.registry, settings.prefer_onnx),
        settings.endpoints,
    )
    log = _prediction_log(workspace, settings, prediction_log, make_record)
    served_metrics = ServingMetrics(lambda: _log_stats(log[0]))
    extra: dict[str, Any] = {"draw": draw} if draw is not None else {}
    predictor = Predictor(
        runtime,
        served_metrics,
        inline_rows=settings.inline_rows,
        sink=log[0],
        make_record=log[1],
        **extra,
    )
    state = ServerState(
        workspace,
        settings,
        runtime,
        predictor,
        served_metrics,
        lambda features, rows: workspace.features.get_online_features(features, rows),
        log[0],
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        start = getattr(log[0], "start", None)
        if start is not None:
            start()
        await anyio.to_thread.run_sync(runtime.refresh)
        watcher = asyncio.create_task(_watch(runtime, settings.poll_interval_s))
        try:
            yield
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
            close = getattr(log[0], "close", None)
            if close is not None:
                await anyio.to_thread.run_sync(close, settings.shutdown_timeout_s)

    app = Starlette(
        routes=[*_routes(), *feedback_routes(workspace, body_timeout_s=settings.body_timeout_s)],
        lifespan=lifespan,
        exception_handlers={
            HTTPException: _http_error,
            DriftloopError: _driftloop_error,
            Exception: _unexpected,
        },
    )
    app.state.server = state
    return app


async def _watch(runtime: ServingRuntime, interval: float) -> None:
    while True:
        await asyncio.sleep(interval)
        try:
            await anyio.to_thread.run_sync(runtime.refresh)
        except DriftloopError:
            continue  # the store is away for a moment: keep serving what is loaded


def _prediction_log(
    workspace: Workspace,
    settings: ServeSettings,
    sink: PredictionSink | None,
    make_record: RecordFactory | None,
) -> tuple[PredictionSink | None, RecordFactory | None]:
    if sink is not None or not settings.log_predictions:
        return sink, make_record or (PredictionRecord if sink is not None else None)
    return PredictionLogWriter(workspace.blobs, workspace.store), PredictionRecord


def _log_stats(sink: PredictionSink | None) -> Any:
    stats = getattr(sink, "stats", None)
    return stats() if stats is not None else None
