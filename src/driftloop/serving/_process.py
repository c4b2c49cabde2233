"""Running the app: one uvicorn worker in-process, or several sharing one listening socket.

Several workers share a socket this module binds with TCP_NODELAY set: accepted
connections inherit it, so no response waits on Nagle's algorithm for the client's
delayed ACK (about 40 ms a request on a reused connection otherwise). The socket is
bound before anything is served, so an address in use is one clear error; workers
stop when their parent dies (``_parent.py``), so none is left holding the port.
"""

from __future__ import annotations

import errno
import json
import os
import socket
from typing import Any

from driftloop.errors import DriftloopError, InvalidInputError, PermissionDeniedError
from driftloop.serving._errors import AddressInUseError
from driftloop.serving._parent import exit_with_parent
from driftloop.serving._settings import ServeSettings
from driftloop.serving._threads import limit_native_threads

SETTINGS_ENV = "DRIFTLOOP_SERVE_SETTINGS"


def listening_socket(host: str, port: int) -> socket.socket:
    """A bound TCP socket with TCP_NODELAY (inherited by every accepted connection).

    Raises:
        AddressInUseError: another process listens on ``host:port``.
        PermissionDeniedError: the port needs privileges (below 1024).
        InvalidInputError: ``host`` is not an address of this machine.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise _bind_error(host, port, exc) from None
    sock.set_inheritable(True)
    return sock


def _bind_error(host: str, port: int, exc: OSError) -> DriftloopError:
    where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    if exc.errno == errno.EADDRINUSE:
        return AddressInUseError(
            f"port {where} is in use by another process (another driftloop serve?); stop "
            "it, or serve on another port with --port"
        )
    if exc.errno == errno.EACCES:
        return PermissionDeniedError(
            f"may not listen on {where}: ports below 1024 need privileges; use --port 1024 "
            "or above (8000 by default)"
        )
    if exc.errno == errno.EADDRNOTAVAIL or isinstance(exc, socket.gaierror):
        return InvalidInputError(
            f"cannot listen on {where}: {host!r} is not an address of this machine; use "
            "--host 127.0.0.1 (this machine only) or 0.0.0.0 (every interface)"
        )
    return InvalidInputError(f"cannot listen on {where}: {exc.strerror or exc}")


def uvicorn_config(app: Any, settings: ServeSettings, **extra: Any) -> Any:
    """A server's ``uvicorn.Config``: its timeouts, and h11 with a deadline on headers."""
    import uvicorn

    from driftloop.serving._protocol import header_timeout_protocol

    return uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        http=header_timeout_protocol(settings.header_timeout_s),
        timeout_keep_alive=int(max(1, settings.keep_alive_s)),
        timeout_graceful_shutdown=int(settings.shutdown_timeout_s),
        log_level="warning",
        access_log=False,
        **extra,
    )


def serve_one(app: Any, settings: ServeSettings, sock: socket.socket) -> None:
    """Serve ``app`` on ``sock`` (see :func:`listening_socket`) in this process until
    SIGINT/SIGTERM (the lifespan drains the log).

    Sets this process's native thread limit (``settings.predict_threads``) first: call it
    before models load, from the thread that is to run the event loop.
    """
    import uvicorn

    limit_native_threads(settings.predict_threads)
    uvicorn.Server(uvicorn_config(app, settings)).run(sockets=[sock])


def serve_many(
    factory: str, settings: ServeSettings, environment: dict[str, str], sock: socket.socket
) -> None:
    """``settings.workers`` processes sharing ``sock``, each building its app with ``factory``.

    ``environment`` is set for the workers; the settings travel in ``DRIFTLOOP_SERVE_SETTINGS``.
    SIGTERM or SIGINT stops every worker (each drains its prediction log) and then returns;
    if this process is killed outright, the workers stop by themselves.
    No ping-based supervisor: a busy machine delaying a worker's answer to a ping must
    not get it killed mid-request (uvicorn's own supervisor does that after 5 s).
    """
    import multiprocessing
    import signal

    sock.listen(2048)
    environment = {**environment, SETTINGS_ENV: settings.model_dump_json()}
    context = multiprocessing.get_context("spawn")
    workers = [
        context.Process(
            target=_worker, args=(factory, environment, sock, os.getpid()), daemon=False
        )
        for _ in range(settings.workers)
    ]
    stopping: list[int] = []

    def stop(signum: int, frame: object) -> None:
        stopping.append(signum)
        for worker in workers:
            if worker.is_alive() and worker.pid is not None:
                os.kill(worker.pid, signal.SIGTERM)

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, stop)
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    sock.close()


def _worker(factory: str, environment: dict[str, str], sock: socket.socket, parent: int) -> None:
    import uvicorn

    exit_with_parent(parent)
    os.environ.update(environment)
    settings = settings_from_environment()
    limit_native_threads(settings.predict_threads)  # before the factory loads any model
    uvicorn.Server(uvicorn_config(factory, settings, factory=True)).run(sockets=[sock])


def settings_from_environment() -> ServeSettings:
    return ServeSettings.model_validate(json.loads(os.environ[SETTINGS_ENV]))
