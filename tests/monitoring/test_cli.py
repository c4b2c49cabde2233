"""`driftloop monitor` on a real workspace: create, alert, run, status, report."""

from __future__ import annotations

import json
import os
import subprocess
import sys
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
    assert result.exit_code != 0 and "driftloop monitors create nope" in str(result.exception)


def test_monitors_status_fits_80_columns_with_its_times_whole(world: World) -> None:
    for day, summer in ((0, False), (1, True)):
        frame = flights(300, world.rng, summer)
        world.write(world.predict_records(frame, day))
    name = "flights-monitor-with-a-name-long-enough-to-cut"
    _invoke("monitors", "create", "flights", "--name", name)
    _invoke("monitors", "run", "--now", "2026-06-03T00:00")
    result = subprocess.run(
        [sys.executable, "-m", "driftloop", "monitors", "status"],
        cwd=world.ws.root,
        env={**os.environ, "COLUMNS": "80", "DRIFTLOOP_DB_URL": world.ws.settings.db_url},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 4 and max(len(line) for line in lines) <= 80, result.stdout
    row = lines[3]  # title, header, rule, the monitor
    assert row.split()[0].endswith("…") and name.startswith(row.split()[0][:-1])
    assert "2026-06-02 00:00:00" in row  # the last window's start, whole


def test_monitor_create_of_an_endpoint_that_does_not_exist_is_refused(world: World) -> None:
    from driftloop.testing import invoke_cli

    result = invoke_cli("monitors", "create", "flihgts", "--target", "delayed")
    assert result.exit_code != 0 and "Traceback" not in result.stderr
    message = " ".join(result.stderr.split())  # the console wraps long lines
    assert "there is no endpoint 'flihgts' to monitor (the endpoints are flights)" in message
    assert "driftloop endpoints deploy flihgts MODEL@VERSION" in message
    assert world.ws.monitoring.list_monitors() == []
