"""Serving: endpoints over HTTP, deployments and routing, the prediction log, feedback.

An *endpoint* (``flight-delays``) serves its *live deployment*: the newest of its
numbered deployments, each a row in the metadata store listing a primary route, an
optional canary with a weight (sticky by a request key) and an optional shadow (gets
a copy of each request; its answer is logged, never returned). Routes are pinned to
model versions when deployed. ``ws.serving`` deploys, changes, promotes and rolls
back; running servers re-read the live versions and swap in the new models without a
restart and without failing a request.

``create_app(workspace, settings)`` builds the ASGI app (Starlette, run by uvicorn via
``driftloop serve``): the simple JSON API ``POST /v1/endpoints/{name}/predict``, the
Open Inference Protocol V2 (``/v2/...``, JSON and Triton's binary tensor extension),
``/metrics`` (Prometheus), ``/health`` and ``/openapi.json``. Every input is checked
against the model signature; bad input is a 4xx naming the field.

Every request a server answers becomes a :class:`PredictionRecord` handed to a
:class:`PredictionLogWriter`, which queues it (never blocking the request; a full
queue drops and counts) and writes Parquet segments to the artifact store, indexed in
the metadata store. ``ws.predictions`` (:class:`PredictionLogService`) reads the log
back over DuckDB and records ground-truth labels that arrive later (feedback), joined
to the log by request id and row.
"""

from typing import TYPE_CHECKING

from driftloop._lazy import lazy_exports

if TYPE_CHECKING:
    from driftloop.serving._app import create_app
    from driftloop.serving._feedback import FeedbackResult, Label
    from driftloop.serving._feedback_routes import feedback_routes
    from driftloop.serving._fluent import log_feedback
    from driftloop.serving._log_reader import EndpointLogStats, PredictionLogService
    from driftloop.serving._models import (
        BatchingOptions,
        Deployment,
        DeploymentRoute,
        Endpoint,
        RouteKind,
    )
    from driftloop.serving._prediction_log import PredictionLogWriter
    from driftloop.serving._prediction_record import PredictionLogStats, PredictionRecord, Route
    from driftloop.serving._routing import choose_route, key_point
    from driftloop.serving._service import ServingService
    from driftloop.serving._settings import ServeSettings

# Imported on first use (see driftloop/_lazy.py), so importing the package is cheap; the
# app pulls in Starlette and prometheus-client, only when a server is built.
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "driftloop.serving._feedback": (
            "FeedbackResult",
            "Label",
        ),
        "driftloop.serving._feedback_routes": ("feedback_routes",),
        "driftloop.serving._fluent": ("log_feedback",),
        "driftloop.serving._log_reader": (
            "EndpointLogStats",
            "PredictionLogService",
        ),
        "driftloop.serving._models": (
            "BatchingOptions",
            "Deployment",
            "DeploymentRoute",
            "Endpoint",
            "RouteKind",
        ),
        "driftloop.serving._prediction_log": ("PredictionLogWriter",),
        "driftloop.serving._prediction_record": (
            "PredictionLogStats",
            "PredictionRecord",
            "Route",
        ),
        "driftloop.serving._routing": (
            "choose_route",
            "key_point",
        ),
        "driftloop.serving._service": ("ServingService",),
        "driftloop.serving._settings": ("ServeSettings",),
        "driftloop.serving._app": ("create_app",),
    },
    globals(),
)

__all__ = [
    "BatchingOptions",
    "Deployment",
    "DeploymentRoute",
    "Endpoint",
    "EndpointLogStats",
    "FeedbackResult",
    "Label",
    "PredictionLogService",
    "PredictionLogStats",
    "PredictionLogWriter",
    "PredictionRecord",
    "Route",
    "RouteKind",
    "ServeSettings",
    "ServingService",
    "choose_route",
    "create_app",
    "feedback_routes",
    "key_point",
    "log_feedback",
]
