"""Disabling, enabling, deleting and restoring triggers: never fires, owes nothing missed."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

import driftloop as dl
from driftloop.pipelines import Scheduler
from driftloop.pipelines._trigger_config import apply_trigger_file
from driftloop.store._lifecycle import lifecycle_events
from driftloop.testing import invoke_cli

from ._trigger_fixtures import Clock, Recorder


def _scheduler(ws: dl.Workspace, clock: Clock) -> Scheduler:
    return Scheduler(ws, clock=clock, jobs=[])


def test_a_disabled_schedule_never_fires_and_enabling_owes_nothing_missed(
    workspace: dl.Workspace, clock: Clock, recorder: Recorder
) -> None:
    sched = _scheduler(workspace, clock)
    triggers = workspace.acting_as("ana").triggers
    sched.triggers.define("hourly", kind="cron", cron="0 * * * *", target_kind="record", target="t")
    event = triggers.disable("hourly")
    assert (event.action, event.actor) == ("disable", "ana")
    clock.at("2026-01-05T11:00:00+00:00")
    assert sched.tick().fired == []
    with pytest.raises(dl.ConflictError, match="is disabled, so it fires no events"):
        sched.triggers.fire("hourly")
    clock.at("2026-01-05T12:30:00+00:00")
    sched.triggers.enable("hourly")  # 11:00 and 12:00 were missed while off
    assert sched.tick().fired == []
    clock.at("2026-01-05T13:00:00+00:00")
    assert [e.event_key for e in sched.tick().fired] == ["2026-01-05T13:00:00Z"]
    assert [key for _, key, _ in recorder.starts] == ["2026-01-05T13:00:00Z"]
    with pytest.raises(dl.ConflictError, match="is already enabled"):
        sched.triggers.enable("hourly")


def test_a_deleted_trigger_is_gone_until_restored_and_owes_nothing_missed(
    workspace: dl.Workspace, clock: Clock, recorder: Recorder
) -> None:
    sched = _scheduler(workspace, clock)
    sched.triggers.define("hourly", kind="cron", cron="0 * * * *", target_kind="record", target="t")
    sched.triggers.define("on-drift", kind="alert", rule="drift", target_kind="record", target="t")
    sched.triggers.delete("hourly")
    sched.triggers.delete("on-drift")
    assert sched.triggers.list() == [] and sched.triggers.due() == []
    gone = sched.triggers.list(view_type="deleted_only")
    assert [(t.name, t.deleted_by) for t in gone] == [
        ("hourly", workspace.user),
        ("on-drift", workspace.user),
    ]
    assert sched.triggers.notify("alert", "drift", "firing-1") == []
    clock.at("2026-01-05T11:00:00+00:00")
    assert sched.tick().fired == []
    with pytest.raises(dl.NotFoundError, match=r"'hourly' is deleted .*triggers restore hourly"):
        sched.triggers.fire("hourly")
    with pytest.raises(dl.ConflictError, match="trigger 'hourly' is deleted"):
        sched.triggers.define(
            "hourly", kind="cron", cron="0 * * * *", target_kind="record", target="t"
        )
    clock.at("2026-01-05T11:10:00+00:00")
    sched.triggers.restore("hourly")
    assert sched.tick().fired == []  # 11:00 passed while it was deleted
    clock.at("2026-01-05T12:00:00+00:00")
    assert [e.trigger for e in sched.tick().fired] == ["hourly"]
    with workspace.store.read() as session:
        log = lifecycle_events(session, "trigger", "hourly")
    assert [e.action for e in log] == ["delete", "restore"]


# A [[trigger]] table whose target is the recorder of the trigger tests (a real pipeline
# is checked when declared; what is tested here is the table, not the pipeline).
TABLE = '[[trigger]]\nname = "{}"\n{}target_kind = "record"\ntarget = "t"\n'
NIGHTLY = TABLE.format("nightly", 'kind = "cron"\ncron = "0 2 * * *"\n')


def test_re_applying_driftloop_toml_keeps_a_disable_and_skips_a_deleted_trigger(
    workspace: dl.Workspace,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    recorder: Recorder,
) -> None:
    path = tmp_path / "driftloop.toml"
    path.write_text(NIGHTLY + TABLE.format("gone", ""))
    apply_trigger_file(workspace.triggers, path)
    workspace.triggers.disable("nightly")
    workspace.triggers.delete("gone")
    with caplog.at_level(logging.WARNING, logger="driftloop.scheduler"):
        applied = apply_trigger_file(workspace.triggers, path)
    assert [d.trigger.name for d in applied] == ["nightly"]
    assert workspace.triggers.get("nightly").enabled is False  # the disable survives
    assert "[[trigger]] gone is deleted, so it was not applied" in caplog.text
    path.write_text(NIGHTLY + "enabled = true\n")
    apply_trigger_file(workspace.triggers, path)  # said in the file: the file wins
    assert workspace.triggers.get("nightly").enabled is True


def test_triggers_from_the_cli(sqlite_workspace: dl.Workspace, recorder: Recorder) -> None:
    sqlite_workspace.triggers.define(
        "nightly", kind="cron", cron="0 2 * * *", target_kind="record", target="t"
    )
    off = invoke_cli("scheduler", "triggers", "disable", "nightly", "--json")
    assert off.exit_code == 0, off.stderr
    assert json.loads(off.stdout)[0]["action"] == "disable"
    listed = json.loads(invoke_cli("scheduler", "triggers", "--json").stdout)
    assert [(t["name"], t["enabled"]) for t in listed] == [("nightly", False)]
    on = invoke_cli("scheduler", "triggers", "enable", "nightly")
    assert "undo with `driftloop scheduler triggers disable nightly`" in on.stdout.replace("\n", "")
    assert invoke_cli("scheduler", "triggers", "delete", "nightly").exit_code == 0
    assert json.loads(invoke_cli("scheduler", "triggers", "--json").stdout) == []
    trash = json.loads(invoke_cli("scheduler", "triggers", "--deleted", "--json").stdout)
    assert [t["name"] for t in trash] == ["nightly"]
    missing = invoke_cli("scheduler", "triggers", "restore", "nope")
    assert missing.exit_code == 1 and "there is no trigger 'nope'" in missing.stderr
    assert invoke_cli("scheduler", "triggers", "restore", "nightly").exit_code == 0
