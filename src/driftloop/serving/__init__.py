"""Serving: endpoints over HTTP, the prediction log, feedback labels and batch scoring.

Every request a server answers becomes a :class:`PredictionRecord` handed to a
:class:`PredictionLogWriter`, which queues it (never blocking the request; a full
queue drops and counts) and writes Parquet segments to the artifact store, indexed in
the metadata store. ``ws.predictions`` (:class:`PredictionLogService`) reads the log
back over DuckDB and records ground-truth labels that arrive later (feedback), joined
to the log by request id and row.
"""

from driftloop.serving._feedback import FeedbackResult, Label
from driftloop.serving._feedback_routes import feedback_routes
from driftloop.serving._fluent import log_feedback
from driftloop.serving._log_reader import EndpointLogStats, PredictionLogService
from driftloop.serving._prediction_log import PredictionLogWriter
from driftloop.serving._prediction_record import PredictionLogStats, PredictionRecord, Route

__all__ = [
    "EndpointLogStats",
    "FeedbackResult",
    "Label",
    "PredictionLogService",
    "PredictionLogStats",
    "PredictionLogWriter",
    "PredictionRecord",
    "Route",
    "feedback_routes",
    "log_feedback",
]
