from __future__ import annotations

from datetime import UTC, datetime, timedelta

from driftloop.automation import RolloutSpec, RouteStats, decide_canary

T0 = datetime(2026, 12, 1, tzinfo=UTC)
SPEC = RolloutSpec(min_requests=100, min_labels=20, observe=timedelta(minutes=30))
CHAMPION = RouteStats(requests=900, errors=1, latency_p99_ms=10.0, labeled=200, metric=0.80)


def decide(canary: RouteStats, minutes: float = 5) -> tuple[str, str]:
    decision = decide_canary(SPEC, canary, CHAMPION, T0, T0 + timedelta(minutes=minutes))
    return decision.action, " ".join(decision.reasons)


def test_the_canary_waits_until_it_has_enough_requests_and_labels() -> None:
    action, why = decide(RouteStats(requests=50, labeled=5, latency_p99_ms=9.0))
    assert action == "wait" and "50/100 requests" in why


def test_a_canary_no_worse_than_the_champion_is_promoted() -> None:
    canary = RouteStats(requests=120, errors=0, latency_p99_ms=11.0, labeled=30, metric=0.795)
    action, why = decide(canary)
    assert action == "promote" and "0.7950 vs champion 0.8000" in why


def test_errors_latency_or_a_metric_drop_roll_back_at_once() -> None:
    assert decide(RouteStats(requests=40, errors=5, latency_p99_ms=9.0))[0] == "rollback"
    slow = decide(RouteStats(requests=120, latency_p99_ms=16.0))
    assert slow[0] == "rollback" and "p99 latency" in slow[1]
    # over a few dozen requests the p99 is the slowest one (a cold first call): no verdict
    assert decide(RouteStats(requests=40, latency_p99_ms=16.0))[0] == "wait"
    worse = decide(RouteStats(requests=60, latency_p99_ms=9.0, labeled=25, metric=0.70))
    assert worse[0] == "rollback" and "realized metric 0.7000" in worse[1]


def test_one_early_error_is_noise_not_a_breach() -> None:
    assert decide(RouteStats(requests=3, errors=1, latency_p99_ms=9.0))[0] == "wait"


def test_a_lower_estimate_before_labels_is_no_reason_to_roll_back() -> None:
    # Each model's CBPE estimate assumes its own calibration: an overconfident champion
    # would always "win" a comparison of estimates.
    champion = RouteStats(requests=900, latency_p99_ms=10.0, estimated_metric=0.80)
    canary = RouteStats(requests=60, latency_p99_ms=9.0, estimated_metric=0.70)
    decision = decide_canary(SPEC, canary, champion, T0, T0 + timedelta(minutes=1))
    assert decision.action == "wait"


def test_a_canary_that_saw_too_little_traffic_in_its_window_is_rolled_back() -> None:
    action, why = decide(RouteStats(requests=10, latency_p99_ms=9.0), minutes=31)
    assert action == "rollback" and "not enough traffic" in why


def test_enough_traffic_whose_labels_are_late_waits_for_them_then_gives_up() -> None:
    action, why = decide(RouteStats(requests=150, latency_p99_ms=9.0), minutes=31)
    assert action == "wait" and "waiting for labels: 150/100 requests, 0/20" in why
    week = 60 * 24 * 7
    action, why = decide(RouteStats(requests=150, latency_p99_ms=9.0), minutes=31 + week)
    assert action == "rollback" and "labels did not arrive" in why
