"""Serving processes: the listening socket sets TCP_NODELAY; several workers answer fast;
native thread pools are limited in each worker; slow headers are timed out; workers stop
when their parent is killed."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from tests.serving.conftest import churn_frame, log_churn_model

import driftloop as dl


def test_the_listening_socket_and_its_connections_have_nagle_off() -> None:
    from driftloop.serving._process import listening_socket

    server = listening_socket("127.0.0.1", 0)
    try:
        server.listen(1)
        assert server.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
        with socket.create_connection(server.getsockname()) as client:
            accepted, _ = server.accept()
            with accepted:
                # Accepted connections inherit it: no 40 ms wait for a delayed ACK.
                assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
            assert client is not None
    finally:
        server.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_two_workers_answer_a_reused_connection_without_nagle_delays(
    sqlite_workspace: dl.Workspace,
) -> None:
    log_churn_model(sqlite_workspace)
    sqlite_workspace.serving.deploy("churn", "churn@1")
    port = _free_port()
    cli = Path(sys.executable).parent / "driftloop"
    env = {**os.environ, "DRIFTLOOP_HOME": str(sqlite_workspace.root)}
    process = subprocess.Popen(
        [str(cli), "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=url, timeout=10) as client:
            deadline = time.monotonic() + 240  # worker processes import everything anew
            while True:
                try:
                    if client.get("/v2/health/ready").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, "the workers did not come up"
                assert process.poll() is None, "driftloop serve exited"
                time.sleep(0.1)
            body = {"records": [{"age": 30.0, "tenure": 2}]}
            times = []
            for _ in range(30):  # one keep-alive connection, request after request
                started = time.perf_counter()
                assert client.post("/v1/endpoints/churn/predict", json=body).status_code == 200
                times.append(time.perf_counter() - started)
        # Nagle's algorithm with the client's delayed ACK costs every request on a reused
        # connection ~40 ms; the fastest shows it whatever else the machine is doing.
        assert min(times) < 0.02, times
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()


def _start(
    root: Path, port: int, *extra: str, env_drop: tuple[str, ...] = ()
) -> subprocess.Popen[bytes]:
    cli = Path(sys.executable).parent / "driftloop"
    env = {k: v for k, v in os.environ.items() if k not in env_drop}
    env["DRIFTLOOP_HOME"] = str(root)
    return subprocess.Popen(
        [str(cli), "serve", "--port", str(port), *extra],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _wait_ready(client: httpx.Client, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 240
    while True:
        try:
            if client.get("/v2/health/ready").status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, "the server did not come up"
        assert process.poll() is None, "driftloop serve exited"
        time.sleep(0.1)


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_sigterm_after_traffic_loses_no_logged_prediction(
    sqlite_workspace: dl.Workspace,
) -> None:
    log_churn_model(sqlite_workspace)
    sqlite_workspace.serving.deploy("churn", "churn@1")
    port = _free_port()
    process = _start(sqlite_workspace.root, port)
    sent = []
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            _wait_ready(client, process)
            for i in range(200):
                body = {"records": [{"age": 20.0 + i % 40, "tenure": i % 10}] * (1 + i % 3)}
                answer = client.post("/v1/endpoints/churn/predict", json=body)
                assert answer.status_code == 200
                sent.append((answer.json()["request_id"], 1 + i % 3))
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(60)
    log = sqlite_workspace.predictions.relation("churn").df()
    rows = log.groupby("request_id").size().to_dict()
    assert rows == dict(sent)  # every request, every row, written on the way out


def _log_hgb_model(ws: dl.Workspace) -> None:
    from sklearn.ensemble import HistGradientBoostingClassifier

    frame, label = churn_frame()
    run_id = ws.tracking.create_run("churn")
    model = HistGradientBoostingClassifier(max_iter=20).fit(frame, label)
    ws.registry.log_model(
        run_id, model, "churn", register=True, input_example=frame.head(5), onnx=False
    )
    ws.tracking.end_run(run_id)
    ws.serving.deploy("churn", "churn@1")


def _native_threads(client: httpx.Client) -> dict[str, float]:
    found = {}
    for line in client.get("/metrics").text.splitlines():
        if line.startswith("driftloop_native_threads{"):
            api = line.split('api="')[1].split('"')[0]
            found[api] = float(line.rsplit(" ", 1)[1])
    return found


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_serve_runs_predicts_on_the_native_threads_it_is_given_and_times_out_slow_headers(
    sqlite_workspace: dl.Workspace,
) -> None:
    _log_hgb_model(sqlite_workspace)
    port = _free_port()
    threads = (os.cpu_count() or 1) + 1  # never the libraries' default (one per core)
    process = _start(
        sqlite_workspace.root,
        port,
        "--predict-threads",
        str(threads),
        "--header-timeout",
        "0.5",
        env_drop=("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"),
    )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            _wait_ready(client, process)
            body = {"records": [{"age": 30.0, "tenure": 2}]}
            assert client.post("/v1/endpoints/churn/predict", json=body).status_code == 200
            # The event loop's thread, where a one-row request is predicted.
            assert _native_threads(client) == {"openmp": threads, "blas": threads}
            with socket.create_connection(("127.0.0.1", port), timeout=10) as slow:
                slow.sendall(b"POST /v1/endpoints/churn/predict HTTP/1.1\r\nHost: x\r\n")
                answer = b""
                while chunk := slow.recv(4096):
                    answer += chunk
            assert answer.startswith(b"HTTP/1.1 408"), answer
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(60)


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_each_worker_predicts_on_one_native_thread_by_default(
    sqlite_workspace: dl.Workspace,
) -> None:
    _log_hgb_model(sqlite_workspace)
    port = _free_port()
    process = _start(
        sqlite_workspace.root,
        port,
        "--workers",
        "2",
        env_drop=("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"),
    )
    try:
        # A fresh connection each time, so both workers answer sooner or later.
        url = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=url, timeout=30) as client:
            _wait_ready(client, process)
        seen = []
        for _ in range(20):
            with httpx.Client(base_url=url, timeout=30) as client:
                body = {"records": [{"age": 30.0, "tenure": 2}]}
                assert client.post("/v1/endpoints/churn/predict", json=body).status_code == 200
                seen.append(_native_threads(client))
        assert all(s == {"openmp": 1, "blas": 1} for s in seen), seen
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(60)


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue  # gone meanwhile
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _is_running(pid: int) -> bool:
    """Alive and not a zombie (an orphan's zombie waits for whoever adopted it)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _gone_within(pids: list[int], seconds: float) -> list[int]:
    deadline = time.monotonic() + seconds
    while (alive := [p for p in pids if _is_running(p)]) and time.monotonic() < deadline:
        time.sleep(0.05)
    return alive


@pytest.mark.slow
@pytest.mark.timeout(600)
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from /proc")
def test_workers_stop_when_their_parent_is_killed_and_free_the_port(
    sqlite_workspace: dl.Workspace,
) -> None:
    log_churn_model(sqlite_workspace)
    sqlite_workspace.serving.deploy("churn", "churn@1")
    port = _free_port()
    process = _start(sqlite_workspace.root, port, "--workers", "2")
    sent, workers = [], []
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            _wait_ready(client, process)
            for _ in range(10):
                answer = client.post(
                    "/v1/endpoints/churn/predict", json={"records": [{"age": 30.0, "tenure": 2}]}
                )
                assert answer.status_code == 200
                sent.append(answer.json()["request_id"])
        workers = _children(process.pid)
        assert len(workers) >= 2
        process.kill()  # SIGKILL: the parent gets no chance to stop its workers
        process.wait(10)
        started = time.monotonic()
        assert _gone_within(workers, 20) == []
        stopped_after = time.monotonic() - started
    finally:
        process.kill()
        for pid in workers:  # orphans, if they outlived their parent after all
            if _is_running(pid):
                os.kill(pid, signal.SIGKILL)
    assert stopped_after < 10
    from driftloop.serving._process import listening_socket

    listening_socket("127.0.0.1", port).close()  # nobody holds the port any more
    logged = sqlite_workspace.predictions.relation("churn").df()
    assert set(sent) <= set(logged["request_id"])  # each worker drained its log on the way out


def test_a_process_whose_parent_dies_is_sent_sigterm_without_the_kernel_asked(
    tmp_path: Path,
) -> None:
    # The portable half of a worker's watch (the poll of getppid), alone: a child starts
    # a grandchild that watches it, and the child is SIGKILLed.
    grandchild = (
        "import os, sys, time\n"
        "from driftloop.serving._parent import watch_parent\n"
        "print(os.getpid(), flush=True)\n"
        "watch_parent(int(sys.argv[1]), 0.05)\n"
        "time.sleep(60)\n"
        "sys.exit(3)  # never reached: SIGTERM ends it first\n"
    )
    child = (
        "import os, subprocess, sys, time\n"
        f"subprocess.Popen([sys.executable, '-c', {grandchild!r}, str(os.getpid())])\n"
        "time.sleep(120)\n"
    )
    middle = subprocess.Popen([sys.executable, "-c", child], stdout=subprocess.PIPE, text=True)
    assert middle.stdout is not None
    watcher = int(middle.stdout.readline())
    try:
        assert _is_running(watcher)
        middle.kill()
        middle.wait(10)
        assert _gone_within([watcher], 10) == []
    finally:
        middle.stdout.close()
        if _is_running(watcher):
            os.kill(watcher, signal.SIGKILL)
