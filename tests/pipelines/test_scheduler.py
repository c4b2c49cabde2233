"""The scheduler loop: registered jobs, heartbeats, and events whose owner died."""

from __future__ import annotations

import threading
from datetime import datetime

import driftloop as dl
from driftloop.pipelines import Scheduler, register_scheduler_job
from driftloop.pipelines._scheduler_jobs import registered_jobs
from driftloop.pipelines._scheduler_status import scheduler_status
from driftloop.pipelines._trigger_claims import claim_event
from driftloop.store import TriggerRow

from ._trigger_fixtures import Clock, Recorder


class _Job:
    def __init__(self, name: str, fail: bool = False) -> None:
        self.name = name
        self.fail = fail
        self.ticks: list[datetime] = []

    def tick(self, now: datetime) -> None:
        self.ticks.append(now)
        if self.fail:
            raise RuntimeError("monitor store is down")


def test_every_job_ticks_with_the_scheduler_time_and_a_failing_one_stops_none(
    sqlite_workspace: dl.Workspace, clock: Clock
) -> None:
    broken, fine = _Job("broken", fail=True), _Job("fine")
    scheduler = Scheduler(sqlite_workspace, clock=clock, jobs=[broken, fine])
    report = scheduler.tick()
    assert report.job_errors == {"broken": "RuntimeError: monitor store is down"}
    assert broken.ticks == fine.ticks == [clock.now]
    clock.advance(seconds=5)
    scheduler.tick()
    [info] = scheduler_status(sqlite_workspace.store, scheduler.triggers, clock.now).schedulers
    assert info.is_alive and info.heartbeat_at == clock.now
    assert info.info["jobs"] == ["broken", "fine"]
    assert info.info["job_errors"] == {"broken": "RuntimeError: monitor store is down"}
    clock.advance(seconds=60)  # three missed heartbeats of 5 s: taken for dead
    [info] = scheduler_status(sqlite_workspace.store, scheduler.triggers, clock.now).schedulers
    assert not info.is_alive


def test_a_registered_job_factory_gets_the_workspace(sqlite_workspace: dl.Workspace) -> None:
    seen: list[object] = []

    def factory(ws: object) -> _Job:
        seen.append(ws)
        return _Job("probe")

    register_scheduler_job("probe", factory)
    try:
        names = [job.name for job in registered_jobs(sqlite_workspace)]
        assert "probe" in names and seen == [sqlite_workspace]
        assert "probe" in [j.name for j in Scheduler(sqlite_workspace).jobs]
    finally:
        register_scheduler_job("probe", lambda ws: _Job("probe-off"))


def test_an_event_whose_owner_died_after_claiming_is_started_once_by_another(
    workspace: dl.Workspace, clock: Clock, recorder: Recorder
) -> None:
    workspace.triggers.define("by-hand", target_kind="record", target="t")
    with workspace.store.read() as session:
        row = session.query(TriggerRow).filter_by(name="by-hand").one()
    # A process claims the event and dies before starting the target.
    claim_event(workspace.store, row, "k", {}, claimant="dead:1", now=clock.now)
    schedulers = [Scheduler(workspace, clock=clock, jobs=[]) for _ in range(3)]
    assert schedulers[0].tick().fired == []  # still within the owner's lease
    clock.advance(minutes=3)
    barrier = threading.Barrier(3)
    taken: list[int] = []

    def race(s: Scheduler) -> None:
        barrier.wait()
        taken.append(len(s.tick().fired))

    threads = [threading.Thread(target=race, args=(s,)) for s in schedulers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(taken) == [0, 0, 1]
    assert [key for _, key, _ in recorder.starts] == ["k"]
    [event] = workspace.triggers.events("by-hand")
    assert event.status.value == "fired" and event.claimed_by != "dead:1"
    assert event.claimed_at == clock.now
