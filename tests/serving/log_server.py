"""A real server process for the shutdown tests: each POST logs one prediction record.

Run as ``python log_server.py WORKSPACE MODE``; prints its port, then serves until
SIGTERM (MODE ``serve``), or keeps logging in a loop until killed (MODE ``loop``).
"""

from __future__ import annotations

import socket
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import pyarrow as pa
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

import driftloop as dl
from driftloop.serving import PredictionLogWriter, PredictionRecord


def make(request_id: str, rows: int) -> PredictionRecord:
    return PredictionRecord(
        request_id=request_id,
        ts=datetime.now(UTC),
        endpoint="flights",
        deployment_version=1,
        model_name="flight-delays",
        model_version=1,
        route="primary",
        status=200,
        latency_ms=0.5,
        inputs=pa.table({"distance": [float(i) for i in range(rows)]}),
        outputs=pa.table({"prediction": [1] * rows}),
    )


def serve(ws: dl.Workspace) -> None:
    writer = PredictionLogWriter(ws.blobs, ws.store, segment_rows=200, max_age=timedelta(hours=1))

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        writer.start()
        yield
        writer.close()  # uvicorn runs this on SIGTERM, after in-flight requests

    async def predict(request: Request) -> JSONResponse:
        request_id = uuid.uuid4().hex
        if not writer.submit(make(request_id, 3)):
            return JSONResponse({"error": "log queue full"}, 503)
        return JSONResponse({"request_id": request_id})

    app = Starlette(routes=[Route("/predict", predict, methods=["POST"])], lifespan=lifespan)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    print(sock.getsockname()[1], flush=True)
    uvicorn.Server(uvicorn.Config(app, log_level="warning")).run(sockets=[sock])


def loop(ws: dl.Workspace) -> None:
    writer = PredictionLogWriter(ws.blobs, ws.store, segment_rows=5, max_queue=100_000).start()
    print(0, flush=True)
    while True:
        writer.submit(make(uuid.uuid4().hex, 1))


if __name__ == "__main__":
    workspace = dl.Workspace(sys.argv[1])
    serve(workspace) if sys.argv[2] == "serve" else loop(workspace)
