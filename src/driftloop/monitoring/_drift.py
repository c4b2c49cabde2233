"""Binned drift statistics: pure functions over counts (no I/O, no clock).

Shared by dataset diffs, validation suites and model monitoring. Binned forms take
counts over the same bins, so a statistic can be computed from two stored profiles
or from two DuckDB ``histogram`` results without reading the rows again. The
sample-based statistics (exact KS, Wasserstein) live in ``_numeric``.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import TypeVar

import numpy as np
from numpy.typing import ArrayLike

# Empty bins would make PSI infinite; this floor is the usual convention (as in
# Evidently and most credit-risk references).
PSI_EPSILON = 1e-4

K = TypeVar("K", bound=Hashable)


def _fractions(counts: ArrayLike) -> np.ndarray:
    array = np.asarray(counts, dtype=float)
    if array.ndim != 1 or (array < 0).any():
        raise ValueError("counts must be a 1-d array of non-negative numbers")
    total = array.sum()
    return array / total if total > 0 else np.zeros_like(array)


def _aligned(expected_counts: ArrayLike, actual_counts: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    expected, actual = _fractions(expected_counts), _fractions(actual_counts)
    if expected.shape != actual.shape:
        raise ValueError(f"bins differ: {expected.shape[0]} expected vs {actual.shape[0]} actual")
    return expected, actual


def psi(
    expected_counts: ArrayLike, actual_counts: ArrayLike, epsilon: float = PSI_EPSILON
) -> float:
    """Population Stability Index of ``actual`` against ``expected`` over the same bins.

    PSI = sum((a - e) * ln(a / e)) over bin fractions, each floored at ``epsilon``.
    Below 0.1 is usually read as stable, 0.1-0.25 as a moderate shift, above 0.25 as major.

    Example::

        psi([50, 50], [90, 10])  # 0.51
    """
    expected, actual = _aligned(expected_counts, actual_counts)
    expected, actual = np.maximum(expected, epsilon), np.maximum(actual, epsilon)
    return float(np.sum((actual - expected) * np.log(actual / expected)))


def jensenshannon_distance(expected_counts: ArrayLike, actual_counts: ArrayLike) -> float:
    """Jensen-Shannon distance (base 2, so in [0, 1]) between two binned distributions.

    The square root of the JS divergence: 0 for equal distributions, 1 for disjoint
    ones. Unlike PSI it needs no floor for empty bins. Equals
    ``scipy.spatial.distance.jensenshannon(p, q, base=2)``.
    """
    p, q = _aligned(expected_counts, actual_counts)
    if p.sum() == 0 or q.sum() == 0:
        return 0.0
    m = (p + q) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        left = np.where(p > 0, p * np.log2(p / m), 0.0)
        right = np.where(q > 0, q * np.log2(q / m), 0.0)
    divergence = max(float(left.sum() + right.sum()) / 2, 0.0)
    return float(np.sqrt(divergence))


def histogram_counts(values: ArrayLike, edges: Sequence[float]) -> np.ndarray:
    """Counts of ``values`` in bins ``(edges[i], edges[i+1]]``, outliers in the end bins.

    Matches DuckDB's ``histogram(x, edges[1:])`` with values beyond the edges clamped,
    so in-memory and SQL counts agree.
    """
    array = np.asarray(values, dtype=float)
    array = array[~np.isnan(array)]
    inner = np.asarray(edges[1:-1], dtype=float)
    index = np.searchsorted(inner, array, side="left")
    return np.bincount(index, minlength=len(edges) - 1).astype(np.int64)


def category_counts(
    expected: Mapping[K, float], actual: Mapping[K, float]
) -> tuple[list[K], np.ndarray, np.ndarray]:
    """Align two category -> count maps over the union of their categories.

    A category seen only on one side gets a zero count on the other (PSI floors it).
    """
    keys = sorted(set(expected) | set(actual), key=str)
    return (
        keys,
        np.array([expected.get(k, 0) for k in keys], dtype=float),
        np.array([actual.get(k, 0) for k in keys], dtype=float),
    )
