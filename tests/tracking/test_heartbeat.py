"""Run heartbeats: a run whose process was killed reads as killed; a live one never does."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import datetime, timedelta

import driftloop as dl
from driftloop.store import utcnow
from driftloop.tracking._heartbeat import STALE_AFTER, Heartbeat
from driftloop.tracking._service import TrackingService

_CHILD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    import driftloop as dl
    ws = dl.Workspace(Path(sys.argv[1]), db_url=sys.argv[2])
    dl.set_workspace(ws)
    run = dl.start_run(name="doomed")
    dl.log_metric("loss", 0.5)
    dl.get_run(run.id)  # flushes the metric
    print(run.id, flush=True)
    time.sleep(600)
    """
)


class _Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _later() -> datetime:
    return utcnow() + STALE_AFTER + timedelta(minutes=1)


def test_a_sigkilled_run_reads_as_killed(workspace: dl.Workspace) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(workspace.root), workspace.store.url],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ},
    )
    try:
        assert child.stdout is not None
        run_id = child.stdout.readline().strip()
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(30)
        if child.stdout is not None:
            child.stdout.close()
    assert run_id, "the child did not start its run"
    # just killed: its last beat is fresh, so it is still running for a while
    assert workspace.tracking.get_run(run_id).status is dl.RunStatus.RUNNING
    later = TrackingService(workspace.store, workspace.blobs, "reader", clock=_Clock(_later()))
    try:
        run = later.get_run(run_id)
    finally:
        later.close()
    assert run.status is dl.RunStatus.KILLED and run.metrics == {"loss": 0.5}
    assert run.end_time is not None and run.end_time >= run.start_time
    # the sweep is stored: every reader (search, `runs list`) now sees it killed
    frame = dl.search_runs()
    assert frame.loc[frame["run_id"] == run_id, "status"].tolist() == ["killed"]


def test_a_live_run_keeps_beating_and_is_never_swept(workspace: dl.Workspace) -> None:
    clock = _Clock(utcnow())
    service = TrackingService(workspace.store, workspace.blobs, "me", clock=clock)
    try:
        run_id = service.create_run("exp")
        clock.now = _later()
        service.heartbeat.beat()
        reader = TrackingService(
            workspace.store,
            workspace.blobs,
            "reader",
            clock=_Clock(clock.now + timedelta(seconds=1)),
        )
        try:
            assert reader.get_run(run_id).status is dl.RunStatus.RUNNING
        finally:
            reader.close()
        service.end_run(run_id)
        assert service.get_run(run_id).status is dl.RunStatus.FINISHED
    finally:
        service.close()


def test_a_swept_run_that_beats_again_is_running(workspace: dl.Workspace) -> None:
    clock = _Clock(utcnow())
    paused = TrackingService(workspace.store, workspace.blobs, "me", clock=clock)
    try:
        run_id = paused.create_run("exp")
        reader = TrackingService(workspace.store, workspace.blobs, "r", clock=_Clock(_later()))
        try:
            assert reader.get_run(run_id).status is dl.RunStatus.KILLED
        finally:
            reader.close()
        clock.now = _later()  # the laptop wakes up: the next beat revives the run
        paused.heartbeat.beat()
        assert workspace.tracking.get_run(run_id).status is dl.RunStatus.RUNNING
        paused.end_run(run_id)
    finally:
        paused.close()


def test_the_heartbeat_thread_beats_and_stops_on_close(workspace: dl.Workspace) -> None:
    start = utcnow()
    clock = _Clock(start)
    service = TrackingService(workspace.store, workspace.blobs, "me", clock=clock)
    run_id = service.create_run("exp")
    service.close()
    beating = Heartbeat(workspace.store, clock, interval_s=0.02)
    try:
        beating.add(run_id)
        clock.now = start + timedelta(hours=1)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if _heartbeat_at(workspace, run_id) == clock.now:
                break
            time.sleep(0.02)
        assert _heartbeat_at(workspace, run_id) == clock.now
    finally:
        beating.close()
    clock.now = start + timedelta(hours=2)
    time.sleep(0.1)
    assert _heartbeat_at(workspace, run_id) == start + timedelta(hours=1)


def _heartbeat_at(workspace: dl.Workspace, run_id: str) -> datetime | None:
    from driftloop.store import RunRow

    with workspace.store.read() as session:
        row = session.get(RunRow, run_id)
        assert row is not None
        return row.heartbeat_at
