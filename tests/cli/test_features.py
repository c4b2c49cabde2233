"""`driftloop features ...` on a real workspace, through the real CLI."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import driftloop as dl
from driftloop.cli import app
from driftloop.testing import CliResult, invoke_cli

DEFINITIONS = """
from datetime import timedelta
from driftloop import Entity, Feature, FeatureView

airport = Entity("airport", join_keys=["origin"])
weather = FeatureView(
    "weather", entities=[airport], source="weather", timestamp="time_hour",
    ttl=timedelta(hours={ttl}), features=[Feature("temp"){extra}],
)
"""


def _write(path: Path, ttl: int = 3, extra: str = ', Feature("humid")') -> Path:
    path.write_text(DEFINITIONS.format(ttl=ttl, extra=extra), encoding="utf-8")
    return path


def _run(*args: str, input: str | None = None):  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(app, ["features", *args], input=input)
    return result


@pytest.fixture
def features_file(workspace, tmp_path: Path) -> Path:
    frame = pd.DataFrame(
        {
            "origin": ["JFK", "JFK", "LGA"],
            "time_hour": [datetime(2013, 1, 1, h) for h in (0, 1, 0)],
            "temp": [1.0, 2.0, 5.0],
            "humid": [50.0, 60.0, 70.0],
        }
    )
    dl.log_dataset("weather", frame)
    return _write(tmp_path / "features.py")


def test_apply_list_show_and_breaking_change_prompt(features_file: Path) -> None:
    first = _run("apply", str(features_file), "--json")
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout)[0] == {
        "name": "weather",
        "action": "created",
        "version": 1,
        "warnings": [],
    }
    _write(features_file, extra="")  # removes 'humid'
    refused = _run("apply", str(features_file), input="n\n")
    assert refused.exit_code == 1
    assert "feature 'humid' is removed" in refused.output
    forced = _run("apply", str(features_file), "--yes", "--json")
    assert json.loads(forced.stdout)[0]["version"] == 2
    listed = json.loads(_run("list", "--json").stdout)
    assert listed[0]["name"] == "weather" and listed[0]["is_stale"] is True
    shown = json.loads(_run("show", "weather", "--json").stdout)
    assert [v["version"] for v in shown["versions"]] == [1, 2]
    assert "STALE" in _run("list").stdout


def test_materialize_get_online_training_set_and_skew(features_file: Path, tmp_path: Path) -> None:
    assert _run("apply", str(features_file)).exit_code == 0
    done = _run("materialize", "--end", "2013-01-01T02:00:00Z", "--json")
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)[0]["rows_written"] == 2
    then = ("--as-of", "2013-01-01T02:00:00Z")
    both = ("weather:temp", "weather:humid")
    online = _run("get-online", *both, "-e", "origin=JFK", *then, "--json")
    assert online.exit_code == 0, online.output
    assert json.loads(online.stdout) == {"origin": "JFK", "temp": 2.0, "humid": 60.0}
    shown = _run("get-online", "weather:temp", "-e", "origin=LGA", *then)
    assert shown.exit_code == 0 and re.search(r"^temp +5 *$", shown.stdout, re.MULTILINE)
    now = _run("get-online", "weather:temp", "weather:humid", "-e", "origin=JFK", "--json")
    assert json.loads(now.stdout) == {"origin": "JFK", "temp": None, "humid": None}  # past TTL
    later = ("--as-of", "2013-01-01T04:30:00")  # naive: UTC; 3.5 h after the last value
    expired = _run("get-online", "weather:temp", "-e", "origin=JFK", *later, "--json")
    assert json.loads(expired.stdout) == {"origin": "JFK", "temp": None}
    entities = tmp_path / "entities.parquet"
    pd.DataFrame({"origin": ["JFK"], "event_timestamp": [datetime(2013, 1, 1, 0, 30)]}).to_parquet(
        entities
    )
    out = tmp_path / "train.parquet"
    built = _run("training-set", str(entities), "-f", "weather:temp", "-o", str(out), "--json")
    assert built.exit_code == 0, built.output
    assert pd.read_parquet(out)["temp"].tolist() == [1.0]
    skew = _run("check-skew", "weather", "--sample", "10", "--json")
    assert skew.exit_code == 0, skew.output
    assert json.loads(skew.stdout)["features"]["temp"]["mismatches"] == 0
    assert "mismatches" in _run("check-skew", "weather").stdout


def test_get_online_as_of_answers_what_the_store_held_then(features_file: Path) -> None:
    """Materialized to now, the store holds JFK's 01:00 value; at 00:30 it held 00:00's."""
    assert _run("apply", str(features_file)).exit_code == 0
    assert _run("materialize").exit_code == 0
    ask = ("get-online", "weather:temp", "-e", "origin=JFK", "--json", "--as-of")
    before = _run(*ask, "2013-01-01T00:30:00Z")
    assert before.exit_code == 0, before.output
    assert json.loads(before.stdout) == {"origin": "JFK", "temp": 1.0}
    assert json.loads(_run(*ask, "2013-01-01T01:00:00Z").stdout)["temp"] == 2.0
    assert json.loads(_run(*ask, "2012-12-31T23:59:59Z").stdout)["temp"] is None


def _refused(result: CliResult, message: str) -> None:
    """A failure the user is told about: non-zero exit, the message, no traceback."""
    assert result.exit_code != 0, result.stdout
    # The console wraps long lines (temp paths) at any character: compare without whitespace.
    assert "".join(message.split()) in "".join(result.stderr.split()), result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_errors_name_the_problem(workspace, tmp_path: Path) -> None:
    _refused(
        invoke_cli("features", "apply", str(tmp_path / "nope.py")),
        "no feature definitions",
    )
    _refused(
        invoke_cli("features", "get-online", "weather:temp", "-e", "origin"),
        "--entity 'origin' is not key=value",
    )
    _refused(
        invoke_cli("features", "get-online", "weather:temp", "-e", "origin=JFK", "--as-of", "soon"),
        "'soon' is not an ISO time",
    )


@pytest.mark.slow
def test_concurrent_applies_from_separate_processes_never_lose_a_change(
    workspace, tmp_path: Path
) -> None:
    import os
    import subprocess
    import sys

    env = {
        **os.environ,
        "DRIFTLOOP_HOME": str(workspace.root),
        "DRIFTLOOP_DB_URL": workspace.settings.db_url,
    }
    processes = []
    for hours in (4, 5, 6):
        path = _write(tmp_path / f"features_{hours}.py", ttl=hours)
        command = [sys.executable, "-m", "driftloop", "features", "apply", str(path), "--json"]
        processes.append(
            subprocess.Popen(
                command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            )
        )
    outputs = [p.communicate(timeout=120) for p in processes]
    assert all(p.returncode == 0 for p in processes), [err[-2000:] for _, err in outputs]
    versions = workspace.features.catalog.versions("weather")
    assert [v.version for v in versions] == [1, 2, 3]
    assert sorted(v.view.ttl.total_seconds() / 3600 for v in versions) == [4, 5, 6]


def test_show_and_selections_take_view_versions(features_file: Path, tmp_path: Path) -> None:
    assert _run("apply", str(features_file)).exit_code == 0
    _write(features_file, ttl=4)
    assert _run("apply", str(features_file), "--json").exit_code == 0
    assert json.loads(_run("show", "weather@1", "--json").stdout)["ttl_seconds"] == 3 * 3600
    assert json.loads(_run("show", "weather", "--json").stdout)["version"] == 2
    assert json.loads(_run("show", "weather", "--version", "1", "--json").stdout)["version"] == 1
    assert _run("show", "weather@1").stdout.startswith("weather@1 ")
    clash = _run("show", "weather@1", "--version", "2")
    assert clash.exit_code != 0 and "name different versions" in str(clash.exception)
    entities = tmp_path / "entities.parquet"
    pd.DataFrame({"origin": ["JFK"], "event_timestamp": [datetime(2013, 1, 1, 0, 30)]}).to_parquet(
        entities
    )
    built = _run("training-set", str(entities), "-f", "weather@1:temp", "--json")
    assert built.exit_code == 0, built.output
    assert json.loads(built.stdout)["feature_views"] == ["weather@1"]


def test_malformed_refs_get_one_message_and_no_traceback(workspace, tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    env = {
        **os.environ,
        "DRIFTLOOP_HOME": str(workspace.root),
        "DRIFTLOOP_DB_URL": workspace.settings.db_url,
    }
    for args in (
        ["models", "show", "churn@0"],
        ["data", "show", "a@b@c"],
        ["features", "show", "w@"],
    ):
        done = subprocess.run(
            [sys.executable, "-m", "driftloop", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 1, done.stderr
        assert "Traceback" not in done.stderr and repr(args[2]) in done.stderr
        assert "NAME@VERSION" in done.stderr


def test_a_definitions_file_that_raises_names_the_file_and_the_cause(
    workspace, tmp_path: Path
) -> None:
    from driftloop.errors import UserCodeError
    from driftloop.features._loader import load_definitions

    broken = tmp_path / "broken.py"
    broken.write_text("ratio = 1 / 0\n", encoding="utf-8")
    with pytest.raises(UserCodeError) as info:
        load_definitions(broken)
    assert isinstance(info.value.__cause__, ZeroDivisionError)
    assert info.value.where == str(broken)
    _refused(
        invoke_cli("features", "apply", str(broken)),
        f"{broken} raised ZeroDivisionError: division by zero",
    )


def test_show_of_a_static_view_prints_no_python_none(workspace, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    dl.log_dataset("planes", pd.DataFrame({"tailnum": ["N1", "N2"], "seats": [100, 200]}))
    path = tmp_path / "features.py"
    path.write_text(
        "from driftloop import Entity, Feature, FeatureView\n"
        'plane = Entity("plane", join_keys=["tailnum"])\n'
        'planes = FeatureView("planes", entities=[plane], source="planes",\n'
        '                     features=[Feature("seats", "BIGINT")])\n',
        encoding="utf-8",
    )
    assert _run("apply", str(path)).exit_code == 0
    shown = _run("show", "planes")
    assert shown.exit_code == 0, shown.output
    assert "None" not in shown.output and "[" not in shown.output.splitlines()[1]
    assert "keys: tailnum  timestamp: none (static)  ttl: none" in shown.output
