"""Drift statistics: pure functions over counts and arrays (no I/O, no clock).

Shared by dataset diffs, validation suites and model monitoring. Binned forms take
counts over the same bins, so a statistic can be computed from two stored profiles
or from two DuckDB ``histogram`` results without reading the rows again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import ArrayLike

# Empty bins would make PSI infinite; this floor is the usual convention (as in
# Evidently and most credit-risk references).
PSI_EPSILON = 1e-4


def _fractions(counts: ArrayLike) -> np.ndarray:
    array = np.asarray(counts, dtype=float)
    if array.ndim != 1 or (array < 0).any():
        raise ValueError("counts must be a 1-d array of non-negative numbers")
    total = array.sum()
    return array / total if total > 0 else np.zeros_like(array)


def psi(
    expected_counts: ArrayLike, actual_counts: ArrayLike, epsilon: float = PSI_EPSILON
) -> float:
    """Population Stability Index of ``actual`` against ``expected`` over the same bins.

    PSI = sum((a - e) * ln(a / e)) over bin fractions, each floored at ``epsilon``.
    Below 0.1 is usually read as stable, 0.1-0.25 as a moderate shift, above 0.25 as major.

    Example::

        psi([50, 50], [90, 10])  # 0.51
    """
    expected = np.maximum(_fractions(expected_counts), epsilon)
    actual = np.maximum(_fractions(actual_counts), epsilon)
    if expected.shape != actual.shape:
        raise ValueError(f"bins differ: {expected.shape[0]} expected vs {actual.shape[0]} actual")
    return float(np.sum((actual - expected) * np.log(actual / expected)))


def ks_from_counts(expected_counts: ArrayLike, actual_counts: ArrayLike) -> float:
    """Kolmogorov-Smirnov statistic from counts over the same ordered bins.

    The largest gap between the two empirical CDFs at the bin edges: a lower bound of
    the exact statistic, equal to it when every value sits on an edge.
    """
    expected = _fractions(expected_counts)
    actual = _fractions(actual_counts)
    if expected.shape != actual.shape:
        raise ValueError(f"bins differ: {expected.shape[0]} expected vs {actual.shape[0]} actual")
    if expected.sum() == 0 or actual.sum() == 0:
        return 0.0
    return float(np.max(np.abs(np.cumsum(expected) - np.cumsum(actual))))


def ks_statistic(reference: ArrayLike, current: ArrayLike) -> tuple[float, float]:
    """Exact two-sample KS statistic and p-value of two samples (NaNs dropped)."""
    from scipy.stats import ks_2samp

    ref = np.asarray(reference, dtype=float)
    cur = np.asarray(current, dtype=float)
    ref, cur = ref[~np.isnan(ref)], cur[~np.isnan(cur)]
    if ref.size == 0 or cur.size == 0:
        return 0.0, 1.0
    result = ks_2samp(ref, cur)
    return float(result.statistic), float(result.pvalue)


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
    expected: Mapping[object, float], actual: Mapping[object, float]
) -> tuple[list[object], np.ndarray, np.ndarray]:
    """Align two category -> count maps over the union of their categories."""
    keys = sorted(set(expected) | set(actual), key=str)
    return (
        keys,
        np.array([expected.get(k, 0) for k in keys], dtype=float),
        np.array([actual.get(k, 0) for k in keys], dtype=float),
    )
