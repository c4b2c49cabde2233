"""Profiles: statistics match pandas; the HTML report is self-contained."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import driftloop as dl
from driftloop.data._profile import compute_profile
from driftloop.data._report import render_profile_html


def test_profile_matches_pandas(sqlite_workspace: dl.Workspace, frame: pd.DataFrame) -> None:
    version = dl.log_dataset("flights", frame)
    profile = sqlite_workspace.datasets.profile(version)
    assert profile["num_rows"] == len(frame) and profile["num_columns"] == frame.shape[1]
    delay = profile["columns"]["delay"]
    assert delay["nulls"] == frame["delay"].isna().sum() and delay["kind"] == "numeric"
    assert delay["mean"] == pytest.approx(frame["delay"].mean())
    assert delay["std"] == pytest.approx(frame["delay"].std())
    assert delay["min"] == frame["delay"].min() and delay["max"] == frame["delay"].max()
    assert sum(delay["histogram"]["counts"]) == frame["delay"].notna().sum()
    assert delay["quantiles"]["0.5"] == pytest.approx(frame["delay"].median(), rel=0.05)
    origin = profile["columns"]["origin"]
    assert origin["kind"] == "categorical" and origin["distinct"] == 3
    assert dict(map(tuple, origin["top"])) == frame["origin"].value_counts().to_dict()
    assert profile["null_cells"] == frame.isna().sum().sum()


def test_histogram_range_without_parquet_statistics(tmp_path: Path) -> None:
    path = tmp_path / "nostats.parquet"
    values = np.arange(100, dtype=float)
    pq.write_table(pa.table({"x": values}), path, write_statistics=False)
    profile = compute_profile([path])
    hist = profile["columns"]["x"]["histogram"]
    assert hist["edges"][0] == 0 and hist["edges"][-1] == 99 and sum(hist["counts"]) == 100


def test_all_null_and_temporal_columns(tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    pq.write_table(
        pa.table(
            {
                "n": pa.array([None, None], pa.float64()),
                "t": pa.array([0, 86400], pa.timestamp("s")),
            }
        ),
        path,
    )
    columns = compute_profile([path])["columns"]
    assert columns["n"]["nulls"] == 2 and "histogram" not in columns["n"]
    assert columns["t"]["kind"] == "temporal" and columns["t"]["max"].startswith("1970-01-02")


def test_html_report_has_inline_plots(sqlite_workspace: dl.Workspace, frame: pd.DataFrame) -> None:
    version = dl.log_dataset("flights", frame)
    page = render_profile_html(version.ref, sqlite_workspace.datasets.profile(version))
    assert page.startswith("<!doctype html>") and "flights@1" in page
    assert page.count("data:image/png;base64,") == 5
    assert 'src="http' not in page


def test_small_integer_range_gets_one_bin_per_value(tmp_path: Path) -> None:
    path = tmp_path / "days.parquet"
    pq.write_table(pa.table({"day": np.repeat(np.arange(1, 32), 3)}), path)
    column = compute_profile([path])["columns"]["day"]
    assert column["histogram"]["counts"] == [3] * 31
    assert (column["min"], column["max"], column["mean"]) == (1, 31, 16)


def test_html_report_overview_flags_what_to_look_at(
    sqlite_workspace: dl.Workspace, tmp_path: Path
) -> None:
    from driftloop.data._report import findings

    rng = np.random.default_rng(3)
    n = 1000
    frame = pd.DataFrame(
        {
            "const": np.full(n, 7),
            "label": ["same"] * n,
            "empty": pd.Series([None] * n, dtype="float64"),
            "sparse": np.where(np.arange(n) % 2 == 0, np.nan, 1.0 * np.arange(n)),
            "user_id": [f"u{i}" for i in range(n)],
            "income": rng.lognormal(0, 1, n),
            "fine": rng.normal(0, 1, n),
        }
    )
    version = dl.log_dataset("odd", frame)
    profile = sqlite_workspace.datasets.profile(version)
    flagged = {(f.column, f.label) for f in findings(profile)}
    assert flagged == {
        ("const", "constant"),
        ("label", "constant"),
        ("empty", "all null"),
        ("sparse", "many nulls"),
        ("user_id", "high cardinality"),
        ("income", "strong skew"),
    }
    page = render_profile_html(version.ref, profile)
    # The overview comes first, then the per-column details.
    assert page.index("Look at these first (6)") < page.index("Overview") < page.index("<h3>const")
    assert "one value (7) in 1,000 rows" in page and "a single value <b>same</b>" in page
    # No empty plot for a constant or all-null column: only the 4 others get one.
    assert page.count("data:image/png;base64,") == 4
    assert "every row is null" in page


def test_html_report_says_when_nothing_stands_out(sqlite_workspace: dl.Workspace) -> None:
    rng = np.random.default_rng(4)
    version = dl.log_dataset("fine", pd.DataFrame({"x": rng.normal(0, 1, 500)}))
    page = render_profile_html(version.ref, sqlite_workspace.datasets.profile(version))
    assert "Look at these first (0)" in page and "Nothing stands out" in page
