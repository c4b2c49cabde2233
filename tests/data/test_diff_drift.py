"""One drift computation: `data diff`, `no_drift` and `dl.compute_drift` agree exactly."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import driftloop as dl
from driftloop._demo._flights import load_flights
from driftloop.cli import app

# Columns where the diff's profile bins (20 equal-width bins, top 10 values) and
# compute_drift's deciles and full category counts disagreed: month is constant in
# each version (PSI 0 against 18.4), tailnum has thousands of values (0.0007 against 0.35).
COLUMNS = ["month", "tailnum", "distance", "hour", "carrier", "dest"]


@pytest.fixture
def january_and_february(sqlite_workspace: dl.Workspace) -> tuple[pd.DataFrame, pd.DataFrame]:
    flights = load_flights()[COLUMNS]
    january = flights[flights["month"] == 1].reset_index(drop=True)
    february = flights[flights["month"] == 2].reset_index(drop=True)
    dl.log_dataset("flights", january)
    dl.log_dataset("flights", february)
    return january, february


def test_diff_and_compute_drift_give_one_answer_on_real_versions(
    sqlite_workspace: dl.Workspace, january_and_february: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    report = dl.compute_drift(
        dl.get_dataset("flights@1").to_pandas(), dl.get_dataset("flights@2").to_pandas()
    )
    diff = sqlite_workspace.datasets.diff("flights@1", "flights@2")
    by_column = {c.column: c for c in diff.columns}
    assert sorted(by_column) == sorted(COLUMNS)
    for expected in report.columns:
        got = by_column[expected.column]
        assert got.psi == expected.stats["psi"], expected.column
        assert got.ks == expected.stats.get("ks"), expected.column
        assert got.drift == expected, expected.column
    assert by_column["month"].psi > 10 and by_column["month"].drift.drifted  # type: ignore[union-attr]
    assert by_column["tailnum"].psi == report.column("tailnum").stats["psi"] > 0.2

    cli = CliRunner().invoke(app, ["data", "diff", "flights@1", "flights@2", "--json"])
    assert cli.exit_code == 0, cli.output
    printed = {c["column"]: c for c in json.loads(cli.output)["columns"]}
    for expected in report.columns:
        assert printed[expected.column]["psi"] == expected.stats["psi"]
        assert printed[expected.column]["drift"]["reason"] == expected.reason


def test_no_drift_observes_the_same_psi_and_ks(
    sqlite_workspace: dl.Workspace, january_and_february: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    january, february = january_and_february
    report = dl.compute_drift(january, february)
    suite = dl.Suite("s").no_drift("distance", "flights@1", max_psi=None)
    suite = suite.no_drift("tailnum", "flights@1", max_psi=None)
    result = dl.validate_dataset("flights@2", suite)
    for r in result.results:
        expected = report.column(str(r.expectation.column))
        assert r.observed["psi"] == round(expected.stats["psi"], 6)
        ks = expected.stats.get("ks")
        assert r.observed["ks"] == (None if ks is None else round(ks, 6))


def test_no_drift_between_numbers_and_text_names_the_type_mismatch(
    sqlite_workspace: dl.Workspace, tmp_path: Path
) -> None:
    dl.log_dataset("d", pd.DataFrame({"x": [1.5, 2.5, 3.5] * 20, "y": [1, 2, 3] * 20}))
    dl.log_dataset("d", pd.DataFrame({"x": ["1.5", "2.5", "x"] * 20, "y": [1, 2, 3] * 20}))
    suite = dl.Suite("s").no_drift("x", "d@1").no_drift("y", "d@1")
    result = dl.validate_dataset("d@2", suite)
    x, y = result.results
    assert not x.success and y.success  # the data changed type: a failed check, the rest runs
    assert x.observed == (
        "type mismatch: d@2 against d@1: column 'x' holds numbers (double) in the reference "
        "but text (large_string) in the current data: drift compares a column with itself, "
        "so give both sides one type (cast one, e.g. pd.to_numeric(...) or .astype(str))"
    )
    diff = sqlite_workspace.datasets.diff("d@1", "d@2")
    assert diff.retyped == {"x": ("double", "large_string")}
    assert [(c.column, c.drift is None) for c in diff.columns] == [("x", True), ("y", False)]

    path = tmp_path / "suite.yaml"
    path.write_text(suite.to_yaml())
    cli = CliRunner().invoke(app, ["data", "validate", "d@2", "--suite", str(path)])
    assert cli.exit_code == 1, cli.output
    assert "type mismatch" in cli.output and "holds numbers (double)" in cli.output


def test_no_drift_on_a_column_without_a_drift_statistic_is_refused(
    sqlite_workspace: dl.Workspace,
) -> None:
    frame = pd.DataFrame({"when": pd.date_range("2026-01-01", periods=30, tz="UTC")})
    dl.log_dataset("t", frame)
    with pytest.raises(
        dl.InvalidInputError,
        match=r"no_drift cannot compare column 'when': its type timestamp\[.*\] has no "
        "drift statistic",
    ):
        dl.validate_dataset("t@1", dl.Suite("s").no_drift("when", "t@1"))
