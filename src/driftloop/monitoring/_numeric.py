"""Drift of a numeric column, from sorted samples: exact KS, Wasserstein, PSI, JS.

Everything is computed from the two samples sorted once: the reference quantile bins
(PSI, Jensen-Shannon) are index look-ups, the exact two-sample KS statistic and the
Wasserstein distance are read off the two empirical CDFs evaluated at the merged
sample. Merging two sorted arrays with a stable sort is linear (timsort finds the
two runs), so a column costs two sorts and two binary searches of sorted keys.
A reference is prepared once (``NumericReference``) and reused for every window.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from driftloop.monitoring._drift import jensenshannon_distance, psi

DEFAULT_BINS = 10
# Up to this sample size scipy computes the exact KS p-value (its "auto" switch);
# above, Smirnov's asymptotic distribution is accurate and O(1).
_EXACT_PVALUE_SIZE = 10_000


@dataclass(frozen=True, slots=True)
class SortedSample:
    """A numeric sample with missing values counted apart and the rest sorted.

    Missing is NaN, None and the infinities: an infinite value has no place in a bin, a
    spread or a distance (as in Evidently, which drops them too), and is most often a
    division by zero upstream, so it counts in the missing rate.
    """

    values: np.ndarray
    missing: int

    @classmethod
    def of(cls, values: ArrayLike) -> SortedSample:
        array = np.asarray(values, dtype=float)
        finite = array[np.isfinite(array)]  # a copy: sorting it in place leaves ``values`` be
        finite.sort()
        return cls(finite, int(array.size - finite.size))

    @property
    def size(self) -> int:
        return int(self.values.size)

    @property
    def missing_rate(self) -> float:
        total = self.size + self.missing
        return self.missing / total if total else 0.0


@dataclass(frozen=True, slots=True)
class NumericReference:
    """A reference column ready to compare with: sorted values, quantile bins, spread."""

    sample: SortedSample
    edges: np.ndarray  # inner bin edges; bins are (-inf, e0], (e0, e1], ..., (ek, inf)
    counts: np.ndarray
    std: float
    distinct: tuple[np.ndarray, np.ndarray]  # distinct values and the CDF at each

    @classmethod
    def of(cls, values: ArrayLike, bins: int = DEFAULT_BINS) -> NumericReference:
        sample = values if isinstance(values, SortedSample) else SortedSample.of(values)
        edges = quantile_edges(sample.values, bins)
        std = float(np.std(sample.values)) if sample.size else 0.0
        distinct = _distinct_with_cdf(sample.values)
        return cls(sample, edges, bin_counts(sample.values, edges), std, distinct)


@dataclass(frozen=True, slots=True)
class NumericDrift:
    """Drift statistics of one numeric column against its reference."""

    psi: float
    jensenshannon: float
    ks: float
    ks_pvalue: float
    wasserstein: float  # divided by the reference's standard deviation


def quantile_edges(sorted_values: np.ndarray, bins: int = DEFAULT_BINS) -> np.ndarray:
    """Inner edges of ``bins`` equal-frequency bins of a sorted reference (ties merged)."""
    if sorted_values.size == 0 or bins < 2:
        return np.empty(0)
    positions = np.linspace(0, sorted_values.size - 1, bins + 1)[1:-1]
    return np.unique(sorted_values[np.floor(positions).astype(np.int64)])


def bin_counts(sorted_values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Counts of a sorted sample in the bins ``(-inf, e0], (e0, e1], ..., (ek, inf)``."""
    cuts = np.searchsorted(sorted_values, edges, side="right")
    return np.diff(np.concatenate(([0], cuts, [sorted_values.size]))).astype(np.int64)


def ks_2samp(reference: ArrayLike, current: ArrayLike) -> tuple[float, float]:
    """Exact two-sample Kolmogorov-Smirnov statistic and two-sided p-value (NaNs dropped).

    The statistic equals ``scipy.stats.ks_2samp``'s; the p-value is scipy's exact one
    for small samples and Smirnov's asymptotic one (scipy's ``method="asymp"``) above.
    """
    ref, cur = SortedSample.of(reference).values, SortedSample.of(current).values
    statistic, _ = _cdf_gaps(ref, cur)
    return statistic, ks_pvalue(statistic, ref, cur)


def ks_pvalue(statistic: float, ref: np.ndarray, cur: np.ndarray) -> float:
    from scipy import stats

    n1, n2 = ref.size, cur.size
    if n1 == 0 or n2 == 0:
        return 1.0
    if max(n1, n2) <= _EXACT_PVALUE_SIZE:
        return float(stats.ks_2samp(ref, cur).pvalue)
    m, n = sorted([float(n1), float(n2)], reverse=True)
    return float(np.clip(stats.kstwo.sf(statistic, np.round(m * n / (m + n))), 0.0, 1.0))


def wasserstein_normed(reference: ArrayLike, current: ArrayLike) -> float:
    """First Wasserstein distance divided by the reference's standard deviation.

    The raw distance is in the column's units; dividing by the reference spread makes
    one threshold fit every column (Evidently's "normed Wasserstein").
    """
    ref = NumericReference.of(reference)
    return _wasserstein(ref, SortedSample.of(current).values)


def numeric_drift(reference: NumericReference, current: SortedSample) -> NumericDrift:
    """PSI and JS over the reference quantile bins, exact KS and normed Wasserstein."""
    ref, cur = reference.sample.values, current.values
    if ref.size == 0 or cur.size == 0:
        return NumericDrift(0.0, 0.0, 0.0, 1.0, 0.0)
    counts = bin_counts(cur, reference.edges)
    ks, wasserstein = _cdf_gaps(ref, cur, reference.distinct)
    scale = reference.std if reference.std > 0 else 1.0
    return NumericDrift(
        psi=psi(reference.counts, counts),
        jensenshannon=jensenshannon_distance(reference.counts, counts),
        ks=ks,
        ks_pvalue=ks_pvalue(ks, ref, cur),
        wasserstein=wasserstein / scale,
    )


def _wasserstein(reference: NumericReference, cur: np.ndarray) -> float:
    if reference.sample.size == 0 or cur.size == 0:
        return 0.0
    _, distance = _cdf_gaps(reference.sample.values, cur, reference.distinct)
    return distance / (reference.std if reference.std > 0 else 1.0)


def _cdf_gaps(
    a: np.ndarray, b: np.ndarray, a_distinct: tuple[np.ndarray, np.ndarray] | None = None
) -> tuple[float, float]:
    """(sup |F_a - F_b|, integral of |F_a - F_b|) of two sorted samples, both exact.

    Both step functions only move at the samples' distinct values, so everything is
    read off two binary searches (each sample's distinct values into the other
    sample, sorted keys): at a value v of a, F_a(v) is known from its position and
    F_b(v) is the count of b up to v; the gap holds until the next value of either
    sample. An interval starting at a value both samples hold is counted once.
    """
    if a.size == 0 or b.size == 0:
        return 0.0, 0.0
    va, fa = a_distinct if a_distinct is not None else _distinct_with_cdf(a)
    vb, fb = _distinct_with_cdf(b)
    b_upto_va = np.searchsorted(b, va, side="right")  # how many of b are <= va[k]
    a_upto_vb = np.searchsorted(a, vb, side="right")
    gap_a = b_upto_va / b.size
    gap_a -= fa
    np.abs(gap_a, out=gap_a)
    gap_b = a_upto_vb / a.size
    gap_b -= fb
    np.abs(gap_b, out=gap_b)
    width_a = _to_next_value(va, b, b_upto_va)
    width_b = _to_next_value(vb, a, a_upto_vb)
    width_b[(a_upto_vb > 0) & (a[np.maximum(a_upto_vb - 1, 0)] == vb)] = 0.0
    ks = max(float(gap_a.max()), float(gap_b.max()))
    return ks, float(np.dot(width_a, gap_a) + np.dot(width_b, gap_b))


def _distinct_with_cdf(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct values of a sorted sample and the empirical CDF at each."""
    ties = values[1:] == values[:-1]
    if not ties.any():
        cdf = np.arange(1, values.size + 1, dtype=float)
        cdf /= values.size
        return values, cdf
    ends = np.flatnonzero(np.append(~ties, True))
    return values[ends], (ends + 1) / values.size


def _to_next_value(x: np.ndarray, other: np.ndarray, other_upto_x: np.ndarray) -> np.ndarray:
    """Distance from each distinct x[k] to the next value of x or of ``other``."""
    width = np.empty_like(x)
    width[:-1], width[-1] = x[1:], np.inf
    # other_upto_x never decreases: past ``inside`` no value of other lies above x[k].
    inside = int(np.searchsorted(other_upto_x, other.size, side="left"))
    np.minimum(width[:inside], other[other_upto_x[:inside]], out=width[:inside])
    width -= x
    if not np.isfinite(width[-1]):
        width[-1] = 0.0  # past the last value of both samples: no gap, no width
    return width
