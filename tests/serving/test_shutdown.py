"""A real server process: SIGTERM loses no logged prediction; SIGKILL leaves no half segment."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from tests.serving.conftest import log_churn_model

import driftloop as dl
from driftloop.store._prediction_rows import PredictionSegmentRow

SERVER = Path(__file__).with_name("log_server.py")
pytestmark = pytest.mark.slow


def start(ws: dl.Workspace, mode: str) -> tuple[subprocess.Popen[str], str]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    child = subprocess.Popen(
        [sys.executable, str(SERVER), str(ws.root), mode],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL if mode == "loop" else None,
        text=True,
        env=env,
    )
    assert child.stdout is not None
    return child, child.stdout.readline().strip()


@pytest.fixture
def ws(sqlite_workspace: dl.Workspace) -> Iterator[dl.Workspace]:
    yield sqlite_workspace


def load(base: str, answered: list[str], stop: threading.Event) -> None:
    with httpx.Client(base_url=base, timeout=10) as client:
        while not stop.is_set():
            try:
                response = client.post("/predict")
            except httpx.HTTPError:
                return  # the server stopped listening
            if response.status_code == 200:
                answered.append(response.json()["request_id"])


def test_sigterm_during_load_loses_no_logged_prediction(ws: dl.Workspace) -> None:
    child, port = start(ws, "serve")
    answered: list[str] = []
    stop = threading.Event()
    clients = [
        threading.Thread(target=load, args=(f"http://127.0.0.1:{port}", answered, stop))
        for _ in range(4)
    ]
    try:
        for c in clients:
            c.start()
        while len(answered) < 400 and child.poll() is None:
            stop.wait(0.01)
        child.send_signal(signal.SIGTERM)  # mid-load: clients keep sending
        # uvicorn shuts down gracefully, then re-raises the signal it caught.
        assert child.wait(timeout=60) in (0, -signal.SIGTERM)
    finally:
        stop.set()
        for c in clients:
            c.join(10)
        child.kill()
        child.stdout.close()  # type: ignore[union-attr]
    logged = ws.predictions.relation("flights").aggregate("request_id, count(*) AS n").fetchall()
    rows = dict(logged)
    assert len(answered) >= 400
    assert set(answered) <= set(rows), "an answered request is missing from the log"
    assert set(rows.values()) == {3}  # every row of every request, once


def test_sigkill_mid_write_leaves_only_complete_indexed_segments(ws: dl.Workspace) -> None:
    child, _ = start(ws, "loop")
    stop = threading.Event()
    try:
        for _ in range(3000):
            with ws.store.read() as session:
                if session.scalar(select(func.count(PredictionSegmentRow.id))) >= 20:
                    break
            stop.wait(0.01)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        child.kill()
        child.stdout.close()  # type: ignore[union-attr]
    with ws.store.read() as session:
        segments = session.execute(
            select(PredictionSegmentRow.digest, PredictionSegmentRow.row_count)
        ).all()
    assert len(segments) >= 20
    counted = ws.predictions.relation("flights").count("*").fetchall()
    assert counted == [(sum(n for _, n in segments),)]
    for digest, _ in segments:
        ws.blobs.verify(digest)  # complete bytes behind every index row


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def predict_load(base: str, answered: list[str], stop: threading.Event) -> None:
    rows = {"records": [{"age": 30.0 + i, "tenure": i} for i in range(4)]}
    with httpx.Client(base_url=base, timeout=10) as client:
        while not stop.is_set():
            try:
                response = client.post("/v1/endpoints/churn/predict", json=rows)
            except httpx.HTTPError:
                return
            if response.status_code == 200:
                answered.append(response.json()["request_id"])


def test_sigterm_of_driftloop_serve_under_load_loses_no_logged_prediction(
    ws: dl.Workspace,
) -> None:
    log_churn_model(ws, onnx=False)
    ws.serving.deploy("churn", "churn@1")
    port = free_port()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path), DRIFTLOOP_HOME=str(ws.root))
    child = subprocess.Popen(
        [sys.executable, "-m", "driftloop", "serve", "--port", str(port)],
        env=env,
        cwd=ws.root,
        stdout=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    answered: list[str] = []
    stop = threading.Event()
    clients = [threading.Thread(target=predict_load, args=(base, answered, stop)) for _ in range(4)]
    try:
        for _ in range(6000):
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/v2/health/ready", timeout=1).status_code == 200:
                    break
            stop.wait(0.01)
        for c in clients:
            c.start()
        while len(answered) < 300 and child.poll() is None:
            stop.wait(0.01)
        child.send_signal(signal.SIGTERM)
        assert child.wait(timeout=60) in (0, -signal.SIGTERM)
    finally:
        stop.set()
        child.kill()
    for c in clients:
        if c.ident is not None:
            c.join(10)
    rows = dict(ws.predictions.relation("churn").aggregate("request_id, count(*)").fetchall())
    assert len(answered) >= 300
    assert set(answered) <= set(rows), "an answered request is missing from the log"
    assert {rows[r] for r in answered} == {4}
