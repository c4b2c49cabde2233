"""The request path shared by both protocols: route, check, predict, measure, log.

Handlers parse their protocol's body and render its answer; everything between
(choosing the route, checking the input against that model's signature, predicting,
metrics, the prediction log, the shadow copy) happens here once.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import anyio.to_thread
import numpy as np

from driftloop.errors import DriftloopError, InvalidInputError, NotFoundError
from driftloop.serving._errors import status_of
from driftloop.serving._metrics import ServingMetrics
from driftloop.serving._models import Deployment, DeploymentRoute
from driftloop.serving._routing import choose_route, route_for_version
from driftloop.serving._runtime import EndpointState, ModelOutput, ServedModel, ServingRuntime

# (model signature) -> (typed columns, number of rows); raises InvalidInputError.
ColumnBuilder = Callable[[ServedModel], tuple[dict[str, np.ndarray], int]]


class PredictionSink(Protocol):
    """Where prediction records go (the prediction log's writer); ``submit`` never blocks."""

    def submit(self, record: Any) -> object: ...


RecordFactory = Callable[..., Any]


@dataclass(frozen=True, slots=True)
class Answer:
    state: EndpointState
    route: DeploymentRoute
    model: ServedModel
    output: ModelOutput
    num_rows: int


def _labels(endpoint: str, route: DeploymentRoute) -> tuple[str, str, str, str]:
    return endpoint, route.model_name, str(route.model_version), route.kind.value


class Predictor:
    """Answers prediction requests from the runtime's endpoints; safe for one event loop."""

    def __init__(
        self,
        runtime: ServingRuntime,
        metrics: ServingMetrics,
        *,
        inline_rows: int,
        sink: PredictionSink | None = None,
        make_record: RecordFactory | None = None,
        draw: Callable[[], float] = random.random,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.runtime = runtime
        self.metrics = metrics
        self.inline_rows = inline_rows
        self.sink = sink if make_record is not None else None
        self.make_record = make_record
        self.draw = draw
        self.clock = clock

    def pick(
        self, state: EndpointState, key: str | None, version: int | None = None
    ) -> DeploymentRoute:
        """The route of ``state`` that answers this request (``version``: the one serving it).

        ``state`` is the request's one snapshot of its endpoint, taken when the request
        came in: a deployment swapped in meanwhile must not route a request whose sticky
        key and features were read from the deployment before it.
        """
        deployment = state.deployment
        if version is None:
            return choose_route(deployment, key, self.draw())
        route = route_for_version(deployment, version)
        if route is None:
            served = sorted({r.model_version for r in (deployment.primary, deployment.canary) if r})
            raise NotFoundError(
                f"endpoint {deployment.endpoint!r} does not serve model version {version} "
                f"(it serves {', '.join(map(str, served))})"
            )
        return route

    async def answer(
        self,
        state: EndpointState,
        route: DeploymentRoute,
        build: ColumnBuilder,
        request_id: str,
    ) -> Answer:
        """Check, predict and account for one request on ``route``; errors propagate."""
        endpoint = state.deployment.endpoint
        started = time.perf_counter()
        model = state.model(route)
        try:
            columns, rows = build(model)
            batcher = state.batchers.get(route.kind)
            if batcher is not None:
                output = await batcher.predict(columns, rows)
            else:
                output = await self._predict(model, columns, rows)
        except DriftloopError as exc:
            status = status_of(exc)
            seconds = time.perf_counter() - started
            self._log(
                state.deployment, route, model, request_id, seconds, {}, None, exc.message, status
            )
            raise
        seconds = time.perf_counter() - started
        self.metrics.observe(_labels(endpoint, route), 200, seconds, rows)
        self._log(state.deployment, route, model, request_id, seconds, columns, output, None)
        return Answer(state, route, model, output, rows)

    async def _predict(
        self, model: ServedModel, columns: dict[str, np.ndarray], rows: int
    ) -> ModelOutput:
        if rows <= self.inline_rows:
            return model.predict(columns, rows)
        return await anyio.to_thread.run_sync(model.predict, columns, rows)

    async def shadow(self, state: EndpointState, build: ColumnBuilder, request_id: str) -> None:
        """Answer the shadow copy: logged and measured, never returned, failures contained."""
        route = state.deployment.shadow
        if route is None:
            return
        try:
            await self.answer(state, route, build, request_id)
        except DriftloopError as exc:  # logged by answer(); the caller has its answer already
            self.refused(state.deployment.endpoint, route, exc)
        except Exception as exc:  # a shadow must never hurt anything: count and go on
            self.metrics.error(_labels(state.deployment.endpoint, route), 500, type(exc).__name__)

    def refused(self, endpoint: str, route: DeploymentRoute | None, error: DriftloopError) -> None:
        """Count a refused request: by route when one was chosen, else by endpoint alone."""
        labels = _labels(endpoint, route) if route is not None else (endpoint, "", "", "")
        self.metrics.error(labels, status_of(error), error.code)

    def _log(
        self,
        deployment: Deployment,
        route: DeploymentRoute,
        model: ServedModel,
        request_id: str,
        seconds: float,
        columns: Mapping[str, np.ndarray],
        output: ModelOutput | None,
        error: str | None,
        status: int = 200,
    ) -> None:
        if self.sink is None or self.make_record is None:
            return
        from driftloop.serving._log_tables import input_table, output_table

        record = self.make_record(
            request_id=request_id,
            ts=self.clock(),
            endpoint=deployment.endpoint,
            deployment_version=deployment.version,
            model_name=route.model_name,
            model_version=route.model_version,
            route=route.kind.value,
            status=status,
            latency_ms=seconds * 1000.0,
            inputs=input_table(columns),
            outputs=output_table(output, model.classes) if output is not None else None,
            error=error,
        )
        self.sink.submit(record)


def sticky_value(deployment: Deployment, headers: Mapping[str, str], first_row: Any) -> str | None:
    """The request's sticky key: the header the deployment names, else that input column."""
    name = deployment.sticky_key
    if name is None:
        return None
    value = headers.get(name.lower())
    if value is not None:
        return value
    if first_row is not None:
        found = first_row(name)
        return None if found is None else str(found)
    return None


def check_rows(rows: int, limit: int = 1_000_000) -> None:
    if rows > limit:
        raise InvalidInputError(f"{rows} rows in one request; send at most {limit}")
