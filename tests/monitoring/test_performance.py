"""Realized metrics, the CBPE estimate on calibrated scores, fairness on known groups."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics

from driftloop.monitoring._performance import (
    cbpe_estimate,
    classification_metrics,
    fairness,
    regression_metrics,
)


def _calibrated(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    p = rng.beta(2, 2, n)
    labels = (rng.random(n) < p).astype(int)  # calibrated: P(y = 1 | p) = p
    return p, labels, (p >= 0.5).astype(int)


def test_cbpe_estimates_the_realized_metrics_of_calibrated_scores() -> None:
    p, labels, predictions = _calibrated(50_000)
    proba = np.column_stack([1 - p, p])
    estimate = cbpe_estimate(proba, predictions, [0, 1])
    realized = classification_metrics(labels, predictions, proba, [0, 1])
    for name in ("accuracy", "precision", "recall", "f1", "roc_auc"):
        assert estimate[name] == pytest.approx(realized[name], abs=0.01), name


def test_realized_metrics_match_scikit_learn() -> None:
    p, labels, predictions = _calibrated(2000, seed=1)
    proba = np.column_stack([1 - p, p])
    out = classification_metrics(labels, predictions, proba, [0, 1])
    assert out["roc_auc"] == pytest.approx(metrics.roc_auc_score(labels, p))
    assert out["log_loss"] == pytest.approx(metrics.log_loss(labels, proba))
    assert out["f1"] == pytest.approx(metrics.f1_score(labels, predictions))
    multi = classification_metrics(
        np.array(["a", "b", "c", "a"]), np.array(["a", "b", "b", "a"]), None, ["a", "b", "c"]
    )
    assert multi["accuracy"] == 0.75 and "roc_auc" not in multi


def test_regression_metrics() -> None:
    out = regression_metrics(np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 5.0]))
    assert out["mae"] == pytest.approx(2 / 3) and out["rmse"] == pytest.approx(np.sqrt(4 / 3))
    assert out["r2"] == pytest.approx(1 - 4 / 2)


def test_fairness_differences_on_known_groups() -> None:
    groups = np.array(["a"] * 4 + ["b"] * 4)
    predictions = np.array([1, 1, 1, 0, 1, 0, 0, 0])
    labels = np.array([1, 1, 0, 0, 1, 1, 0, 0])
    out = fairness(groups, predictions, 1, labels)
    assert out["demographic_parity_difference"] == pytest.approx(0.75 - 0.25)
    assert out["groups"]["a"]["true_positive_rate"] == 1.0
    assert out["groups"]["b"]["true_positive_rate"] == 0.5
    assert out["equal_opportunity_difference"] == pytest.approx(0.5)
    assert out["groups"]["a"]["accuracy"] == 0.75 and out["groups"]["b"]["accuracy"] == 0.75
