"""Helpers of the serving tests: records to log, real models, and real uvicorn servers."""

from __future__ import annotations

import socket
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
import uvicorn

import driftloop as dl
from driftloop.serving import PredictionRecord, ServeSettings
from driftloop.serving._app import create_app
from driftloop.testing import temporary_workspace

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


def churn_frame(rows: int = 120, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {"age": rng.normal(40, 12, rows).round(1), "tenure": rng.integers(0, 10, rows)}
    )
    label = ((frame["age"] > 40) ^ (frame["tenure"] > 6)).astype(int)
    return frame, label


def log_churn_model(
    ws: dl.Workspace, c: float = 1.0, onnx: bool = True, name: str = "churn"
) -> dl.ModelVersion:
    """A logistic regression on (age float64, tenure int64), registered as ``name``."""
    from sklearn.linear_model import LogisticRegression

    frame, label = churn_frame()
    run_id = ws.tracking.create_run("churn")
    logged = ws.registry.log_model(
        run_id,
        LogisticRegression(C=c).fit(frame, label),
        name,
        register=True,
        input_example=frame.head(5),
        training_data=frame,
        onnx=onnx,
    )
    ws.tracking.end_run(run_id)
    assert logged.version is not None
    return logged.version


def tamper(ws: dl.Workspace, version: dl.ModelVersion) -> None:
    """Flip a byte of the model file of ``version``: it fails its integrity check on load."""
    manifest = ws.registry.manifest(version.uri)
    digest = next(e.digest for n, e in manifest.files.items() if n.startswith("model"))
    path = ws.blobs.local_path(digest)
    assert path is not None
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.chmod(0o644)
    path.write_bytes(bytes(data))


@dataclass
class Server:
    url: str
    app: Any
    server: uvicorn.Server
    client: httpx.Client  # one pool: httpx.post() builds an SSL context on every call

    @property
    def state(self) -> Any:
        return self.app.state.server


@contextmanager
def running(app: Any, **config: Any) -> Iterator[Server]:
    """``app`` served by uvicorn on 127.0.0.1, a free port, until the block ends."""
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", **config)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("the server did not start")
            thread.join(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        url = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=url, timeout=30) as client:
            yield Server(url, app, server, client)
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture(scope="module")
def module_workspace(
    tmp_path_factory: pytest.TempPathFactory, migrated_sqlite: Path
) -> Iterator[dl.Workspace]:
    """One workspace for a module's read-only server tests (never the default workspace)."""
    with temporary_workspace(tmp_path_factory.mktemp("ws"), template=migrated_sqlite) as ws:
        yield ws


@pytest.fixture(scope="module")
def served(module_workspace: dl.Workspace) -> Iterator[Server]:
    """'churn' version 1 on endpoint 'churn', served for the whole module."""
    log_churn_model(module_workspace)
    module_workspace.serving.deploy("churn", "churn@1")
    app = create_app(module_workspace, ServeSettings(poll_interval_s=0.05))
    with running(app) as server:
        yield server
