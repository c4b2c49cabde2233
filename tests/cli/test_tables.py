"""Tables read in an 80-column terminal: one line a row, no word or date broken across
lines, long cells cut with an ellipsis; the real command in a subprocess, as a shell runs it."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import driftloop as dl

DATASET = "flights-of-the-new-york-city-airports"
MODEL = "flight-delays-classifier"
ENDPOINT = "flight-delays-endpoint"
TIME = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")


def _cli(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "driftloop", *args],
        cwd=root,
        env={**os.environ, "COLUMNS": "80"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def _table(root: Path, *args: str) -> list[str]:
    result = _cli(root, *args)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines and max(len(line) for line in lines) <= 80, result.stdout
    return lines


def _times_whole(lines: list[str], record_times: list[str]) -> None:
    # Every time in the JSON shows whole, on one line, in the table.
    text = "\n".join(lines)
    for iso in record_times:
        assert iso[:19].replace("T", " ") in text, (iso, text)


@pytest.fixture
def filled(sqlite_workspace: dl.Workspace) -> Path:
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "departure_delay_in_minutes_after_the_schedule": rng.normal(10, 30, 200),
            "origin_airport": rng.choice(
                ["John F. Kennedy International Airport", "Newark Liberty International"], 200
            ),
            "scheduled_departure_time": pd.date_range("2013-01-01", periods=200, freq="h"),
            "distance": rng.integers(100, 5000, 200),
        }
    )
    dl.log_dataset(DATASET, frame, description="a description long enough to need cutting")
    features = frame[["distance"]].astype(float)
    model = LogisticRegression().fit(features, frame["distance"] > 2000)
    with dl.start_run(experiment="delays"):
        for _ in range(2):
            dl.log_model(model, name=MODEL, input_example=features.head(), register=True)
    dl.set_model_alias(MODEL, "champion", 1)
    dl.set_model_alias(MODEL, "challenger-for-the-whole-summer", 2)
    serving = sqlite_workspace.serving
    serving.deploy(ENDPOINT, f"{MODEL}@1")
    serving.deploy(ENDPOINT, f"{MODEL}@1", canary=f"{MODEL}@2", canary_weight=0.25)
    serving.rollback(ENDPOINT)
    return sqlite_workspace.root


def test_data_versions_and_profile_fit_80_columns(filled: Path) -> None:
    versions = _table(filled, "data", "versions", DATASET)
    assert len(versions) == 4  # title, header, rule, one version
    cut = versions[3].split()[0]
    assert DATASET.startswith(cut[:-1]) and cut.endswith("…") and "200" in versions[3]
    [listed] = json.loads(_cli(filled, "data", "versions", DATASET, "--json").stdout)
    _times_whole(versions, [listed["created_at"]])
    profile = _table(filled, "data", "profile", DATASET)
    # The summary line; "columns": title, header, rule, 4 rows; "ranges": title, header,
    # rule, the 3 numeric and temporal columns. No row wraps.
    assert len(profile) == 1 + 7 + 6, "\n".join(profile)
    assert any(line.startswith("departure_del") and "…" in line for line in profile)
    ranges = "\n".join(profile[profile.index("ranges") :])
    assert "2013-01-01 00:00:00" in ranges and "2013-01-09 07:00:00" in ranges  # never cut


def test_models_versions_and_endpoints_history_fit_80_columns(filled: Path) -> None:
    versions = _table(filled, "models", "versions", MODEL)
    assert len(versions) in (5, 6)  # title, header, rule, two versions (and what was left out)
    assert "challeng…" in versions[4] or "challenger-for" in versions[4]
    records = json.loads(_cli(filled, "models", "versions", MODEL, "--json").stdout)
    _times_whole(versions, [r["created_at"] for r in records])
    history = _table(filled, "endpoints", "history", ENDPOINT)
    assert len(history) == 5  # header, rule, three deployments
    assert [line.split()[:2] for line in history[2:]] == [
        ["1", "deploy"],
        ["2", "deploy"],
        ["3", "rollback"],
    ]
    assert all(line.endswith("…") for line in history[2:])  # the changes, cut not wrapped
    records = json.loads(_cli(filled, "endpoints", "history", ENDPOINT, "--json").stdout)
    _times_whole(history, [r["created_at"] for r in records])


def test_the_table_helper_never_cuts_numbers_or_times_and_says_what_it_left_out() -> None:
    from rich.console import Console

    from driftloop.cli._table import draw, to_columns

    out = Console(width=40, record=True, highlight=False)
    rows = [("a-long-name-of-a-thing", 0.123456, pd.Timestamp("2026-06-01 12:00:00"), "x" * 30)]
    draw("t", to_columns(["name", "value", "when", "notes"], rows), out)
    lines = out.export_text().splitlines()
    assert max(len(line) for line in lines) <= 40
    assert "0.123456" in lines[3] and "2026-06-01 12:00:00" in lines[3]
    assert lines[3].startswith("a-long-") and lines[3].split()[0].endswith("…")
    note = " ".join(lines[4:])  # a message, wrapped at word boundaries like any other
    assert note == "1 more column(s) do not fit (notes); see all with --json."
