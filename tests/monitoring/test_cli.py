"""`driftloop monitor` on a real workspace: create, alert, run, status, report."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from driftloop.cli import app

from .conftest import World, delayed, flights

runner = CliRunner()


def _invoke(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_monitor_commands_from_create_to_report(world: World, tmp_path: Path) -> None:
    for day, summer in ((0, False), (1, True)):
        frame = flights(300, world.rng, summer)
        records = world.predict_records(frame, day)
        world.write(records)
        world.label(records, delayed(frame, world.rng, summer))
    _invoke("monitor", "create", "flights", "--target", "delayed", "--group-by", "origin")
    _invoke(
        "monitor",
        "alert",
        "drifted",
        "--monitor",
        "flights",
        "--metric",
        "drift.share",
        "--above",
        "0.5",
        "--severity",
        "critical",
    )
    ran = json.loads(_invoke("monitor", "run", "--now", "2026-06-03T00:00", "--json"))
    assert [w["drift_share"] for w in ran] == [0.0, 1.0]
    assert ran[1]["accuracy"] < ran[0]["accuracy"]
    [status] = json.loads(_invoke("monitor", "status", "--json"))
    assert status["windows"] == 2 and status["firing"] == ["drifted"]
    assert "drifted" in _invoke("monitor", "status")
    page = tmp_path / "out.html"
    report = json.loads(_invoke("monitor", "report", "flights", "--html", str(page), "--json"))
    [monitor] = report["monitors"]
    assert len(monitor["windows"]) == 2 and monitor["alerts"][0]["state"] == "firing"
    assert set(monitor["latest"]["distributions"]) >= {"distance"}
    text = page.read_text()
    assert text.count("<svg") >= 4 and "Drift per feature over time" in text
    assert (
        "estimated accuracy" in text
        and "drifted" in text
        and "http" not in text.split("<svg")[0].lower().replace("http-equiv", "")
    )


def test_unknown_endpoint_report_says_what_to_do(world: World) -> None:
    result = runner.invoke(app, ["monitor", "report", "nope"])
    assert result.exit_code != 0 and "driftloop monitor create nope" in str(result.exception)


def test_monitor_create_of_an_endpoint_that_does_not_exist_is_refused(world: World) -> None:
    from driftloop.testing import invoke_cli

    result = invoke_cli("monitor", "create", "flihgts", "--target", "delayed")
    assert result.exit_code != 0 and "Traceback" not in result.stderr
    message = " ".join(result.stderr.split())  # the console wraps long lines
    assert "there is no endpoint 'flihgts' to monitor (the endpoints are flights)" in message
    assert "driftloop deploy flihgts MODEL@VERSION" in message
    assert world.ws.monitoring.list_monitors() == []
