"""Real processes: many writers on one workspace, and a writer killed with SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import driftloop as dl
from driftloop.testing import temporary_workspace

POSTGRES_URL = os.environ.get("DRIFTLOOP_TEST_POSTGRES_URL")

VALUES_PER_PROCESS = 2_000

_WRITER = textwrap.dedent(
    """
    import sys, driftloop as dl
    dl.set_workspace(dl.Workspace(sys.argv[1], db_url=sys.argv[2]))
    worker = int(sys.argv[3])
    with dl.start_run(experiment="parallel", name=f"worker-{worker}"):
        dl.log_params({"worker": worker, "kind": "load"})
        for i in range(int(sys.argv[4])):
            dl.log_metric("loss", i * 1.0)
            if i % 500 == 0:
                dl.set_tag("progress", i)
                dl.get_workspace().tracking.writer.flush()
    """
)


def _run_writers(root: Path, db_url: str, processes: int) -> None:
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _WRITER, str(root), db_url, str(w), str(VALUES_PER_PROCESS)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for w in range(processes)
    ]
    errors = [p.communicate(timeout=240)[1].decode() for p in procs]
    assert [p.returncode for p in procs] == [0] * processes, "\n".join(errors)
    assert not any("locked" in e for e in errors)


def _check_nothing_lost(root: Path, db_url: str, processes: int) -> None:
    with temporary_workspace(root, db_url=db_url) as ws:
        dl.set_workspace(ws)
        frame = dl.search_runs("parallel")
        assert len(frame) == processes
        assert set(frame["status"]) == {"finished"}
        for run_id in frame["run_id"]:
            history = dl.get_metric_history(run_id, "loss")
            assert [m.step for m in history] == list(range(VALUES_PER_PROCESS))


@pytest.mark.slow
def test_eight_processes_on_one_sqlite_workspace_lose_nothing(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    db_url = f"sqlite:///{root / '.driftloop' / 'driftloop.db'}"
    dl.init_workspace(root).close()
    _run_writers(root, db_url, 8)
    _check_nothing_lost(root, db_url, 8)


@pytest.mark.slow
@pytest.mark.skipif(not POSTGRES_URL, reason="needs DRIFTLOOP_TEST_POSTGRES_URL (set by .ci/run)")
def test_sixteen_processes_on_postgres_lose_nothing(tmp_path: Path) -> None:
    from driftloop.testing import temporary_postgres_database

    assert POSTGRES_URL is not None
    root = tmp_path / "ws"
    with temporary_postgres_database(POSTGRES_URL) as db_url:
        dl.init_workspace(root).close()
        dl.Workspace(root, db_url=db_url).close()  # migrate once, as `driftloop init` would
        _run_writers(root, db_url, 16)
        _check_nothing_lost(root, db_url, 16)


_VICTIM = textwrap.dedent(
    """
    import os, sys, driftloop as dl
    root = sys.argv[1]
    dl.set_workspace(dl.Workspace(root))
    tracking = dl.get_workspace().tracking
    big = os.path.join(root, "big.bin")
    with dl.start_run(experiment="crash", name="victim") as run:
        dl.log_param("p", 1)
        i = 0
        while True:
            for _ in range(1000):
                dl.log_metric("loss", float(i))
                i += 1
            tracking.writer.flush()
            print(f"flushed {i}", flush=True)
            with open(big, "wb") as f:
                f.write(os.urandom(8 * 1024 * 1024))
            dl.log_artifact(big, artifact_path=f"chunk-{i}")
    """
)


@pytest.mark.slow
def test_sigkill_mid_write_leaves_a_consistent_workspace(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    dl.init_workspace(root).close()
    proc = subprocess.Popen(
        [sys.executable, "-c", _VICTIM, str(root)], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert proc.stdout is not None
    flushed = 0
    deadline = time.monotonic() + 120
    while flushed < 5000 and time.monotonic() < deadline:
        line = proc.stdout.readline().decode()
        if not line:
            break
        flushed = int(line.split()[1])
    time.sleep(0.05)  # land the kill somewhere inside the next logging / artifact write
    os.kill(proc.pid, signal.SIGKILL)
    _, stderr = proc.communicate(timeout=30)
    assert flushed >= 5000, stderr.decode()

    with temporary_workspace(root) as ws:
        dl.set_workspace(ws)
        [run_id] = dl.search_runs("crash")["run_id"]
        run = dl.get_run(run_id)
        assert run.status == dl.RunStatus.RUNNING  # shown as not finished
        assert run.params == {"p": "1"}
        assert len(dl.get_metric_history(run_id, "loss")) >= flushed
        for artifact in run.artifacts:  # every visible artifact is whole
            ws.blobs.verify(artifact.digest)
        blob_files = [
            p for p in (root / ".driftloop" / "artifacts" / "blobs").rglob("*") if p.is_file()
        ]
        for path in blob_files:  # no half-written blob under a final name
            ws.blobs.verify(f"blake3:{path.name}")


_FORGETFUL = textwrap.dedent(
    """
    import sys, driftloop as dl
    dl.set_workspace(dl.Workspace(sys.argv[1]))
    dl.start_run(experiment="exit", name="never-ended")
    for i in range(50_000):
        dl.log_metric("loss", float(i))
    """
)


@pytest.mark.slow
def test_values_buffered_at_a_normal_exit_are_written(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    dl.init_workspace(root).close()
    result = subprocess.run(
        [sys.executable, "-c", _FORGETFUL, str(root)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    with temporary_workspace(root) as ws:
        dl.set_workspace(ws)
        [run_id] = dl.search_runs("exit")["run_id"]
        assert dl.get_run(run_id).status == dl.RunStatus.FINISHED
        assert len(dl.get_metric_history(run_id, "loss")) == 50_000
