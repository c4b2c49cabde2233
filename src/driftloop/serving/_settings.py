"""Settings of a server (pydantic at the edge: ``extra="forbid"``, checked when built)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field


class ServeSettings(BaseModel):
    """How ``driftloop serve`` listens, limits requests and watches deployments.

    Example::

        app = create_app(ws, ServeSettings(max_body_bytes=1 << 20, body_timeout_s=5))
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = "127.0.0.1"  # loopback unless told otherwise
    port: Annotated[int, Field(ge=0, le=65535)] = 8000
    workers: Annotated[int, Field(ge=1, le=64)] = 1
    endpoints: tuple[str, ...] | None = None  # None: every endpoint of the workspace
    max_body_bytes: Annotated[int, Field(ge=1024)] = 16 * 1024 * 1024
    body_timeout_s: Annotated[float, Field(gt=0)] = 10.0  # a client slower than this gets a 408
    # A connection whose request line and headers take longer is answered 408 and closed
    # (slowloris); the clock starts on connect, and on a request's first byte after that.
    header_timeout_s: Annotated[float, Field(gt=0)] = 10.0
    keep_alive_s: Annotated[float, Field(gt=0)] = 5.0
    poll_interval_s: Annotated[float, Field(gt=0)] = 1.0  # how often deployments are re-read
    prefer_onnx: bool = True  # run the ONNX form of a version when it has one
    inline_rows: Annotated[int, Field(ge=1)] = 256  # bigger requests predict off the event loop
    # OpenMP/BLAS threads per predict in a server process (0: the libraries' default);
    # set once at startup, see _threads.py for why one.
    predict_threads: Annotated[int, Field(ge=0, le=256)] = 1
    log_predictions: bool = True
    shutdown_timeout_s: Annotated[float, Field(gt=0)] = 30.0
