"""`driftloop data validate` exits 0 on pass, 1 on failed expectations, 2 on misuse."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import driftloop as dl
from driftloop.cli import app

runner = CliRunner()

PASSING = "name: s\nexpectations:\n  - {kind: not_null, column: id}\n"
FAILING = "name: s\nexpectations:\n  - {kind: between, column: distance, max: 10}\n"


def _validate(tmp_path: Path, suite: str | None, ref: str = "flights@1") -> tuple[int, str]:
    path = tmp_path / "suite.yaml"
    if suite is not None:
        path.write_text(suite)
    result = runner.invoke(app, ["data", "validate", ref, "--suite", str(path)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


@pytest.fixture
def flights(workspace: dl.Workspace, frame: pd.DataFrame) -> str:
    return dl.log_dataset("flights", frame).ref


def test_pass_is_0_and_failed_expectations_are_1(flights: str, tmp_path: Path) -> None:
    assert _validate(tmp_path, PASSING)[0] == 0
    code, output = _validate(tmp_path, FAILING)
    assert code == 1 and "FAILED" in output


@pytest.mark.parametrize(
    ("suite", "ref", "shown"),
    [
        (None, "flights@1", "cannot read the suite"),
        ("name: s\nexpectations: [\n", "flights@1", "cannot read the suite"),
        ("name: s\nexpectations:\n  - {kind: shiny}\n", "flights@1", "unknown expectation kind"),
        (PASSING, "nope@1", "nope"),
        (
            "name: s\nexpectations:\n  - {kind: matches, column: origin, regex: '(a'}\n",
            "flights@1",
            "'regex' got '(a'",
        ),
        (
            "name: s\nexpectations:\n  - {kind: in_set, column: origin, values: abc}\n",
            "flights@1",
            "'values' got 'abc'",
        ),
        (
            "name: s\nexpectations:\n  - {kind: not_null, column: delay, max_fraction: lots}\n",
            "flights@1",
            "'max_fraction' got 'lots'",
        ),
    ],
    ids=[
        "missing-file",
        "broken-yaml",
        "unknown-kind",
        "unknown-dataset",
        "bad-regex",
        "string-as-set",
        "bad-parameter",
    ],
)
def test_misuse_is_2_with_a_message_and_no_traceback(
    flights: str, tmp_path: Path, suite: str | None, ref: str, shown: str
) -> None:
    code, output = _validate(tmp_path, suite, ref)
    assert code == 2, output
    assert "error:" in output and shown in " ".join(output.split())
    assert "Traceback" not in output


def test_the_installed_command_exits_2_on_misuse(tmp_path: Path) -> None:
    dl.init_workspace(tmp_path / "ws").close()
    done = subprocess.run(
        [sys.executable, "-m", "driftloop", "data", "validate", "x@1", "--suite", "missing.yaml"],
        cwd=tmp_path / "ws",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert "cannot read the suite" in done.stderr and "Traceback" not in done.stderr
