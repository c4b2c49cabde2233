"""`driftloop scheduler --once | status | triggers` and `driftloop pipeline trigger`."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pandas as pd
import pytest

import driftloop as dl
from driftloop.pipelines import Trigger, TriggerEvent, register_trigger_target
from driftloop.testing import invoke_cli


class _Starts:
    def __init__(self) -> None:
        self.keys: list[str] = []

    def start(self, trigger: Trigger, event: TriggerEvent) -> str | None:
        self.keys.append(event.event_key)
        return f"run-{len(self.keys)}"


@pytest.fixture
def starts() -> Iterator[_Starts]:
    found = _Starts()
    register_trigger_target("cli_record", lambda _ws: found)
    yield found
    register_trigger_target("cli_record", lambda _ws: _Starts())


def test_pipeline_trigger_fires_once_per_key_with_the_given_params(
    sqlite_workspace: dl.Workspace, starts: _Starts
) -> None:
    sqlite_workspace.triggers.define("by-hand", target_kind="cli_record", target="t")
    first = invoke_cli("pipeline", "trigger", "by-hand", "--key", "k1", "-p", "days=3", "--json")
    assert first.exit_code == 0, first.stderr
    event = json.loads(first.stdout)
    assert event["status"] == "fired" and event["pipeline_run_id"] == "run-1"
    assert event["payload"] == {"params": {"days": 3}, "by": "cli"} and event["is_new"]
    again = invoke_cli("pipeline", "trigger", "by-hand", "--key", "k1", "--json")
    assert json.loads(again.stdout)["is_new"] is False
    assert starts.keys == ["k1"]
    human = invoke_cli("pipeline", "trigger", "by-hand")
    assert human.exit_code == 0 and "fired by-hand" in human.stdout


def test_pipeline_trigger_of_an_unknown_name_says_which_exist(
    sqlite_workspace: dl.Workspace, starts: _Starts
) -> None:
    sqlite_workspace.triggers.define("nightly", target_kind="cli_record", target="t")
    result = invoke_cli("pipeline", "trigger", "nighty")
    assert result.exit_code == 1
    assert "no trigger named 'nighty' (known: nightly)" in result.stderr


def test_scheduler_once_fires_a_new_dataset_version_and_status_shows_it(
    sqlite_workspace: dl.Workspace, starts: _Starts
) -> None:
    ws = sqlite_workspace
    ws.datasets.log("flights", pd.DataFrame({"x": [1]}), profile=False)
    ws.triggers.define(
        "on-flights", kind="dataset", dataset="flights", target_kind="cli_record", target="t"
    )
    ws.triggers.define(
        "nightly", kind="cron", cron="0 2 * * *", target_kind="cli_record", target="t"
    )
    ws.datasets.log("flights", pd.DataFrame({"x": [2]}), profile=False)
    once = invoke_cli("scheduler", "--once", "--no-webhooks", "--json")
    assert once.exit_code == 0, once.stderr
    assert [e["event_key"] for e in json.loads(once.stdout)["fired"]] == ["2"]
    assert json.loads(invoke_cli("scheduler", "--once", "--json").stdout)["fired"] == []
    status = json.loads(invoke_cli("scheduler", "status", "--json").stdout)
    # --once ticks and stops: both are recorded, neither is taken for a live scheduler.
    assert [s["is_alive"] for s in status["schedulers"]] == [False, False]
    assert {d["trigger"]["name"]: d["owed_key"] for d in status["due"]} == {
        "nightly": None,
        "on-flights": None,
    }
    assert [(e["trigger"], e["event_key"]) for e in status["fired"]] == [("on-flights", "2")]
    listed = json.loads(invoke_cli("scheduler", "triggers", "--json").stdout)
    assert [(t["name"], t["kind"]) for t in listed] == [
        ("nightly", "cron"),
        ("on-flights", "dataset"),
    ]
    table = invoke_cli("scheduler", "status")
    assert "on-flights" in table.stdout and "Running: nothing running" in table.stdout
