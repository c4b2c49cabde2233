"""An online store that cannot be reached, or goes away: BackendUnavailableError."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from driftloop.errors import BackendUnavailableError
from driftloop.features._redis import RedisOnlineStore
from driftloop.features._sqlite import SqliteOnlineStore


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A Redis server of this test alone, so the test can stop it."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("needs redis-server on PATH")
    port = _free_port()
    server = subprocess.Popen(
        [binary, "--port", str(port), "--save", "", "--appendonly", "no", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    try:
        yield f"redis://:s3cret-not-shown@127.0.0.1:{port}/0", server
    finally:
        server.kill()
        server.wait()


def test_redis_at_a_closed_port_is_backend_unavailable() -> None:
    store = RedisOnlineStore(f"redis://127.0.0.1:{_free_port()}/0")
    with pytest.raises(BackendUnavailableError, match="cannot reach the online store") as err:
        store.read("v", ['["a"]'])
    assert "DRIFTLOOP_ONLINE_URL" in str(err.value) and err.value.__cause__ is not None


def test_redis_that_goes_away_later_is_backend_unavailable(
    own_redis: tuple[str, subprocess.Popen[bytes]],
) -> None:
    url, server = own_redis
    # no password is configured on the server: redis-py sends AUTH only when asked to
    store = RedisOnlineStore(url.replace(":s3cret-not-shown@", ""))
    store.write("v", [('["a"]', 1.0, '{"f": 1}')])
    assert store.read("v", ['["a"]']) == [(1.0, '{"f": 1}')]
    server.kill()
    server.wait()
    for call in (
        lambda: store.read("v", ['["a"]']),
        lambda: store.read("v", ['["a"]', '["b"]']),
        lambda: store.write("v", [('["b"]', 2.0, "{}")]),
        lambda: store.delete_view("v"),
    ):
        with pytest.raises(BackendUnavailableError, match="cannot reach the online store"):
            call()
    store.close()


def test_redis_password_never_shown() -> None:
    url = f"redis://:s3cret-not-shown@127.0.0.1:{_free_port()}/0"
    with pytest.raises(BackendUnavailableError) as err:
        RedisOnlineStore(url).read("v", ['["a"]'])
    assert "s3cret" not in str(err.value) and ":***@127.0.0.1" in str(err.value)


def test_a_damaged_sqlite_online_file_is_backend_unavailable(tmp_path: Path) -> None:
    path = tmp_path / "online.db"
    store = SqliteOnlineStore(f"sqlite:///{path}")
    store.write("v", [('["a"]', 1.0, "{}")])
    store.close()
    for file in tmp_path.glob("online.db*"):
        file.write_bytes(b"garbage " * 2000)
    again = SqliteOnlineStore(f"sqlite:///{path}")
    with pytest.raises(BackendUnavailableError, match=r"online store .* is unavailable") as err:
        again.read("v", ['["a"]'])
    assert "features materialize" in str(err.value)
    again.close()
