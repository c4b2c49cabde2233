"""Helpers of the serving tests: records to log, and a real uvicorn server on a free port."""

from __future__ import annotations

import socket
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa
import pytest
import uvicorn

from driftloop.serving import PredictionRecord

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def make_record(
    *,
    request_id: str | None = None,
    minutes: float = 0,
    rows: int = 1,
    endpoint: str = "flights",
    model_version: int = 1,
    route: str = "primary",
    inputs: dict[str, list[Any]] | None = None,
    outputs: bool = True,
) -> PredictionRecord:
    data = inputs if inputs is not None else {"distance": [100.0 + i for i in range(rows)]}
    n = len(next(iter(data.values()))) if data else 0
    out = pa.table({"prediction": [i % 2 for i in range(n)], "proba.1": [0.25] * n})
    return PredictionRecord(
        request_id=request_id or uuid.uuid4().hex,
        ts=T0 + timedelta(minutes=minutes),
        endpoint=endpoint,
        deployment_version=1,
        model_name="flight-delays",
        model_version=model_version,
        route=route,  # type: ignore[arg-type]
        status=200 if outputs else 400,
        latency_ms=1.25,
        inputs=pa.table(data) if data else pa.table({}),
        outputs=out if outputs else None,
        error=None if outputs else "bad input",
    )


class FakeClock:
    """A clock tests move by hand."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@contextmanager
def running_server(app: Any) -> Iterator[str]:
    """``app`` served by uvicorn on 127.0.0.1 on a free port; yields its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    ready = threading.Event()
    for _ in range(500):
        if server.started:
            ready.set()
            break
        ready.wait(0.01)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


@pytest.fixture
def record() -> Any:
    """``record(**fields)`` makes a PredictionRecord (see make_record)."""
    return make_record


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def serve_app() -> Any:
    """``with serve_app(app) as url:`` runs ``app`` under uvicorn on a free port."""
    return running_server


@pytest.fixture
def t0() -> datetime:
    """The time ``record(minutes=0)`` is stamped with."""
    return T0
