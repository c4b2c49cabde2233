"""The gate: is the challenger good enough to meet live traffic?

Pure: the service measures both models (metrics on the recent labeled window and on the
holdout, the validation suite, per-group gaps, latency) and this module only compares,
returning every check with both sides' numbers so the decision explains itself.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from driftloop.automation._policy import GateSpec


@dataclass(frozen=True, slots=True)
class ModelEvidence:
    """What was measured of one model. ``metrics`` maps a data slice ("recent", "holdout")
    to the gate metric on it; missing slices were not measured."""

    metrics: dict[str, float] = field(default_factory=dict)
    suite_passed: bool | None = None
    fairness_gap: float | None = None
    latency_p99_ms: float | None = None


@dataclass(frozen=True, slots=True)
class GateCheck:
    name: str
    passed: bool
    challenger: float | bool | None
    champion: float | bool | None
    threshold: float | None
    reason: str


@dataclass(frozen=True, slots=True)
class GateResult:
    passed: bool
    checks: tuple[GateCheck, ...]

    @property
    def failures(self) -> tuple[GateCheck, ...]:
        return tuple(c for c in self.checks if not c.passed)


def evaluate_gate(
    spec: GateSpec, challenger: ModelEvidence, champion: ModelEvidence | None
) -> GateResult:
    """Compare ``challenger`` with ``champion`` (None when the endpoint serves nothing yet:
    only the absolute checks apply). A slice measured for the challenger but not for the
    champion passes on its own; a slice with a non-finite value fails."""
    checks = [
        _metric_check(spec, name, value, champion.metrics.get(name) if champion else None)
        for name, value in sorted(challenger.metrics.items())
    ]
    if not checks:
        checks.append(GateCheck(spec.metric, False, None, None, None, "nothing was measured"))
    if spec.suite is not None:
        ok = challenger.suite_passed is True
        reason = f"validation suite {spec.suite!r} " + ("passed" if ok else "did not pass")
        checks.append(GateCheck("suite", ok, challenger.suite_passed, None, None, reason))
    if spec.max_fairness_gap is not None:
        checks.append(
            _bound_check("fairness", challenger.fairness_gap, spec.max_fairness_gap, champion)
        )
    if spec.max_latency_ms is not None:
        checks.append(_bound_check("latency", challenger.latency_p99_ms, spec.max_latency_ms, None))
    return GateResult(all(c.passed for c in checks), tuple(checks))


def _metric_check(
    spec: GateSpec, slice_name: str, challenger: float, champion: float | None
) -> GateCheck:
    name = f"{spec.metric} on {slice_name}"
    if not math.isfinite(challenger):
        reason = "challenger's value is not finite"
        return GateCheck(name, False, challenger, champion, None, reason)
    if champion is None or not math.isfinite(champion):
        return GateCheck(name, True, challenger, champion, None, "no champion figure to beat")
    sign = 1.0 if spec.higher_is_better else -1.0
    improvement = sign * (challenger - champion)
    ok = improvement >= spec.min_improvement
    verb = "improves on" if improvement >= 0 else "is worse than"
    reason = (
        f"challenger {challenger:.4f} {verb} champion {champion:.4f} by {abs(improvement):.4f}"
        f" (needs {spec.min_improvement:+.4f})"
    )
    return GateCheck(name, ok, challenger, champion, spec.min_improvement, reason)


def _bound_check(
    name: str, value: float | None, bound: float, champion: ModelEvidence | None
) -> GateCheck:
    theirs = None
    if champion is not None:
        theirs = champion.fairness_gap if name == "fairness" else champion.latency_p99_ms
    if value is None or not math.isfinite(value):
        return GateCheck(name, False, value, theirs, bound, f"{name} was not measured")
    ok = value <= bound
    reason = f"{name} {value:.4g} {'within' if ok else 'exceeds'} the bound {bound:.4g}"
    return GateCheck(name, ok, value, theirs, bound, reason)
