"""The trigger service: declarations, exactly-once firing, cron and dataset events.

Time comes from an injected clock; each test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pandas as pd
import pytest

import driftloop as dl
from driftloop.errors import InvalidInputError, NotFoundError
from driftloop.pipelines import EventStatus, Scheduler

from ._trigger_fixtures import Clock, Recorder
from .conftest import WriteModule


def _scheduler(ws: dl.Workspace, clock: Clock) -> Scheduler:
    return Scheduler(ws, clock=clock, jobs=[])


def test_a_cron_time_fires_once_and_not_before_the_trigger_existed(
    workspace: dl.Workspace, clock: Clock, recorder: Recorder
) -> None:
    sched = _scheduler(workspace, clock)
    sched.triggers.define("hourly", kind="cron", cron="0 * * * *", target_kind="record", target="t")
    assert sched.tick().fired == []  # 10:00 passed before the trigger was declared
    clock.at("2026-01-05T11:00:00+00:00")
    [event] = sched.tick().fired
    assert event.event_key == "2026-01-05T11:00:00Z"
    assert event.status is EventStatus.FIRED and event.pipeline_run_id == "run-1"
    clock.advance(seconds=30)
    assert sched.tick().fired == []
    assert recorder.starts == [("hourly", "2026-01-05T11:00:00Z", {"due": "2026-01-05T11:00:00Z"})]


def test_missed_cron_times_while_down_fire_once_not_once_per_tick(
    workspace: dl.Workspace, clock: Clock, recorder: Recorder
) -> None:
    first = _scheduler(workspace, clock)
    first.triggers.define("hourly", kind="cron", cron="0 * * * *", target_kind="record", target="t")
    clock.at("2026-01-05T11:00:05+00:00")
    first.tick()
    clock.at("2026-01-05T15:20:00+00:00")  # down for 12:00, 13:00, 14:00, 15:00
    restarted = _scheduler(workspace, clock)
    assert [e.event_key for e in restarted.tick().fired] == ["2026-01-05T15:00:00Z"]
    assert restarted.tick().fired == []
    assert [key for _, key, _ in recorder.starts] == [
        "2026-01-05T11:00:00Z",
        "2026-01-05T15:00:00Z",
    ]


def test_cron_times_follow_the_trigger_time_zone_across_daylight_saving(
    workspace: dl.Workspace, clock: Clock, recorder: Recorder
) -> None:
    sched = _scheduler(workspace, clock)
    sched.triggers.define(
        "paris-2am",
        kind="cron",
        cron="0 2 * * *",
        timezone="Europe/Paris",
        target_kind="record",
        target="t",
    )
    clock.at("2026-01-06T01:00:00+00:00")  # 02:00 in Paris in winter (UTC+1)
    sched.tick()
    clock.at("2026-07-01T00:00:00+00:00")  # 02:00 in Paris in summer (UTC+2)
    sched.tick()
    assert [key for _, key, _ in recorder.starts] == [
        "2026-01-06T01:00:00Z",
        "2026-07-01T00:00:00Z",
    ]
    [due] = sched.triggers.due(clock.now)
    assert due.owed_key is None and due.next_at == datetime(2026, 7, 2, 0, 0, tzinfo=UTC)


def test_racing_services_fire_each_cron_time_once(
    workspace: dl.Workspace, clock: Clock, recorder: Recorder
) -> None:
    schedulers = [_scheduler(workspace, clock) for _ in range(4)]
    schedulers[0].triggers.define(
        "often", kind="cron", cron="*/5 * * * *", target_kind="record", target="t"
    )
    clock.at("2026-01-05T12:00:00+00:00")
    barrier = threading.Barrier(len(schedulers))
    fired: list[int] = []

    def race(s: Scheduler) -> None:
        barrier.wait()
        fired.append(len(s.triggers.run_due(clock.now)))

    threads = [threading.Thread(target=race, args=(s,)) for s in schedulers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(fired) == [0, 0, 0, 1]
    assert len(recorder.starts) == 1


def test_a_new_dataset_version_fires_once_and_versions_logged_while_down_fire_once(
    workspace: dl.Workspace, clock: Clock, recorder: Recorder
) -> None:
    frame = pd.DataFrame({"x": [1, 2, 3]})
    workspace.datasets.log("flights", frame, profile=False)
    sched = _scheduler(workspace, clock)
    sched.triggers.define(
        "on-flights", kind="dataset", dataset="flights", target_kind="record", target="t"
    )
    assert sched.tick().fired == []  # version 1 existed before the trigger
    workspace.datasets.log("flights", frame.assign(x=[4, 5, 6]), profile=False)
    [event] = sched.tick().fired
    assert event.event_key == "2" and event.payload == {"dataset": "flights", "version": 2}
    assert sched.tick().fired == []
    for n in (7, 8):
        workspace.datasets.log("flights", frame.assign(x=n), profile=False)
    assert [e.event_key for e in sched.tick().fired] == ["4"]
    assert len(recorder.starts) == 2


def test_notify_fires_every_listener_once_per_key(
    workspace: dl.Workspace, recorder: Recorder
) -> None:
    triggers = workspace.triggers
    triggers.define("retrain-a", kind="alert", rule="auc-drop", target_kind="record", target="a")
    triggers.define("retrain-b", kind="alert", rule="auc-drop", target_kind="record", target="b")
    triggers.define("other", kind="alert", rule="latency", target_kind="record", target="c")
    first = triggers.notify("alert", "auc-drop", "firing-7", {"value": 0.61})
    again = triggers.notify("alert", "auc-drop", "firing-7", {"value": 0.61})
    assert [(e.trigger, e.is_new) for e in first] == [("retrain-a", True), ("retrain-b", True)]
    assert [(e.trigger, e.is_new, e.id) for e in again] == [
        ("retrain-a", False, first[0].id),
        ("retrain-b", False, first[1].id),
    ]
    assert sorted(name for name, _, _ in recorder.starts) == ["retrain-a", "retrain-b"]
    triggers.set_enabled("retrain-b", False)
    assert [e.trigger for e in triggers.notify("alert", "auc-drop", "firing-8")] == ["retrain-a"]


def test_a_manual_fire_with_an_idempotency_key_starts_once(
    workspace: dl.Workspace, recorder: Recorder
) -> None:
    workspace.triggers.define("by-hand", target_kind="record", target="t", params={"days": 7})
    first = workspace.triggers.fire("by-hand", event_key="deploy-41", payload={"who": "ana"})
    second = workspace.triggers.fire("by-hand", event_key="deploy-41")
    assert first.is_new and not second.is_new and second.id == first.id
    assert (
        workspace.triggers.fire("by-hand").event_key != workspace.triggers.fire("by-hand").event_key
    )
    assert len(recorder.starts) == 3
    assert [e.trigger for e in workspace.triggers.events("by-hand")] == ["by-hand"] * 3


def test_a_target_that_cannot_start_marks_the_event_failed_and_is_not_retried(
    workspace: dl.Workspace, clock: Clock, recorder: Recorder
) -> None:
    workspace.triggers.define("broken", target_kind="record", target="boom")
    event = workspace.triggers.fire("broken", event_key="k")
    assert event.status is EventStatus.FAILED
    assert event.error == "RuntimeError: the target could not start"
    assert workspace.triggers.fire("broken", event_key="k").status is EventStatus.FAILED


def test_defining_again_updates_and_keeps_what_was_learned(
    workspace: dl.Workspace, recorder: Recorder
) -> None:
    made = workspace.triggers.define("hook", kind="webhook", target_kind="record", target="t")
    assert made.secret is not None and len(made.secret) >= 16
    again = workspace.triggers.define("hook", kind="webhook", target_kind="record", target="u")
    assert again.secret is None and again.trigger.target == "u"
    assert again.trigger.spec["secret_sha256"] == made.trigger.spec["secret_sha256"]
    assert made.secret not in str(again.trigger.spec)
    assert [t.name for t in workspace.triggers.list()] == ["hook"]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"kind": "cron", "cron": "every day"}, "cron expression 'every day' is not valid"),
        ({"kind": "cron", "cron": "0 2 * * *", "timezone": "Paris"}, "did you mean Europe/Paris"),
        ({"kind": "cron"}, "a cron trigger needs cron="),
        ({"kind": "manual", "cron": "0 2 * * *"}, "a manual trigger takes no cron"),
        ({"kind": "dataset"}, "a dataset trigger needs dataset="),
        ({"kind": "hourly"}, "trigger kind 'hourly' is unknown"),
        ({"target_kind": "nope"}, "no target kind 'nope'"),
        ({"params": {"when": datetime(2026, 1, 1)}}, "params must be JSON values"),
    ],
)
def test_a_bad_declaration_is_refused_naming_what_is_wrong(
    sqlite_workspace: dl.Workspace, arguments: dict[str, object], message: str
) -> None:
    arguments = {"target": "flows:train", **arguments}
    with pytest.raises(InvalidInputError, match=message):
        sqlite_workspace.triggers.define("t", **arguments)  # type: ignore[arg-type]
    assert sqlite_workspace.triggers.list() == []


def test_an_unknown_trigger_says_which_exist(
    sqlite_workspace: dl.Workspace, recorder: Recorder
) -> None:
    sqlite_workspace.triggers.define("nightly", target_kind="record", target="t")
    with pytest.raises(NotFoundError, match=r"no trigger named 'nighty' \(known: nightly\)"):
        sqlite_workspace.triggers.fire("nighty")


TRAIN = """
@dl.step
def fit(x: int, data: dl.DatasetVersion) -> int:
    return x

@dl.pipeline
def train(x: int, data: dl.DatasetVersion = "flights"):
    fit(x, data)
"""


def test_a_trigger_naming_what_does_not_exist_is_refused_when_declared(
    sqlite_workspace: dl.Workspace, write_module: WriteModule
) -> None:
    dl.log_dataset("flights", pd.DataFrame({"x": [1]}))
    target = f"{write_module(TRAIN).__name__}:train"
    cron = {"kind": "cron", "cron": "0 2 * * *"}
    refused = [
        ({"target": "nowhere_xyz:train"}, NotFoundError, "cannot import module 'nowhere_xyz'"),
        ({"target": f"{target}x"}, InvalidInputError, "has no attribute 'trainx'"),
        (
            {"kind": "dataset", "dataset": "flightz", "target": target, "params": {"x": 1}},
            NotFoundError,
            "watches dataset 'flightz', which does not exist",
        ),
        ({**cron, "target": target}, InvalidInputError, "needs parameter 'x'"),
        (
            {**cron, "target": target, "params": {"x": 1, "data": "planes"}},
            InvalidInputError,
            "parameter 'data': .*planes",
        ),
        ({**cron, "target": target, "params": {"x": 1, "k": 2}}, InvalidInputError, "no param"),
    ]
    for arguments, error, message in refused:
        with pytest.raises(error, match=rf"trigger 't'.*{message}"):
            sqlite_workspace.triggers.define("t", **arguments)  # type: ignore[arg-type]
    assert sqlite_workspace.triggers.list() == []
    # A webhook or a manual firing may bring the params the trigger lacks.
    sqlite_workspace.triggers.define("hook", kind="webhook", target=target)
    sqlite_workspace.triggers.define("nightly", **cron, target=target, params={"x": 1})
    assert [t.name for t in sqlite_workspace.triggers.list()] == ["hook", "nightly"]
