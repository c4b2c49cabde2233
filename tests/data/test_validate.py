"""Suites: YAML and Python, one scan, failing counts and examples, stored results, diffs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select

import driftloop as dl
from driftloop.data import Suite, diff_datasets
from driftloop.data._validate import type_matches
from driftloop.errors import InvalidInputError
from driftloop.store._data_rows import DatasetValidationRow

SUITE_YAML = """
name: flights
expectations:
  - {kind: column_exists, column: origin, type: string}
  - {kind: column_exists, column: distance, type: float}
  - {kind: not_null, column: delay, max_fraction: 0.15}
  - {kind: unique, column: id}
  - {kind: between, column: distance, min: 0, max: 5000}
  - {kind: in_set, column: origin, values: [EWR, JFK, LGA]}
  - {kind: matches, column: tailnum, regex: '^N[0-9]{4}$'}
  - {kind: row_count_between, min: 100, max: 1000}
  - {kind: mean_between, column: distance, min: 900, max: 1100}
  - {kind: quantile_between, column: distance, q: 0.5, min: 900, max: 1100}
  - {kind: no_drift, column: distance, reference: flights@1, max_psi: 0.2, max_ks: 0.2}
  - {kind: no_drift, column: origin, reference: flights@1}
"""


@pytest.fixture
def suite_file(tmp_path: Path) -> Path:
    path = tmp_path / "suite.yaml"
    path.write_text(SUITE_YAML)
    return path


def test_clean_data_passes_and_result_is_stored(
    workspace: dl.Workspace, frame: pd.DataFrame, suite_file: Path
) -> None:
    version = dl.log_dataset("flights", frame)
    result = dl.validate_dataset(version, str(suite_file))
    assert result.success, [r.message for r in result.failures]
    assert len(result.results) == 12 and result.dataset == "flights@1"
    with workspace.store.read() as session:
        row = session.scalar(select(DatasetValidationRow))
        assert row is not None and row.success and row.suite == "flights" and len(row.results) == 12


def test_bad_data_fails_with_counts_and_examples(
    workspace: dl.Workspace, frame: pd.DataFrame, suite_file: Path
) -> None:
    dl.log_dataset("flights", frame)
    bad = frame.copy()
    bad.loc[:9, "origin"] = "XXX"
    bad.loc[:2, "tailnum"] = "bad"
    bad.loc[5, "id"] = 6
    bad["distance"] = bad["distance"] * 1.5
    bad.loc[:199, "delay"] = np.nan
    result = dl.validate_dataset(dl.log_dataset("flights", bad), Suite.from_yaml(suite_file))
    failed = {
        r.expectation.describe().split("(")[0] + ":" + str(r.expectation.column): r
        for r in result.failures
    }
    assert not result.success
    assert (
        failed["in_set:origin"].failing_count == 10 and len(failed["in_set:origin"].examples) == 5
    )
    assert failed["in_set:origin"].examples[0]["origin"] == "XXX"
    assert failed["matches:tailnum"].failing_count == 3
    assert failed["unique:id"].failing_count == 1 and {
        e["id"] for e in failed["unique:id"].examples
    } == {6}
    assert failed["not_null:delay"].failing_count == 200 + 20
    assert failed["no_drift:distance"].observed["psi"] > 0.2
    origin_drift = next(
        r for r in result.results if r.expectation.describe().startswith("no_drift(column='origin'")
    )
    assert (
        origin_drift.success and 0.1 < origin_drift.observed["psi"] < 0.2
    )  # 2.5% new value: moderate
    assert {"mean_between:distance", "quantile_between:distance"} <= set(failed)


def test_python_suite_and_missing_column(
    sqlite_workspace: dl.Workspace, frame: pd.DataFrame
) -> None:
    version = dl.log_dataset("flights", frame)
    suite = (
        Suite("s")
        .not_null("origin")
        .column_exists("nope")
        .between("nope", 0, 1)
        .row_count_between(max=10)
    )
    result = dl.validate_dataset(version, suite)
    assert [r.success for r in result.results] == [True, False, False, False]
    assert result.results[2].observed == "no column 'nope'"


def test_suite_file_errors_are_clear(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("name: s\nexpectations:\n  - {kind: between, colum: x}\n")
    with pytest.raises(
        InvalidInputError,
        match=r"s\.yaml: item 1 of 'expectations': .*'column' is missing.*unknown .*'colum'",
    ):
        Suite.from_yaml(path)
    path.write_text("name: s\nexpectations:\n  - {kind: shiny}\n")
    with pytest.raises(InvalidInputError, match="unknown expectation kind 'shiny'"):
        Suite.from_yaml(path)


def test_suggested_suite_passes_on_its_own_version(
    sqlite_workspace: dl.Workspace, frame: pd.DataFrame
) -> None:
    version = dl.log_dataset("flights", frame)
    suite = sqlite_workspace.datasets.suggest_suite(version)
    kinds = {e.kind for e in suite.expectations}
    assert {
        "row_count_between",
        "column_exists",
        "not_null",
        "between",
        "in_set",
        "no_drift",
    } <= kinds
    assert dl.validate_dataset(version, Suite.from_dict(suite.to_dict())).success


def test_type_families() -> None:
    assert type_matches("int32", "integer") and type_matches("large_string", "string")
    assert type_matches("timestamp[us]", "timestamp") and not type_matches("double", "integer")
    assert type_matches("int64", "int64") and not type_matches("int64", "int32")


def test_diff_reports_schema_rows_stats_and_drift(
    workspace: dl.Workspace, frame: pd.DataFrame
) -> None:
    dl.log_dataset("flights", frame)
    changed = (
        frame.drop(columns=["tailnum"])
        .assign(distance=frame["distance"] + 400, extra=1, id=frame["id"].astype("float64"))
        .head(300)
    )
    dl.log_dataset("flights", changed)
    diff = diff_datasets("flights@1", "flights@2")
    assert diff.added == {"extra": "int64"} and diff.removed == {"tailnum": "large_string"}
    assert diff.retyped == {"id": ("int64", "double")} and diff.row_change == -100
    by_column = {c.column: c for c in diff.columns}
    assert by_column["distance"].psi > 1 and by_column["distance"].ks > 0.5
    assert by_column["origin"].psi < 0.1 and by_column["origin"].ks is None
    assert by_column["distance"].changes["mean"][1] > by_column["distance"].changes["mean"][0]


def test_profile_and_validate_columns_named_with_quotes_spaces_semicolons_and_keywords(
    workspace,
) -> None:
    frame = pd.DataFrame(
        {
            "it's": ["o'brien", "o'brien", "x"],
            "two words": [1.0, None, 3.0],
            "a;b": ["N1234", "N2", "N3456"],
            "select": [1, 2, 3],
            'q"x': [1, 1, 2],
        }
    )
    version = dl.log_dataset("odd", frame)
    profile = workspace.datasets.profile(version)["columns"]
    assert profile["it's"]["top"][0] == ["o'brien", 2]
    assert profile["select"]["max"] == 3 and profile["two words"]["nulls"] == 1
    suite = Suite.from_dict(
        {
            "name": "odd",
            "expectations": [
                {"kind": "in_set", "column": "it's", "values": ["o'brien", "x"]},
                {"kind": "not_null", "column": "two words"},
                {"kind": "matches", "column": "a;b", "regex": "^N[0-9]{4}$"},
                {"kind": "between", "column": "select", "min": 1, "max": 2},
                {"kind": "unique", "column": 'q"x'},
            ],
        }
    )
    result = dl.validate_dataset("odd", suite)
    assert [r.success for r in result.results] == [True, False, False, False, False]
    assert [r.failing_count for r in result.results] == [0, 1, 1, 1, 1]
