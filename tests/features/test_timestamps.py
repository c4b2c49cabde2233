"""Event and feature times at every resolution, naive (UTC) or aware, or ISO text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import driftloop as dl
from driftloop._duckdb import DuckDB
from driftloop.errors import InvalidInputError
from driftloop.features._materialize import materialize_view
from driftloop.features._models import FeatureViewVersion
from driftloop.features._online import open_online_store
from driftloop.features._training import build_training_table

T0 = datetime(2024, 1, 1, tzinfo=UTC)
# Each kind: how a column of instants is written (Arrow type or text).
KINDS = [f"{unit}-{zone}" for unit in ("s", "ms", "us", "ns") for zone in ("naive", "utc", "paris")]
KINDS += ["iso-text", "iso-text-offset"]


def times(kind: str, instants: list[datetime]) -> pa.Array:
    if kind == "iso-text":
        return pa.array([t.strftime("%Y-%m-%dT%H:%M:%SZ") for t in instants])
    if kind == "iso-text-offset":
        return pa.array([t.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S+00:00") for t in instants])
    unit, zone = kind.split("-")
    tz = {"naive": None, "utc": "UTC", "paris": "Europe/Paris"}[zone]
    # The same instants in every case: naive values are the UTC wall clock.
    micros = [
        int((t - datetime(1970, 1, 1, tzinfo=UTC)) / timedelta(microseconds=1)) for t in instants
    ]
    scale = {"s": 1e-6, "ms": 1e-3, "us": 1, "ns": 1000}[unit]
    return pa.array([int(m * scale) for m in micros], pa.timestamp(unit, tz=tz))


def _view(tmp_path: Path, kind: str) -> tuple[FeatureViewVersion, dict[str, list[Path]]]:
    path = tmp_path / f"features-{kind}.parquet"
    instants = [T0, T0 + timedelta(hours=2), T0]
    table = pa.table({"k": ["a", "a", "b"], "t": times(kind, instants), "f": [1.0, 2.0, 9.0]})
    pq.write_table(table, path)
    view = dl.FeatureView(
        "v",
        [dl.Entity("e", ["k"])],
        "d",
        timestamp="t",
        ttl=timedelta(hours=5),
        features=[dl.Feature("f", "float64")],
    )
    return FeatureViewVersion("v", 1, view.digest(), view, T0, "test"), {"d": [path]}


@pytest.fixture(scope="module")
def duck() -> DuckDB:
    database = DuckDB()
    yield database
    database.close()


@pytest.mark.parametrize("entity_kind", KINDS)
@pytest.mark.parametrize("feature_kind", KINDS)
def test_training_sets_join_every_time_representation_on_either_side(
    tmp_path: Path, duck: DuckDB, feature_kind: str, entity_kind: str
) -> None:
    version, files = _view(tmp_path, feature_kind)
    events = [T0 + timedelta(hours=1), T0 + timedelta(hours=3), T0 - timedelta(hours=1)]
    entity = pa.table({"k": ["a", "a", "b"], "event_timestamp": times(entity_kind, events)})
    table = build_training_table(
        entity, "event_timestamp", [(version, ["f"], ["f"])], files.__getitem__, duck
    )
    assert table.column("f").to_pylist() == [1.0, 2.0, None]  # the last is before any value
    # The entity's own column comes back as given (text stays text); only the join casts.
    out_type = table.column("event_timestamp").type
    assert pa.types.is_string(out_type) == entity_kind.startswith("iso")


@pytest.mark.parametrize("feature_kind", KINDS)
def test_materialize_takes_the_latest_value_for_every_time_representation(
    tmp_path: Path, duck: DuckDB, feature_kind: str
) -> None:
    version, files = _view(tmp_path, feature_kind)
    online = open_online_store(f"sqlite:///{tmp_path / 'online.db'}")
    try:
        result = materialize_view(
            version,
            online,
            files.__getitem__,
            tmp_path / "snapshots",
            start=T0 - timedelta(hours=1),
            end=T0 + timedelta(hours=3),
            duck=duck,
        )
        values = online.read("v", ['["a"]', '["b"]'])
    finally:
        online.close()
    assert result.rows_written == 2
    assert result.source_watermark == T0 + timedelta(hours=2)
    assert [v[1] if v else None for v in values] == ['{"f":2.0}', '{"f":9.0}']


@pytest.mark.parametrize("side", ["entity", "feature"])
def test_a_time_column_that_is_not_a_time_is_refused_naming_the_column(
    tmp_path: Path, duck: DuckDB, side: str
) -> None:
    version, files = _view(tmp_path, "us-utc")
    entity = pa.table({"k": ["a"], "event_timestamp": times("us-utc", [T0])})
    if side == "feature":
        path = tmp_path / "bad.parquet"
        pq.write_table(pa.table({"k": ["a"], "t": ["yesterday"], "f": [1.0]}), path)
        files = {"d": [path]}
    else:
        entity = pa.table({"k": ["a"], "event_timestamp": [12.5]})
    with pytest.raises(InvalidInputError, match=r"time column '(t|event_timestamp)'") as info:
        build_training_table(
            entity, "event_timestamp", [(version, ["f"], ["f"])], files.__getitem__, duck
        )
    assert ("yesterday" in str(info.value)) == (side == "feature")


def test_naive_ns_features_with_aware_entities_end_to_end(workspace) -> None:
    """Issue 9 item 2 as reported: pandas 2's naive datetime64[ns] against aware event times."""
    import pandas as pd

    frame = pd.DataFrame({"k": ["a", "a"], "f": [1.0, 2.0]})
    frame["t"] = pd.to_datetime(["2024-01-01 00:00", "2024-01-01 02:00"]).astype("datetime64[ns]")
    dl.log_dataset("d", frame)
    view = dl.FeatureView(
        "v", [dl.Entity("e", ["k"])], "d", timestamp="t", features=[dl.Feature("f")]
    )
    dl.apply_features([view])
    entity = pd.DataFrame(
        {"k": ["a"], "event_timestamp": pd.to_datetime(["2024-01-01 01:00"], utc=True)}
    )
    assert dl.get_training_set(entity, ["v:f"]).to_pandas()["f"].tolist() == [1.0]
    [result] = dl.materialize_features(end=T0 + timedelta(hours=3))
    assert result.ok and result.rows_written == 1
    online = dl.get_online_features(["v:f"], [{"k": "a"}], as_of=T0 + timedelta(hours=3))
    assert online["f"].tolist() == [2.0]
