"""A pipeline on a Ray cluster reached by address: a real head node on 127.0.0.1.

The fixture starts ``ray start --head --block`` (2 CPUs, a 100 MB object store, no
dashboard) in its own process group and stops the group at the end. Its temp folder is
its own, so the head does not become the cluster that a bare ``ray.init()`` elsewhere on
the machine (another test's local Ray) would find and join. Token
authentication is off for this loopback-only test cluster. The run happens in a fresh
process, since a process joins one Ray only (this one may have joined a local Ray).
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


def _env() -> dict[str, str]:
    src = str(Path(dl.__file__).parents[1])
    path = os.pathsep.join([src, os.environ.get("PYTHONPATH", "")])
    return {**os.environ, "PYTHONPATH": path, "RAY_AUTH_MODE": "disabled"}


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="module")
def ray_head(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
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
    head = subprocess.Popen(args, env=_env(), stdout=log, stderr=log, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while not _listening(client_port):
            assert head.poll() is None, "ray start --head exited"
            assert time.monotonic() < deadline, "the Ray head did not come up"
            time.sleep(0.2)  # waiting for another process's port, not for time to pass
        yield f"ray://127.0.0.1:{client_port}"
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
    ray_head: str, sqlite_workspace: dl.Workspace, tmp_path: Path
) -> None:
    code = tmp_path / "code"
    code.mkdir()
    (code / "cluster_flow.py").write_text(textwrap.dedent(FLOW))
    env = {**_env(), "PYTHONPATH": os.pathsep.join([str(code), _env()["PYTHONPATH"]])}
    done = subprocess.run(
        [sys.executable, "-c", RUN, str(sqlite_workspace.root), ray_head],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    import json

    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result == {"status": "succeeded", "error": None, "value": 21}
    [run] = sqlite_workspace.pipelines.list_runs()
    assert run.executor == ray_head
    assert [s.status.value for s in run.steps] == ["succeeded", "succeeded"]
