"""The feature store end to end on real datasets, on every metadata backend."""

from __future__ import annotations

import os
import threading
import uuid
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

import driftloop as dl
from driftloop.errors import InvalidInputError, NotFoundError

T0 = datetime(2024, 1, 1, tzinfo=UTC)
STATION = dl.Entity("station", join_keys=["origin"])


def hours(n: float) -> datetime:
    return T0 + timedelta(hours=n)


def weather_view(**changes) -> dl.FeatureView:
    spec = dict(
        name="weather",
        entities=[STATION],
        source="weather",
        timestamp="time_hour",
        ttl=timedelta(hours=2),
        features=[dl.Feature("temp"), dl.Feature("wind", "BIGINT")],
    )
    spec.update(changes)
    return dl.FeatureView(**spec)


def log_weather(rows: list[tuple[str, float, float, int]]) -> None:
    frame = pd.DataFrame(rows, columns=["origin", "h", "temp", "wind"])
    # Naive UTC in the dataset, aware in the entity rows: both must line up.
    frame["time_hour"] = [hours(h).replace(tzinfo=None) for h in frame.pop("h")]
    dl.log_dataset("weather", frame)


WEATHER = [("JFK", 0, 1.0, 10), ("JFK", 1, 2.0, 11), ("LGA", 0, 5.0, 20), ("JFK", 5, 3.0, 12)]


@pytest.fixture
def store(workspace):
    log_weather(WEATHER)
    planes = pd.DataFrame({"tailnum": ["N1", "N2"], "year": [1999, 2010], "seats": [100, 200]})
    dl.log_dataset("planes", planes)
    plane = dl.Entity("plane", ["tailnum"])
    dl.apply_features(
        [
            weather_view(),
            dl.FeatureView(
                "planes",
                entities=[plane],
                source="planes",
                transformation="select tailnum, year as plane_year, seats from source",
                features=[dl.Feature("plane_year", "BIGINT"), dl.Feature("seats", "BIGINT")],
            ),
        ]
    )
    return workspace.features


def test_training_set_is_point_in_time_correct_with_ttl_and_static_view(store) -> None:
    flights = pd.DataFrame(
        {
            "origin": ["JFK", "JFK", "JFK", "LGA", "EWR", "JFK"],
            "tailnum": ["N1", "N2", "N9", "N1", "N1", None],
            "time_hour": [hours(0.5), hours(1), hours(4), hours(-1), hours(1), hours(5)],
        }
    )
    result = dl.get_training_set(
        flights, ["weather:temp", "weather:wind", "planes:*"], event_timestamp="time_hour"
    ).to_pandas()
    temps = [None if pd.isna(v) else v for v in result["temp"]]
    # 0.5h: value from 0h; 1h: exact tie with the event; 4h: last value at 1h is past the
    # 2h TTL; LGA before its first value; EWR unknown; 5h: exact.
    assert temps == [1.0, 2.0, None, None, None, 3.0]
    assert result["plane_year"].tolist()[:2] == [1999, 2010]
    assert pd.isna(result["seats"][2]) and pd.isna(result["seats"][5])
    assert list(result.columns) == [
        "origin",
        "tailnum",
        "time_hour",
        "temp",
        "wind",
        "plane_year",
        "seats",
    ]


def test_logged_training_set_links_run_to_dataset_and_view_versions(store, workspace) -> None:
    entity = pd.DataFrame({"origin": ["JFK"], "event_timestamp": [hours(1)]})
    with dl.start_run(experiment="fs") as run:
        ts = dl.get_training_set(entity, ["weather:temp"], log=True, name="fs-train")
    assert ts.dataset.ref == "fs-train@1"
    assert ts.feature_views == ("weather@1",)
    inputs = {(i.kind, i.ref) for i in workspace.tracking.get_run(run.id).inputs}
    assert {("dataset", "fs-train@1"), ("feature_view", "weather@1")} <= inputs


def test_unknown_view_and_feature_and_missing_columns_are_explained(store) -> None:
    entity = pd.DataFrame({"origin": ["JFK"], "event_timestamp": [hours(1)]})
    with pytest.raises(NotFoundError, match="no feature view 'nope'"):
        dl.get_training_set(entity, ["nope:x"])
    with pytest.raises(InvalidInputError, match="no feature"):
        dl.get_training_set(entity, ["weather:humidity"])
    with pytest.raises(InvalidInputError, match="event time column 'ts'"):
        dl.get_training_set(entity, ["weather:temp"], event_timestamp="ts")
    with pytest.raises(InvalidInputError, match="join key"):
        dl.get_training_set(entity, ["planes:seats"])


def test_apply_versions_changes_and_warns_on_removed_or_retyped_features(store) -> None:
    assert [c.action for c in dl.apply_features([weather_view()])] == ["unchanged"]
    change = store.catalog.plan([weather_view(features=[dl.Feature("temp", "BIGINT")])])[0]
    assert change.action == "updated" and change.version == 2
    assert any("'wind' is removed" in w for w in change.warnings)
    assert any("'temp' changes type DOUBLE -> BIGINT" in w for w in change.warnings)
    applied = dl.apply_features([weather_view(ttl=timedelta(hours=3))])[0]
    assert (applied.action, applied.version, applied.warnings) == ("updated", 2, ())
    assert [v.version for v in store.catalog.versions("weather")] == [1, 2]


def test_concurrent_applies_never_lose_a_change(store) -> None:
    errors: list[BaseException] = []

    def apply(i: int) -> None:
        try:
            dl.get_workspace().features.apply([weather_view(description=f"change {i}")])
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=apply, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    versions = store.catalog.versions("weather")
    assert sorted(v.view.description for v in versions[1:]) == [f"change {i}" for i in range(4)]
    assert [v.version for v in versions] == [1, 2, 3, 4, 5]


def test_materialize_then_online_lookup_with_unknown_entities_and_ttl(store) -> None:
    results = dl.materialize_features(end=hours(6))
    assert {r.view: r.rows_written for r in results} == {"planes": 2, "weather": 2}
    rows = [{"origin": "JFK", "tailnum": "N2"}, {"origin": "ZZZ", "tailnum": "N0"}]
    feats = ["weather:temp", "weather:wind", "planes:seats"]
    online = dl.get_online_features(feats, rows, to="dict", as_of=hours(6))
    assert online == {
        "origin": ["JFK", "ZZZ"],
        "tailnum": ["N2", "N0"],
        "temp": [3.0, None],
        "wind": [12, None],
        "seats": [200, None],
    }
    expired = dl.get_online_features(feats, rows[:1], as_of=hours(7.5))
    assert expired["temp"].isna().all() and expired["seats"].tolist() == [200]


def test_materialize_window_and_incremental_pick_up_late_rows(store) -> None:
    store.materialize(["weather"], end=hours(1))
    at = {"origin": ["JFK", "LGA"]}
    assert store.get_online_features(["weather:temp"], at, as_of=hours(1))["temp"] == [2.0, 5.0]
    log_weather([*WEATHER, ("LGA", 0.5, 6.0, 21), ("EWR", 0.2, 9.0, 1)])  # late arrivals
    result = store.materialize(["weather"], incremental=True)[0]
    assert result.rows_written == 3  # JFK moves to 5h, LGA late row, EWR new; nothing else
    values = store.read_online(["weather:temp"], {"origin": ["JFK", "LGA", "EWR"]}, at=hours(1.5))
    assert values["temp"] == [3.0, 6.0, 9.0]  # online keeps only the latest value
    assert store.materialize(["weather"], incremental=True)[0].rows_written == 0


def test_online_lookup_as_of_a_past_time_never_returns_a_value_from_after_it(store) -> None:
    """The online store holds JFK's 5 h value; as of 1.5 h the answer was the 1 h value."""
    dl.materialize_features(end=hours(6))
    rows = {"origin": ["JFK", "LGA", "ZZZ"], "tailnum": ["N2", "N1", "N0"]}
    feats = ["weather:temp", "weather:wind", "planes:seats"]
    then = store.get_online_features(feats, rows, as_of=hours(1.5))
    assert then == {
        **rows,
        "temp": [2.0, 5.0, None],  # from 1 h and 0 h, both within the 2 h TTL
        "wind": [11, 20, None],
        "seats": [200, 100, None],  # static: always valid
    }
    # 4 h: JFK's newest value at or before it (1 h) is past the TTL; the 5 h one is later.
    assert store.get_online_features(feats, rows, as_of=hours(4))["temp"] == [None] * 3
    assert store.get_online_features(feats, rows, as_of=hours(-1))["temp"] == [None] * 3
    assert store.get_online_features(feats, rows, as_of=hours(5))["temp"] == [3.0, None, None]
    naive = store.get_online_features(feats, rows, as_of=hours(1.5).replace(tzinfo=None))
    assert naive == then  # a naive time is UTC
    with pytest.raises(InvalidInputError, match=r"lack join key\(s\) \['tailnum'\]"):
        store.get_online_features(feats, {"origin": ["JFK"]}, as_of=hours(1))


def test_freshness_flags_views_stale_beyond_ttl(store) -> None:
    assert all(f.is_stale for f in store.freshness())
    store.materialize()
    fresh = {f.name: f for f in store.freshness()}
    assert not fresh["planes"].is_stale  # static views never expire
    assert fresh["weather"].source_watermark == hours(5)
    assert fresh["weather"].is_stale  # its newest value (2024) is far beyond the 2 h TTL
    store.clock = lambda: hours(6)  # one hour after the newest value: within the TTL
    assert not {f.name: f for f in store.freshness()}["weather"].is_stale


def test_check_skew_reports_no_mismatch_after_materialize_and_finds_late_data(store) -> None:
    store.materialize(["weather"], end=hours(5))
    report = store.check_skew("weather", sample=10)
    assert report.entities == 2 and not report.has_skew
    assert {f: r.mismatches for f, r in report.features.items()} == {"temp": 0, "wind": 0}
    log_weather([*WEATHER, ("LGA", 4.5, 7.0, 22)])  # arrived after materializing
    late = store.check_skew("weather", sample=10)
    assert late.has_skew and late.features["temp"].mismatches == 1
    example = late.features["temp"].examples[0]
    assert example.keys == {"origin": "LGA"} and example.online != example.offline


def test_sql_source_over_datasets(store) -> None:
    view = dl.FeatureView(
        "warm",
        entities=[STATION],
        timestamp="time_hour",
        source="select origin, time_hour, temp * 2 as temp2 from weather where temp > 1",
        features=[dl.Feature("temp2")],
    )
    dl.apply_features([view])
    entity = pd.DataFrame({"origin": ["JFK", "LGA"], "event_timestamp": [hours(2), hours(2)]})
    assert dl.get_training_set(entity, ["warm:temp2"]).to_pandas()["temp2"].tolist() == [4.0, 10.0]


def test_redis_online_store_selected_by_url(store, workspace, monkeypatch) -> None:
    redis_url = os.environ.get("DRIFTLOOP_TEST_REDIS_URL")
    if not redis_url:
        pytest.skip("Redis run needs DRIFTLOOP_TEST_REDIS_URL (set by .ci/run)")
    ws = dl.Workspace(workspace.root, db_url=workspace.settings.db_url, online_url=redis_url)
    try:
        ws.features.online.prefix = f"dltest{uuid.uuid4().hex[:8]}"
        assert type(ws.features.online).__name__ == "RedisOnlineStore"
        ws.features.materialize(["weather"], end=hours(6))
        values = ws.features.get_online_features(
            ["weather:temp"], {"origin": ["JFK", "nowhere"]}, as_of=hours(6)
        )
        assert values["temp"] == [3.0, None]
        assert ws.features.check_skew("weather").features["temp"].mismatches == 0
    finally:
        ws.features.online.delete_view("weather")
        ws.close()


def test_selections_pin_a_view_version_offline_and_refuse_a_stale_one_online(store) -> None:
    tenfold = "select origin, time_hour, temp * 10 as temp, wind from source"
    assert dl.apply_features([weather_view(transformation=tenfold)])[0].version == 2
    entity = pd.DataFrame({"origin": ["JFK"], "event_timestamp": [hours(1)]})
    pinned = dl.get_training_set(entity, ["weather@1:temp"])
    assert pinned.feature_views == ("weather@1",) and pinned.to_pandas()["temp"].tolist() == [2.0]
    latest = dl.get_training_set(entity, ["weather:temp"])
    assert latest.feature_views == ("weather@2",) and latest.to_pandas()["temp"].tolist() == [20.0]
    assert dl.get_training_set(entity, ["weather@latest:temp"]).feature_views == ("weather@2",)
    with pytest.raises(NotFoundError, match="no version 7"):
        dl.get_training_set(entity, ["weather@7:temp"])
    dl.materialize_features(end=hours(6))
    row = [{"origin": "JFK"}]
    assert dl.get_online_features(["weather@2:temp"], row, to="dict", as_of=hours(6))["temp"] == [
        30.0
    ]
    with pytest.raises(InvalidInputError, match=r"holds weather@2, not weather@1"):
        dl.get_online_features(["weather@1:temp"], row, as_of=hours(6))
