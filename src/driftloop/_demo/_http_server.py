"""A real uvicorn server on 127.0.0.1 on a free port, in a thread, for the demo."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn


def _run_single_threaded(server: uvicorn.Server, sock: socket.socket) -> None:
    # Small requests are predicted on the event loop's thread: one OpenMP thread there,
    # so a one-flight request does not wake (and wait for) a team of threads. On a busy
    # two-core machine the team made a one-row HistGradientBoosting predict ~20x slower.
    from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

    with threadpool_limits(limits=1, user_api="openmp"):
        server.run(sockets=[sock])


@contextmanager
def serving(app: Any, startup_timeout_s: float = 60.0) -> Iterator[str]:
    """Serve ``app`` until the block ends (then shut down cleanly); yields its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(
        target=_run_single_threaded,
        args=(server, sock),
        name="driftloop-demo-server",
        daemon=True,
    )
    thread.start()
    waited = threading.Event()
    for _ in range(int(startup_timeout_s / 0.01)):
        if server.started or not thread.is_alive():
            break
        waited.wait(0.01)
    if not server.started:
        server.should_exit = True
        thread.join(5)
        sock.close()
        raise RuntimeError("the demo's server did not start")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True  # lifespan shutdown drains the prediction log
        thread.join(120)
        sock.close()
