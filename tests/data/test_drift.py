"""PSI and KS: known values and agreement with scipy."""

from __future__ import annotations

import numpy as np
import pytest

from driftloop.monitoring import (
    category_counts,
    histogram_counts,
    ks_from_counts,
    ks_statistic,
    psi,
)


def test_psi_zero_for_same_distribution_and_known_value() -> None:
    assert psi([10, 20, 30], [1, 2, 3]) == pytest.approx(0.0)
    expected = (0.9 - 0.5) * np.log(0.9 / 0.5) + (0.1 - 0.5) * np.log(0.1 / 0.5)
    assert psi([50, 50], [90, 10]) == pytest.approx(expected)


def test_psi_handles_empty_bins_and_rejects_bad_input() -> None:
    assert np.isfinite(psi([10, 0], [0, 10]))
    with pytest.raises(ValueError, match="bins differ"):
        psi([1, 2], [1, 2, 3])
    with pytest.raises(ValueError, match="non-negative"):
        psi([-1, 2], [1, 2])


def test_binned_ks_approaches_exact_ks() -> None:
    rng = np.random.default_rng(0)
    ref, cur = rng.normal(0, 1, 5000), rng.normal(0.5, 1, 5000)
    edges = list(np.linspace(-5, 5, 201))
    binned = ks_from_counts(histogram_counts(ref, edges), histogram_counts(cur, edges))
    exact, pvalue = ks_statistic(ref, cur)
    assert binned == pytest.approx(exact, abs=0.01) and pvalue < 1e-6
    assert ks_statistic([np.nan], [1.0]) == (0.0, 1.0)


def test_histogram_counts_clamp_outliers_into_end_bins() -> None:
    assert histogram_counts([-10, 0, 0.5, 1, 2, 99, np.nan], [0, 1, 2]).tolist() == [4, 2]


def test_category_counts_align_on_union() -> None:
    keys, a, b = category_counts({"x": 3, "y": 1}, {"y": 2, "z": 5})
    assert keys == ["x", "y", "z"] and a.tolist() == [3, 1, 0] and b.tolist() == [0, 2, 5]
