"""The header deadline: a client trickling (or never sending) its headers gets a 408 and is
closed, on a fresh or a kept-alive connection, while everyone else is answered as usual."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
import uvicorn
from tests.serving.conftest import Server

from driftloop.serving import ServeSettings
from driftloop.serving._app import create_app
from driftloop.serving._process import uvicorn_config

TIMEOUT = 0.5
PREDICT = "/v1/endpoints/churn/predict"
ROW = {"records": [{"age": 30.0, "tenure": 2}]}


@contextmanager
def _serving(settings: ServeSettings, app: object) -> Iterator[str]:
    # The same uvicorn.Config `driftloop serve` builds, on a free port.
    server = uvicorn.Server(uvicorn_config(app, settings))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            assert thread.is_alive(), "the server did not start"
            thread.join(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture(scope="module")
def address(served: Server) -> Iterator[str]:
    settings = ServeSettings(port=0, header_timeout_s=TIMEOUT, log_predictions=False)
    with _serving(settings, create_app(served.state.workspace, settings)) as address:
        yield address


def _connect(address: str) -> socket.socket:
    host, port = address.split(":")
    return socket.create_connection((host, int(port)), timeout=10)


def _read_until_closed(sock: socket.socket) -> bytes:
    answer = b""
    while chunk := sock.recv(4096):
        answer += chunk
    return answer


def _read_response(sock: socket.socket) -> bytes:
    """One response with a content-length, leaving the connection open."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(4096)
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1])
        for line in head.lower().split(b"\r\n")
        if b"content-length" in line
    )
    while len(body) < length:
        body += sock.recv(4096)
    return head + b"\r\n\r\n" + body


@contextmanager
def _trickle(sock: socket.socket, data: bytes, every_s: float = 0.05) -> Iterator[None]:
    """Sends ``data`` a byte at a time in the background (as long as the socket takes it)."""
    stop = threading.Event()

    def send() -> None:
        for byte in data:
            if stop.wait(every_s):
                return
            try:
                sock.send(bytes([byte]))
            except OSError:
                return  # the server closed the connection

    thread = threading.Thread(target=send, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(5)


# Never complete: 40 s at 50 ms a byte, far past the deadline.
ENDLESS = b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 800


def test_headers_sent_a_byte_at_a_time_get_a_408_and_others_are_served_meanwhile(
    address: str,
) -> None:
    with _connect(address) as sock, _trickle(sock, ENDLESS):
        started = time.monotonic()
        with httpx.Client(base_url=f"http://{address}", timeout=10) as client:
            for _ in range(3):  # another client, answered while the slow one trickles
                assert client.get("/health").status_code == 200
                assert client.post(PREDICT, json=ROW).status_code == 200
        answer = _read_until_closed(sock)  # returns once the server closes the connection
        waited = time.monotonic() - started
    assert answer.startswith(b"HTTP/1.1 408 Request Timeout"), answer
    assert b"connection: close" in answer.lower()
    assert b'"code":"REQUEST_TIMEOUT"' in answer
    assert b"did not arrive within 0.5 s" in answer
    assert TIMEOUT * 0.8 < waited < TIMEOUT + 2.5


def test_a_connection_that_sends_nothing_gets_a_408_and_is_closed(address: str) -> None:
    with _connect(address) as sock:
        started = time.monotonic()
        answer = _read_until_closed(sock)
        waited = time.monotonic() - started
    assert answer.startswith(b"HTTP/1.1 408"), answer
    assert waited < TIMEOUT + 2.5


def test_a_kept_alive_connection_trickling_its_second_request_gets_a_408(address: str) -> None:
    with _connect(address) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        assert _read_response(sock).startswith(b"HTTP/1.1 200")
        time.sleep(TIMEOUT * 1.5)  # idle under keep-alive (5 s): the header clock is not running
        with _trickle(sock, ENDLESS):
            started = time.monotonic()
            answer = _read_until_closed(sock)
            waited = time.monotonic() - started
    assert answer.startswith(b"HTTP/1.1 408"), answer
    # Timed from the second request's first byte, not from the first response.
    assert TIMEOUT * 0.8 < waited < TIMEOUT + 2.5


def test_a_client_sending_its_headers_at_once_keeps_its_connection_across_pauses(
    address: str,
) -> None:
    request = b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
    with _connect(address) as sock:
        for _ in range(3):  # one connection, pauses longer than the header deadline between
            sock.sendall(request)
            assert _read_response(sock).startswith(b"HTTP/1.1 200")
            time.sleep(TIMEOUT * 1.5)
    with httpx.Client(base_url=f"http://{address}", timeout=10) as client:
        assert client.post(PREDICT, json=ROW).json()["predictions"] in ([0], [1])


def test_headers_completed_within_the_deadline_are_answered(address: str) -> None:
    request = b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
    with _connect(address) as sock, _trickle(sock, request, every_s=TIMEOUT / len(request) / 2):
        assert _read_response(sock).startswith(b"HTTP/1.1 200")
