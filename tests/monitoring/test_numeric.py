"""Numeric drift: exact KS and Wasserstein against SciPy, on ties, sizes and NaNs."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from driftloop.monitoring import (
    NumericReference,
    SortedSample,
    ks_2samp,
    numeric_drift,
    quantile_edges,
    wasserstein_normed,
)

CASES = [
    (2000, 2000, False),
    (1500, 977, False),
    (800, 2300, True),  # heavy ties within and across the samples
    (3, 5, True),
    (1, 1, False),
]


@pytest.mark.parametrize(("n1", "n2", "ties"), CASES)
def test_ks_is_exact_and_matches_scipy(n1: int, n2: int, ties: bool) -> None:
    rng = np.random.default_rng(n1 + n2)
    a, b = rng.normal(0, 1, n1), rng.normal(0.2, 1.3, n2)
    if ties:
        a, b = np.round(a * 2), np.round(b * 2)
    expected = stats.ks_2samp(a, b)
    statistic, pvalue = ks_2samp(a, b)
    assert statistic == pytest.approx(expected.statistic, abs=1e-12)
    assert pvalue == pytest.approx(expected.pvalue, rel=1e-6, abs=1e-12)


def test_ks_pvalue_is_scipys_asymptotic_one_for_large_samples() -> None:
    rng = np.random.default_rng(1)
    a, b = rng.normal(0, 1, 20_000), rng.normal(0.01, 1, 15_000)
    expected = stats.ks_2samp(a, b, method="asymp")
    statistic, pvalue = ks_2samp(a, b)
    assert statistic == pytest.approx(expected.statistic, abs=1e-12)
    assert pvalue == pytest.approx(expected.pvalue, rel=1e-9)


def test_ks_beats_the_histogram_bound_where_they_differ() -> None:
    # All of a sits in one bin of a coarse histogram: a binned KS would see no gap.
    a, b = np.full(100, 0.4), np.full(100, 0.6)
    assert ks_2samp(a, b)[0] == 1.0


@pytest.mark.parametrize(("n1", "n2", "ties"), CASES)
def test_wasserstein_matches_scipy_divided_by_reference_std(n1: int, n2: int, ties: bool) -> None:
    rng = np.random.default_rng(n1 * 7 + n2)
    a, b = rng.exponential(2.0, n1), rng.exponential(2.5, n2) + 0.3
    if ties:
        a, b = np.round(a), np.round(b)
    scale = np.std(a) if np.std(a) > 0 else 1.0
    expected = stats.wasserstein_distance(a, b) / scale
    assert wasserstein_normed(a, b) == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_missing_values_are_counted_apart_not_compared() -> None:
    sample = SortedSample.of([3.0, np.nan, 1.0, np.nan])
    assert sample.values.tolist() == [1.0, 3.0] and sample.missing_rate == 0.5
    assert ks_2samp([np.nan], [1.0]) == (0.0, 1.0)


def test_quantile_edges_make_equal_frequency_bins_and_merge_ties() -> None:
    values = np.sort(np.arange(1000, dtype=float))
    reference = NumericReference.of(values)
    assert reference.counts.tolist() == [100] * 10
    assert quantile_edges(np.sort(np.array([1.0] * 90 + [2.0] * 10))).tolist() == [1.0]


def test_numeric_drift_psi_uses_reference_deciles() -> None:
    rng = np.random.default_rng(3)
    reference = NumericReference.of(rng.normal(0, 1, 50_000))
    same = numeric_drift(reference, SortedSample.of(rng.normal(0, 1, 50_000)))
    shifted = numeric_drift(reference, SortedSample.of(rng.normal(1, 1, 50_000)))
    assert same.psi < 0.01 and same.ks < 0.02 and same.wasserstein < 0.02
    # A one-sd mean shift of a normal: PSI near 1 over deciles, KS = 2 Phi(0.5) - 1.
    assert 0.8 < shifted.psi < 1.1
    assert shifted.ks == pytest.approx(2 * stats.norm.cdf(0.5) - 1, abs=0.01)
    assert shifted.wasserstein == pytest.approx(1.0, abs=0.02)
