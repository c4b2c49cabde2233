"""Binned drift statistics: PSI and Jensen-Shannon against known values and SciPy."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.distance import jensenshannon

from driftloop.monitoring import (
    category_counts,
    histogram_counts,
    jensenshannon_distance,
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


@pytest.mark.parametrize("seed", range(5))
def test_jensenshannon_matches_scipy(seed: int) -> None:
    rng = np.random.default_rng(seed)
    p, q = rng.integers(0, 50, 12), rng.integers(0, 50, 12)
    p[0], q[1] = 0, 0  # empty bins on either side
    assert jensenshannon_distance(p, q) == pytest.approx(jensenshannon(p, q, base=2))


def test_jensenshannon_bounds() -> None:
    assert jensenshannon_distance([1, 2, 3], [2, 4, 6]) == pytest.approx(0.0)
    assert jensenshannon_distance([5, 0], [0, 5]) == pytest.approx(1.0)
    assert jensenshannon_distance([0, 0], [1, 1]) == 0.0


def test_histogram_counts_clamp_outliers_into_end_bins() -> None:
    assert histogram_counts([-10, 0, 0.5, 1, 2, 99, np.nan], [0, 1, 2]).tolist() == [4, 2]


def test_category_counts_align_on_union() -> None:
    keys, a, b = category_counts({"x": 3, "y": 1}, {"y": 2, "z": 5})
    assert keys == ["x", "y", "z"] and a.tolist() == [3, 1, 0] and b.tolist() == [0, 2, 5]
