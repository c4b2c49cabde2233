"""Real processes: two schedulers at once and a restarted one fire each due event once.

Each process is a real Python interpreter on the same workspace (SQLite file or
PostgreSQL database) with an injected clock; the target writes a line per start, so
a double firing would show as a repeated line whichever process made it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

import driftloop as dl

from ._trigger_fixtures import Recorder

HELPER = Path(__file__).with_name("_scheduler_process.py")
pytestmark = pytest.mark.slow


def _env() -> dict[str, str]:
    src = str(Path(dl.__file__).parents[1])
    return {**os.environ, "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")])}


def _lines(path: Path) -> list[tuple[str, str, str]]:
    if not path.exists():
        return []
    return [tuple(line.split("\t")) for line in path.read_text().splitlines()]  # type: ignore[misc]


def _start_ticks(
    ws: dl.Workspace, tmp: Path, name: str, times: list[str], *, lockstep: int = 0
) -> subprocess.Popen[bytes]:
    args = [
        sys.executable,
        str(HELPER),
        str(tmp / "record.tsv"),
        "ticks",
        str(ws.root),
        ws.settings.db_url,
        str(tmp / f"{name}.ready"),
        str(tmp / "go"),
        *times,
    ]
    env = {**_env(), "LOCKSTEP": str(lockstep)}
    return subprocess.Popen(args, env=env)


def _wait_for(paths: list[Path], procs: list[subprocess.Popen[bytes]]) -> None:
    deadline = time.monotonic() + 60
    while not all(p.exists() for p in paths):
        assert all(p.poll() is None for p in procs), "a scheduler process died while starting"
        assert time.monotonic() < deadline, "the scheduler processes did not start"
        time.sleep(0.02)


def _minutes(start: datetime, count: int) -> list[str]:
    return [(start + timedelta(minutes=m, seconds=1)).isoformat() for m in range(count)]


def test_two_scheduler_processes_fire_each_cron_time_once(
    workspace: dl.Workspace, tmp_path: Path, recorder: Recorder
) -> None:
    start = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
    # Declared with a time before the ticks: times from 12:00 on are owed.
    from driftloop.pipelines import Scheduler

    Scheduler(workspace, clock=lambda: start - timedelta(minutes=1), jobs=[]).triggers.define(
        "every-minute", kind="cron", cron="* * * * *", target_kind="record", target="t"
    )
    times = _minutes(start, 30)
    # In lockstep: real schedulers' clocks agree far better than the 2-minute lease.
    procs = [_start_ticks(workspace, tmp_path, n, times, lockstep=2) for n in ("a", "b")]
    _wait_for([tmp_path / "a.ready", tmp_path / "b.ready"], procs)
    (tmp_path / "go").touch()
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    lines = _lines(tmp_path / "record.tsv")
    keys = Counter(key for _, key, _ in lines)
    assert len(keys) == 30 and set(keys.values()) == {1}, keys.most_common(3)
    events = workspace.triggers.events("every-minute", limit=100)
    assert len(events) == 30 and {e.status.value for e in events} == {"fired"}
    # Both processes raced for the same times; each time went to exactly one of them.
    assert {e.pipeline_run_id for e in events} <= {f"pid-{p.pid}" for p in procs}


def test_a_restarted_scheduler_fires_missed_times_once(
    workspace: dl.Workspace, tmp_path: Path, recorder: Recorder
) -> None:
    from driftloop.pipelines import Scheduler

    start = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
    Scheduler(workspace, clock=lambda: start - timedelta(minutes=1), jobs=[]).triggers.define(
        "hourly", kind="cron", cron="0 * * * *", target_kind="record", target="t"
    )
    (tmp_path / "go").touch()
    first = _start_ticks(
        workspace, tmp_path, "a", [start.isoformat(), (start + timedelta(minutes=5)).isoformat()]
    )
    assert first.wait(timeout=120) == 0
    # Down from 12:05 to 16:30: 13:00 .. 16:00 were missed; the restart owes only 16:00.
    later = [(start + timedelta(hours=4, minutes=m)).isoformat() for m in (30, 31)]
    for name in ("b", "c"):  # restarted, then restarted again at the same time
        assert _start_ticks(workspace, tmp_path, name, later).wait(timeout=120) == 0
    assert [key for _, key, _ in _lines(tmp_path / "record.tsv")] == [
        "2026-01-05T12:00:00Z",
        "2026-01-05T16:00:00Z",
    ]


def test_a_scheduler_killed_after_claiming_leaves_an_event_another_starts_once(
    workspace: dl.Workspace, tmp_path: Path, recorder: Recorder
) -> None:
    from driftloop.pipelines import Scheduler

    start = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
    Scheduler(workspace, clock=lambda: start - timedelta(minutes=1), jobs=[]).triggers.define(
        "hourly", kind="cron", cron="0 * * * *", target_kind="record", target="t"
    )
    (tmp_path / "go").touch()
    (tmp_path / "die-once").touch()
    killed = _start_ticks(workspace, tmp_path, "a", [start.isoformat()])
    assert killed.wait(timeout=120) == -signal.SIGKILL
    [event] = workspace.triggers.events("hourly")
    assert event.status.value == "claimed" and _lines(tmp_path / "record.tsv") == []
    # Restarted past the dead owner's lease (two at once): the event starts exactly once.
    later = [(start + timedelta(minutes=5)).isoformat()]
    procs = [_start_ticks(workspace, tmp_path, name, later) for name in ("b", "c")]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    assert [key for _, key, _ in _lines(tmp_path / "record.tsv")] == ["2026-01-05T12:00:00Z"]
    [event] = workspace.triggers.events("hourly")
    assert event.status.value == "fired"


def test_the_scheduler_command_serves_webhooks_reports_status_and_stops_on_sigterm(
    sqlite_workspace: dl.Workspace, tmp_path: Path, recorder: Recorder
) -> None:
    secret = sqlite_workspace.triggers.define(
        "hook", kind="webhook", target_kind="record", target="t"
    ).secret
    record = tmp_path / "record.tsv"
    env = {**_env(), "DRIFTLOOP_HOME": str(sqlite_workspace.root)}
    args = [
        sys.executable,
        str(HELPER),
        str(record),
        "cli",
        "scheduler",
        "--webhook-port",
        "0",
        "--interval",
        "0.2",
        "--json",
    ]
    log = (tmp_path / "scheduler.log").open("wb")
    proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=log)
    try:
        started = proc.stdout.readline() if proc.stdout else b""
        url = json.loads(started)["webhook_url"]
        auth = {"Authorization": f"Bearer {secret}", "Idempotency-Key": "k1"}
        for _ in range(2):
            answer = httpx.post(f"{url}/v1/triggers/hook/fire", headers=auth, timeout=10)
            assert answer.status_code in (200, 202)
        status = subprocess.run(
            [sys.executable, "-m", "driftloop", "scheduler", "status", "--json"],
            env=env,
            capture_output=True,
            timeout=120,
            check=True,
        )
        found = json.loads(status.stdout)
        assert [s["is_alive"] for s in found["schedulers"]] == [True]
        assert [(e["trigger"], e["event_key"], e["status"]) for e in found["fired"]] == [
            ("hook", "k1", "fired")
        ]
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
        if proc.stdout is not None:
            proc.stdout.close()
        log.close()
    assert [key for _, key, _ in _lines(record)] == ["k1"]
    with dl.Workspace(sqlite_workspace.root) as ws:
        from driftloop.pipelines._scheduler_status import scheduler_status
        from driftloop.store import utcnow

        [info] = scheduler_status(ws.store, ws.triggers, utcnow()).schedulers
        assert info.stopped_at is not None and not info.is_alive
