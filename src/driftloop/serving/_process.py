"""Running the app: one uvicorn worker in-process, or several sharing one listening socket.

Several workers share a socket this module binds with TCP_NODELAY set: accepted
connections inherit it, so no response waits on Nagle's algorithm for the client's
delayed ACK (about 40 ms a request on a reused connection otherwise).
"""

from __future__ import annotations

import json
import os
import socket
from typing import Any

from driftloop.serving._settings import ServeSettings

SETTINGS_ENV = "DRIFTLOOP_SERVE_SETTINGS"


def listening_socket(host: str, port: int) -> socket.socket:
    """A bound TCP socket with TCP_NODELAY (inherited by every accepted connection)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


def _config(app: Any, settings: ServeSettings, **extra: Any) -> Any:
    import uvicorn

    return uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        timeout_keep_alive=int(max(1, settings.keep_alive_s)),
        timeout_graceful_shutdown=int(settings.shutdown_timeout_s),
        log_level="warning",
        access_log=False,
        **extra,
    )


def serve_one(app: Any, settings: ServeSettings) -> None:
    """Serve ``app`` in this process until SIGINT/SIGTERM (the lifespan drains the log)."""
    import uvicorn

    sock = listening_socket(settings.host, settings.port)
    uvicorn.Server(_config(app, settings)).run(sockets=[sock])


def serve_many(factory: str, settings: ServeSettings, environment: dict[str, str]) -> None:
    """``settings.workers`` processes, each building its app with ``factory`` (an import path).

    ``environment`` is set for the workers; the settings travel in ``DRIFTLOOP_SERVE_SETTINGS``.
    """
    from uvicorn.supervisors import Multiprocess

    os.environ.update(environment)
    os.environ[SETTINGS_ENV] = settings.model_dump_json()
    config = _config(factory, settings, factory=True, workers=settings.workers)
    sock = listening_socket(settings.host, settings.port)
    Multiprocess(config, sockets=[sock]).run()


def settings_from_environment() -> ServeSettings:
    return ServeSettings.model_validate(json.loads(os.environ[SETTINGS_ENV]))
