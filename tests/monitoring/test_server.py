"""A monitor fed by a real server: requests over HTTP, labels through the feedback route."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import httpx
import pytest
import uvicorn

from driftloop.monitoring import MonitorSpec
from driftloop.store import utcnow

from .conftest import World, delayed, flights


@contextmanager
def serving(app: Any) -> Iterator[str]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    started = threading.Event()
    for _ in range(1000):
        if server.started:
            break
        started.wait(0.01)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


@pytest.mark.slow
def test_a_monitor_reads_what_a_real_server_logged_and_the_labels_fed_back(world: World) -> None:
    from driftloop.serving import PredictionLogWriter, PredictionRecord
    from driftloop.serving._app import create_app
    from driftloop.serving._settings import ServeSettings

    ws = world.ws
    ws.serving.deploy("flights", primary="delays@1")
    log = PredictionLogWriter(ws.blobs, ws.store)
    app = create_app(
        ws, ServeSettings(endpoints=("flights",)), prediction_log=log, make_record=PredictionRecord
    )
    frame = flights(200, world.rng, summer=True)
    truth = delayed(frame, world.rng, summer=True)
    with serving(app) as base, httpx.Client(base_url=base, timeout=30) as client:
        labels = []
        for start in range(0, len(frame), 10):
            records = frame.iloc[start : start + 10].to_dict(orient="records")
            response = client.post("/v1/endpoints/flights/predict", json={"records": records})
            assert response.status_code == 200, response.text
            request_id = response.json()["request_id"]
            labels += [
                {"request_id": request_id, "row_index": i, "label": int(truth[start + i])}
                for i in range(len(records))
            ]
        assert log.flush()
        assert (
            client.post("/v1/endpoints/flights/feedback", json={"labels": labels}).status_code < 300
        )
    ws.monitoring.define("served", MonitorSpec("flights", window="1d"))
    [window] = ws.monitoring.run_due(utcnow() + timedelta(days=1))
    assert window.rows == 200 and window.metrics["requests"] == 20
    assert window.labeled_rows == 200 and window.summary["reference"] == world.train_ref
    assert window.metrics["drift.distance"] > 0.2 and window.metrics["accuracy"] < 0.8
    assert window.metrics["latency_p50"] > 0 and window.metrics["error_rate"] == 0
