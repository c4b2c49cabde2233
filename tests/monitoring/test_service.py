"""Monitors over a real prediction log: windows, drift, realized and estimated accuracy,
service metrics, fairness, late labels; all stored as series per version and route."""

from __future__ import annotations

from datetime import timedelta

import pytest

from driftloop.errors import InvalidInputError, NotFoundError
from driftloop.monitoring import MonitorSpec

from .conftest import DAY0, World, delayed, flights


def _summer_log(world: World, label: bool = True) -> list:
    days = []
    for day, summer in ((0, False), (1, False), (2, True)):
        frame = flights(400, world.rng, summer)
        records = world.predict_records(frame, day)
        world.write(records)
        days.append((records, frame, summer))
    if label:
        for records, frame, summer in days[:2]:
            world.label(records, delayed(frame, world.rng, summer))
    return days


def test_daily_windows_show_the_summer_drift_against_the_training_set(world: World) -> None:
    _summer_log(world)
    service = world.ws.monitoring
    service.define(
        "flights-daily", MonitorSpec("flights", window="1d", target="delayed", group_by="origin")
    )
    written = service.run_due(DAY0 + timedelta(days=3))
    assert [(w.start - DAY0).days for w in written] == [0, 1, 2]
    first, _, summer = written
    assert first.summary["reference"] == world.train_ref  # found through the lineage
    assert first.metrics["drift.share"] == 0 and summer.metrics["drift.share"] == 1.0
    assert summer.metrics["drift.distance"] > 0.2 and "distance" in summer.summary["distributions"]
    assert first.rows == 400 and first.metrics["requests"] == 20
    assert first.metrics["error_rate"] == 0 and first.metrics["latency_p50"] > 0
    assert first.metrics["missing.distance"] == 0
    # Labels came for the first two days only: realized beside the CBPE estimate.
    assert first.labeled_rows == 400 and first.metrics["accuracy"] > 0.85
    assert abs(first.metrics["estimated.accuracy"] - first.metrics["accuracy"]) < 0.1
    assert "accuracy" not in summer.metrics and "estimated.accuracy" in summer.metrics
    assert {"roc_auc", "log_loss", "f1", "precision", "recall"} <= set(first.metrics)
    fairness = first.summary["fairness"]
    assert set(fairness["groups"]) == {"EWR", "JFK", "LGA"}
    assert 0 <= first.metrics["fairness.demographic_parity_difference"] <= 1
    assert "prediction_drift" in first.metrics
    # Nothing is due twice.
    assert service.run_due(DAY0 + timedelta(days=3)) == []


def test_late_labels_recompute_the_window(world: World) -> None:
    days = _summer_log(world, label=False)
    service = world.ws.monitoring
    service.define("m", MonitorSpec("flights", window="1d"))
    service.run_due(DAY0 + timedelta(days=3))
    assert "accuracy" not in service.windows("m")[2].metrics
    records, frame, summer = days[2]
    world.label(records, delayed(frame, world.rng, summer))
    redone = service.run_due(DAY0 + timedelta(days=3))
    assert [(w.start - DAY0).days for w in redone] == [2]
    summer_window = service.windows("m")[2]
    assert summer_window.labeled_rows == 400 and summer_window.metrics["accuracy"] < 0.75
    series = service.series("m", "accuracy")
    assert [p["window_start"] for p in series] == [summer_window.start]


def test_count_windows_and_versions_and_routes_are_separate_series(world: World) -> None:
    frame = flights(300, world.rng)
    world.write(world.predict_records(frame, 0) + world.predict_records(frame, 0, "canary", 2))
    service = world.ws.monitoring
    service.define(
        "by-count", MonitorSpec("flights", window=None, window_rows=250, reference=world.train_ref)
    )
    written = service.run_due(DAY0 + timedelta(days=1))
    assert len(written) >= 2 and {(w.model_version, w.route) for w in written} == {
        (1, "primary"),
        (2, "canary"),
    }
    assert sum(w.rows for w in written) <= 600
    versions = {p["model_version"] for p in service.series("by-count", "drift.share")}
    assert versions == {1, 2}


def test_bad_definitions_are_refused() -> None:
    with pytest.raises(InvalidInputError, match="either window"):
        MonitorSpec("flights", window="1d", window_rows=5)
    with pytest.raises(InvalidInputError, match="not a duration"):
        MonitorSpec("flights", window="1 day")


def test_unknown_monitor_says_how_to_make_one(world: World) -> None:
    with pytest.raises(NotFoundError, match="driftloop monitors create"):
        world.ws.monitoring.get("nope")


def test_a_window_larger_than_max_rows_is_sampled_but_counted_exactly(world: World) -> None:
    _summer_log(world)
    service = world.ws.monitoring
    service.define("small", MonitorSpec("flights", window="1d", max_rows=100))
    first = service.run_due(DAY0 + timedelta(days=1))[0]
    assert first.summary["sampled_rows"] == 100
    assert first.rows == 400 and first.labeled_rows == 400 and first.metrics["requests"] == 20
    assert "accuracy" in first.metrics and first.metrics["drift.share"] == 0
