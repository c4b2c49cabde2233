"""Feature types as users write them map to one internal type, checked at definition."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import driftloop as dl
from driftloop.errors import InvalidInputError
from driftloop.features._types import normalize_dtype

CASES = {
    "DOUBLE": ["float64", "Float64", "double", "DOUBLE", "float8", np.float64, np.dtype("f8")],
    "FLOAT": ["float32", "Float32", "float", "REAL"],
    "BIGINT": ["int64", "Int64", "BIGINT", "long", pa.int64(), pd.Int64Dtype()],
    "INTEGER": ["int32", "Int32", "INTEGER", "int"],
    "BOOLEAN": ["bool", "Bool", "BOOLEAN", "boolean", np.bool_],
    "VARCHAR": ["string", "String", "str", "VARCHAR", "large_string", "utf8", pd.StringDtype()],
    "TIMESTAMPTZ": [
        "datetime64[ns]",
        "datetime64[ns, UTC]",
        "datetime64[us, Europe/Paris]",
        "timestamp[us, tz=UTC]",
        "timestamp[ms]",
        "UnixTimestamp",
        "TIMESTAMPTZ",
        "timestamp with time zone",
        "TIMESTAMP_NS",
        pd.DatetimeTZDtype("ns", "UTC"),
    ],
}


@pytest.mark.parametrize(
    ("written", "internal"), [(w, k) for k, names in CASES.items() for w in names], ids=str
)
def test_pandas_numpy_arrow_feast_and_sql_names_map_to_one_type(
    written: object, internal: str
) -> None:
    assert normalize_dtype(written) == internal
    if isinstance(written, str):
        assert dl.Feature("f", written).dtype == internal


@pytest.mark.parametrize("bad", ["object", "float65", "decimal(3)", "list<int>", "FLOAT64X", ""])
def test_an_unknown_type_is_refused_when_the_feature_is_built_listing_accepted_names(
    bad: str,
) -> None:
    with pytest.raises(InvalidInputError, match=r"feature 'f0': type .* use one of: .*float64"):
        dl.Feature("f0", bad)


def test_views_written_with_different_spellings_of_a_type_are_the_same_definition() -> None:
    entity = dl.Entity("e", ["k"])
    a = dl.FeatureView("v", [entity], "d", features=[dl.Feature("f", "float64")])
    b = dl.FeatureView("v", [entity], "d", features=[dl.Feature("f", "DOUBLE")])
    assert a.digest() == b.digest()


def test_a_float64_feature_builds_a_training_set(workspace) -> None:
    frame = pd.DataFrame(
        {"k": [1, 2], "t": [datetime(2024, 1, 1, tzinfo=UTC)] * 2, "f0": [1.5, 2.5]}
    )
    dl.log_dataset("d", frame)
    view = dl.FeatureView(
        "v",
        [dl.Entity("e", ["k"])],
        "d",
        timestamp="t",
        features=[dl.Feature("f0", "float64")],
    )
    dl.apply_features([view])
    entity = pd.DataFrame({"k": [2, 1], "event_timestamp": [datetime(2024, 2, 1, tzinfo=UTC)] * 2})
    table = dl.get_training_set(entity, ["v:f0"]).to_pandas()
    assert table["f0"].tolist() == [2.5, 1.5]


def test_features_apply_refuses_an_unknown_type_with_the_accepted_names(
    workspace, tmp_path: Path
) -> None:
    path = tmp_path / "features.py"
    path.write_text(
        "from driftloop import Entity, Feature, FeatureView\n"
        "v = FeatureView('v', [Entity('e', ['k'])], 'd', features=[Feature('f0', 'float65')])\n",
        encoding="utf-8",
    )
    env = {**os.environ, "DRIFTLOOP_HOME": str(workspace.root), "COLUMNS": "400"}
    env["DRIFTLOOP_DB_URL"] = workspace.settings.db_url
    result = subprocess.run(
        [sys.executable, "-m", "driftloop", "features", "apply", str(path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 1
    assert "type 'float65' is not a known feature type" in result.stderr
    assert "float64" in result.stderr and "Traceback" not in result.stderr
    # Said as the definition error it is, in the file it is in, not as a crash of user code.
    assert "Invalid input" in result.stderr and str(path) in result.stderr
    assert "User code failed" not in result.stderr
