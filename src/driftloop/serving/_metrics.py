"""Prometheus metrics of a server, in its own registry (two apps in one process never mix).

Requests, latency and errors are labelled by endpoint, model, model version and route;
the prediction log's queue depth, drops and written rows are read from the writer's
``stats()`` at scrape time, so the request path pays nothing for them; so is
``driftloop_native_threads``, the OpenMP and BLAS threads a predict on the event loop
would use (``ServeSettings.predict_threads``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Protocol

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# Serving latencies: sub-millisecond for small models, up to seconds for big batches.
LATENCY_BUCKETS = (
    0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
)  # fmt: skip
_LABELS = ("endpoint", "model", "model_version", "route")


class LogStats(Protocol):
    queue_depth: int
    dropped: int
    written_rows: int


class _LogCollector(Collector):
    def __init__(self, stats: Callable[[], LogStats | None]) -> None:
        self._stats = stats

    def collect(self) -> Iterator[Metric]:
        stats = self._stats()
        if stats is None:
            return
        yield GaugeMetricFamily(
            "driftloop_prediction_log_queue_depth",
            "Prediction records waiting to be written.",
            value=stats.queue_depth,
        )
        yield CounterMetricFamily(
            "driftloop_prediction_log_dropped",
            "Prediction records dropped because the log queue was full.",
            value=stats.dropped,
        )
        yield CounterMetricFamily(
            "driftloop_prediction_log_written_rows",
            "Prediction rows written to log segments.",
            value=stats.written_rows,
        )


class _ThreadsCollector(Collector):
    # Runs in the scraping thread: the event loop's, where small requests are predicted.
    def describe(self) -> Iterator[Metric]:
        yield self._gauge()  # no scan of the loaded libraries when registered

    def collect(self) -> Iterator[Metric]:
        from driftloop.serving._threads import native_threads

        gauge = self._gauge()
        for api, threads in sorted(native_threads().items()):
            gauge.add_metric([api], threads)
        yield gauge

    def _gauge(self) -> GaugeMetricFamily:
        return GaugeMetricFamily(
            "driftloop_native_threads",
            "Most threads an OpenMP or BLAS pool of this process would use for a predict.",
            labels=["api"],
        )


class ServingMetrics:
    """The counters and histogram of one app; children are cached per label set."""

    def __init__(self, log_stats: Callable[[], LogStats | None] = lambda: None) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "driftloop_requests",
            "Prediction requests answered, by status.",
            (*_LABELS, "status"),
            registry=self.registry,
        )
        self.latency = Histogram(
            "driftloop_request_latency_seconds",
            "Time to answer a prediction request (model, checks and rendering).",
            _LABELS,
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.errors = Counter(
            "driftloop_request_errors",
            "Prediction requests that failed, by error code.",
            (*_LABELS, "code"),
            registry=self.registry,
        )
        self.rows = Counter(
            "driftloop_predicted_rows", "Rows predicted.", _LABELS, registry=self.registry
        )
        self.registry.register(_LogCollector(log_stats))
        self.registry.register(_ThreadsCollector())
        self._children: dict[tuple[Any, ...], tuple[Any, Any, Any]] = {}

    def observe(
        self, labels: tuple[str, str, str, str], status: int, seconds: float, rows: int
    ) -> None:
        key = (*labels, status)
        children = self._children.get(key)
        if children is None:
            children = (
                self.requests.labels(*labels, str(status)),
                self.latency.labels(*labels),
                self.rows.labels(*labels),
            )
            self._children[key] = children
        requests, latency, counted = children
        requests.inc()
        latency.observe(seconds)
        if rows:
            counted.inc(rows)

    def error(self, labels: tuple[str, str, str, str], status: int, code: str) -> None:
        self.requests.labels(*labels, str(status)).inc()
        self.errors.labels(*labels, code).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)
