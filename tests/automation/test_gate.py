from __future__ import annotations

import math

from driftloop.automation import GateSpec, ModelEvidence, evaluate_gate


def test_a_challenger_that_improves_enough_on_every_slice_passes() -> None:
    spec = GateSpec(metric="roc_auc", min_improvement=0.01)
    champion = ModelEvidence(metrics={"recent": 0.70, "holdout": 0.72})
    challenger = ModelEvidence(metrics={"recent": 0.75, "holdout": 0.74})
    result = evaluate_gate(spec, challenger, champion)
    assert result.passed
    assert [c.name for c in result.checks] == ["roc_auc on holdout", "roc_auc on recent"]
    assert result.checks[1].champion == 0.70 and result.checks[1].challenger == 0.75


def test_a_challenger_worse_on_the_holdout_fails_with_both_numbers() -> None:
    spec = GateSpec(metric="roc_auc", min_improvement=0.0)
    result = evaluate_gate(
        spec,
        ModelEvidence(metrics={"recent": 0.80, "holdout": 0.60}),
        ModelEvidence(metrics={"recent": 0.70, "holdout": 0.72}),
    )
    assert not result.passed
    (failure,) = result.failures
    assert failure.name == "roc_auc on holdout"
    assert "0.6000 is worse than champion 0.7200" in failure.reason


def test_for_a_loss_metric_lower_wins() -> None:
    spec = GateSpec(metric="log_loss", min_improvement=0.02)
    better = evaluate_gate(spec, ModelEvidence({"recent": 0.40}), ModelEvidence({"recent": 0.45}))
    marginal = evaluate_gate(spec, ModelEvidence({"recent": 0.44}), ModelEvidence({"recent": 0.45}))
    assert better.passed and not marginal.passed


def test_suite_fairness_and_latency_bounds_each_fail_the_gate() -> None:
    spec = GateSpec(suite="flights", max_fairness_gap=0.1, max_latency_ms=10.0)
    good = ModelEvidence({"recent": 0.8}, suite_passed=True, fairness_gap=0.05, latency_p99_ms=4)
    assert evaluate_gate(spec, good, None).passed
    bad = ModelEvidence({"recent": 0.8}, suite_passed=False, fairness_gap=0.2, latency_p99_ms=40)
    assert {c.name for c in evaluate_gate(spec, bad, None).failures} == {
        "suite",
        "fairness",
        "latency",
    }


def test_unmeasured_or_non_finite_evidence_never_passes() -> None:
    assert not evaluate_gate(GateSpec(), ModelEvidence(), None).passed
    nan = ModelEvidence({"recent": math.nan})
    assert not evaluate_gate(GateSpec(), nan, ModelEvidence({"recent": 0.5})).passed
    unmeasured = ModelEvidence({"recent": 0.9})
    assert not evaluate_gate(GateSpec(max_latency_ms=5.0), unmeasured, None).passed


def test_without_a_champion_only_absolute_checks_apply() -> None:
    result = evaluate_gate(GateSpec(min_improvement=0.5), ModelEvidence({"recent": 0.6}), None)
    assert result.passed
    assert result.checks[0].reason == "no champion figure to beat"
