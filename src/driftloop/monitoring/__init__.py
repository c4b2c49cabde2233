"""Monitoring: drift and performance statistics of data and models over time.

The drift statistics are pure functions over counts and arrays, shared with the
datasets context (diffs and ``no_drift`` expectations).
"""

from driftloop.monitoring._drift import (
    category_counts,
    histogram_counts,
    ks_from_counts,
    ks_statistic,
    psi,
)

__all__ = ["category_counts", "histogram_counts", "ks_from_counts", "ks_statistic", "psi"]
