"""A pipeline on a Ray cluster reached by address: a real head node on 127.0.0.1.

The fixture starts ``ray start --head --block`` (2 CPUs, a 100 MB object store, no
dashboard) in its own process group and stops the group at the end. Its temp folder is
its own, so the head does not become the cluster that a bare ``ray.init()`` elsewhere on
the machine (another test's local Ray) would find and join. Token
authentication is off for this loopback-only test cluster. The run happens in a fresh
process, since a process joins one Ray only (this one may have joined a local Ray).

Ray's client proxy forks a server process for each client from a process full of gRPC
threads; with gRPC's fork handlers on, that child sometimes crashed before it ran
(SIGSEGV or SIGABRT, 3 of 14 connections while a local Ray started beside the head, 0 of
24 with them off), so the head runs with ``GRPC_ENABLE_FORK_SUPPORT=0``. The one failed
start the test wants is injected instead: a ``sitecustomize`` on the head's path ends the
first per-client server while a marker file exists, and the client must try again.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import driftloop as dl

pytestmark = pytest.mark.slow  # a Ray head node and a client process

FLOW = """
import driftloop as dl

@dl.step(cpus=1)
def first() -> int:
    return 20

@dl.step
def second(x: int) -> int:
    return x + 1

@dl.pipeline
def chain():
    second(first())
"""

RUN = """
import json, sys
import driftloop as dl
import cluster_flow
with dl.Workspace(sys.argv[1]) as ws:
    run = ws.pipelines.run(cluster_flow.chain, executor=sys.argv[2])
    value = ws.pipelines.load_output(run.id, "second") if run.succeeded else None
    print(json.dumps({"status": run.status.value, "error": run.error, "value": value}))
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# Imported by every Python process of the head: the first per-client server started
# while the marker exists ends at once, as a crashed one does.
FAIL_ONE_CLIENT_SERVER = """
import os

def _fail_one_client_server() -> None:
    marker = os.environ.get("DRIFTLOOP_TEST_FAIL_CLIENT_SERVER")
    with open("/proc/self/cmdline", "rb") as f:
        argv = f.read().split(b"\\0")
    if not marker or b"--mode=specific-server" not in argv:
        return
    try:
        os.remove(marker)  # one process wins the marker, and only once
    except FileNotFoundError:
        return
    os._exit(3)

_fail_one_client_server()
"""


def _env() -> dict[str, str]:
    src = str(Path(dl.__file__).parents[1])
    path = os.pathsep.join([src, os.environ.get("PYTHONPATH", "")])
    return {**os.environ, "PYTHONPATH": path, "RAY_AUTH_MODE": "disabled"}


@dataclass(frozen=True)
class RayHead:
    address: str
    fail_next_client_server: Path  # exists: the next per-client server start fails
    logs: Path

    def client_server_logs(self) -> str:
        """The client proxy's and per-client servers' logs, for a failure's message."""
        parts = [f"== {p.name}\n{p.read_text()[-2000:]}" for p in
                 sorted(self.logs.glob("ray_client_server*.err"))]  # fmt: skip
        return "\n".join(parts)


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="module")
def ray_head(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RayHead]:
    hooks = tmp_path_factory.mktemp("ray-hooks")
    (hooks / "sitecustomize.py").write_text(FAIL_ONE_CLIENT_SERVER)
    marker = hooks / "fail-next-client-server"
    env = {
        **_env(),
        "PYTHONPATH": os.pathsep.join([str(hooks), _env()["PYTHONPATH"]]),
        "DRIFTLOOP_TEST_FAIL_CLIENT_SERVER": str(marker),
        "GRPC_ENABLE_FORK_SUPPORT": "0",  # see the module docstring
        # A refused handshake reaches the client after this wait (30 s by default) and
        # about 30 s more. The wait also bounds a healthy server's start (a Python process
        # importing Ray): with 3 s, a loaded 2-core box refused the retry's healthy server
        # too (it logged its start 0.2 s before the proxy gave up on it); 10 s is slack.
        "RAY_CLIENT_SERVER_CHECK_CHANNEL_TIMEOUT_S": "10",
    }
    client_port = _free_port()
    ray = Path(sys.executable).with_name("ray")
    # Short: Ray puts unix sockets under it, and socket paths are limited to ~107 bytes.
    temp = Path(tempfile.mkdtemp(prefix="dlray-", dir="/tmp"))
    args = [str(ray), "start", "--head", "--block", "--num-cpus=2",
            "--object-store-memory=100000000", "--include-dashboard=false",
            "--disable-usage-stats", f"--port={_free_port()}",
            f"--ray-client-server-port={client_port}",
            f"--dashboard-agent-listen-port={_free_port()}", f"--temp-dir={temp}"]  # fmt: skip
    log = (tmp_path_factory.mktemp("ray-head") / "head.log").open("wb")
    head = subprocess.Popen(args, env=env, stdout=log, stderr=log, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while not _listening(client_port):
            assert head.poll() is None, "ray start --head exited"
            assert time.monotonic() < deadline, "the Ray head did not come up"
            time.sleep(0.2)  # waiting for another process's port, not for time to pass
        yield RayHead(f"ray://127.0.0.1:{client_port}", marker, temp / "session_latest" / "logs")
    finally:
        for signum in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(head.pid, signum)
            except ProcessLookupError:
                break
            try:
                head.wait(timeout=15)
            except subprocess.TimeoutExpired:
                continue
        log.close()
        shutil.rmtree(temp, ignore_errors=True)


def test_a_pipeline_runs_on_a_ray_cluster_given_by_address(
    ray_head: RayHead, sqlite_workspace: dl.Workspace, tmp_path: Path
) -> None:
    # The cluster refuses the first handshake, as when its client server crashes starting.
    ray_head.fail_next_client_server.touch()
    code = tmp_path / "code"
    code.mkdir()
    (code / "cluster_flow.py").write_text(textwrap.dedent(FLOW))
    env = {**_env(), "PYTHONPATH": os.pathsep.join([str(code), _env()["PYTHONPATH"]])}
    done = subprocess.run(
        [sys.executable, "-c", RUN, str(sqlite_workspace.root), ray_head.address],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:] + ray_head.client_server_logs()
    import json

    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result == {"status": "succeeded", "error": None, "value": 21}
    assert not ray_head.fail_next_client_server.exists(), "the refused handshake never happened"
    [run] = sqlite_workspace.pipelines.list_runs()
    assert run.executor == ray_head.address
    assert [s.status.value for s in run.steps] == ["succeeded", "succeeded"]
