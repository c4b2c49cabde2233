"""The canary decision: wait, promote, or roll back, from the two routes' live figures.

Pure. A breach (errors, latency, realized accuracy) rolls back as soon as there is enough
traffic to see it; promotion waits until the canary has answered enough requests and
enough of them are labeled. A canary that saw too little traffic in the observation time,
or whose labels did not arrive within ``label_wait`` after it, is rolled back rather than
promoted on no evidence.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from driftloop.automation._policy import RolloutSpec

# Below this many requests one failure is noise, not an error rate.
MIN_REQUESTS_FOR_BREACH = 20
# A p99 over fewer requests is their slowest one (e.g. the first after the model loaded).
MIN_REQUESTS_FOR_LATENCY = 100

Action = Literal["wait", "promote", "rollback"]


@dataclass(frozen=True, slots=True)
class RouteStats:
    """A route's live figures over the observation so far. ``metric`` is the realized gate
    metric over ``labeled`` requests; ``estimated_metric`` the estimate made before labels."""

    requests: int
    errors: int = 0
    latency_p99_ms: float | None = None
    labeled: int = 0
    metric: float | None = None
    estimated_metric: float | None = None

    @property
    def error_rate(self) -> float:
        return self.errors / self.requests if self.requests else 0.0


@dataclass(frozen=True, slots=True)
class RolloutDecision:
    action: Action
    reasons: tuple[str, ...]


def decide_canary(
    spec: RolloutSpec,
    canary: RouteStats,
    champion: RouteStats,
    started_at: datetime,
    now: datetime,
    higher_is_better: bool = True,
) -> RolloutDecision:
    """Decide what to do with a canary that has been live since ``started_at``."""
    breaches = _breaches(spec, canary, champion, higher_is_better)
    if breaches:
        return RolloutDecision("rollback", tuple(breaches))
    has_traffic = canary.requests >= spec.min_requests
    has_labels = canary.labeled >= spec.min_labels
    if has_traffic and has_labels:
        return RolloutDecision("promote", tuple(_clean_bill(canary, champion)))
    elapsed = now - started_at
    progress = (
        f"{canary.requests}/{spec.min_requests} requests, "
        f"{canary.labeled}/{spec.min_labels} labeled"
    )
    if elapsed < spec.observe:
        return RolloutDecision("wait", (f"observing: {progress}",))
    if not has_traffic:
        return RolloutDecision(
            "rollback",
            (f"observation time passed with {progress}: not enough traffic to judge the canary",),
        )
    if elapsed < spec.observe + spec.label_wait:
        return RolloutDecision("wait", (f"waiting for labels: {progress}",))
    return RolloutDecision(
        "rollback", (f"labels did not arrive in time ({progress}): the canary is not judged",)
    )


def _breaches(
    spec: RolloutSpec, canary: RouteStats, champion: RouteStats, higher_is_better: bool
) -> list[str]:
    found: list[str] = []
    if canary.requests >= MIN_REQUESTS_FOR_BREACH and canary.error_rate > spec.max_error_rate:
        found.append(
            f"error rate {canary.error_rate:.2%} over {canary.requests} requests exceeds "
            f"{spec.max_error_rate:.2%}"
        )
    if (
        canary.requests >= MIN_REQUESTS_FOR_LATENCY
        and canary.latency_p99_ms is not None
        and champion.latency_p99_ms
        and canary.latency_p99_ms > spec.max_latency_ratio * champion.latency_p99_ms
    ):
        found.append(
            f"p99 latency {canary.latency_p99_ms:.1f} ms exceeds {spec.max_latency_ratio}x "
            f"the champion's {champion.latency_p99_ms:.1f} ms"
        )
    drop = _metric_drop(spec, canary, champion, higher_is_better)
    if drop is not None:
        found.append(drop)
    return found


def _metric_drop(
    spec: RolloutSpec, canary: RouteStats, champion: RouteStats, higher_is_better: bool
) -> str | None:
    # Realized figures only. Each model's CBPE estimate assumes its own calibration, so
    # comparing two models' estimates favours the more confident one, not the better one:
    # the estimate is shown beside the decision, never the reason for it.
    if canary.labeled < max(spec.min_labels, 1) or canary.metric is None:
        return None
    if champion.metric is None:
        return None
    sign = 1.0 if higher_is_better else -1.0
    if sign * (champion.metric - canary.metric) > spec.max_metric_drop:
        return (
            f"realized metric {canary.metric:.4f} over {canary.labeled} labeled rows is below "
            f"the champion's {champion.metric:.4f} by more than {spec.max_metric_drop:.4f}"
        )
    return None


def _clean_bill(canary: RouteStats, champion: RouteStats) -> list[str]:
    reasons = [f"{canary.requests} requests, error rate {canary.error_rate:.2%}"]
    if canary.metric is not None and champion.metric is not None:
        reasons.append(f"metric {canary.metric:.4f} vs champion {champion.metric:.4f}")
    elif canary.estimated_metric is not None and champion.estimated_metric is not None:
        reasons.append(
            f"estimated metric {canary.estimated_metric:.4f} vs champion "
            f"{champion.estimated_metric:.4f}"
        )
    return reasons
