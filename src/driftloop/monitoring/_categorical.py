"""Drift of a categorical column: PSI, Jensen-Shannon, chi-squared and Cramér's V.

Both sides are counted per category (Arrow's ``value_counts``), then aligned over the
union of categories: a category the reference never saw gets a zero reference count
(PSI floors it, so a new category shows as drift instead of vanishing), and missing
values are one more category, ``None``, because a surge of nulls is a change in
what the model receives.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from driftloop.monitoring._drift import category_counts, jensenshannon_distance, psi


@dataclass(frozen=True, slots=True)
class CategoricalDrift:
    """Drift statistics of one categorical column against its reference."""

    psi: float
    jensenshannon: float
    chi2: float
    chi2_pvalue: float
    cramers_v: float
    unseen: tuple[str, ...]  # categories in the current data the reference never had


def value_counts(values: Any) -> dict[str | None, int]:
    """Category -> count of an array-like (Arrow, pandas, NumPy, list); nulls under None."""
    import pyarrow as pa
    import pyarrow.compute as pc

    array = values if isinstance(values, pa.ChunkedArray | pa.Array) else pa.array(values)
    if pa.types.is_dictionary(array.type):
        array = array.cast(array.type.value_type)
    if not pa.types.is_string(array.type) and not pa.types.is_large_string(array.type):
        array = pc.cast(array, pa.string())
    counted = pc.value_counts(array)
    keys = counted.field("values").to_pylist()
    counts = counted.field("counts").to_pylist()
    return dict(zip(keys, counts, strict=True))


def chi2_homogeneity(expected: np.ndarray, actual: np.ndarray) -> tuple[float, float, float]:
    """Chi-squared test that two count vectors come from one distribution.

    Returns (statistic, p-value, Cramér's V) of the 2 x k contingency table, without
    Yates' correction (``scipy.stats.chi2_contingency(..., correction=False)``).
    Categories empty on both sides are left out. Cramér's V = sqrt(chi2 / N) is the
    effect size: unlike the p-value it does not grow with the sample.
    """
    from scipy import stats

    table = np.vstack([np.asarray(expected, dtype=float), np.asarray(actual, dtype=float)])
    table = table[:, table.sum(axis=0) > 0]
    total = table.sum()
    if table.shape[1] < 2 or (table.sum(axis=1) == 0).any():
        return 0.0, 1.0, 0.0
    expected_cells = np.outer(table.sum(axis=1), table.sum(axis=0)) / total
    statistic = float(((table - expected_cells) ** 2 / expected_cells).sum())
    pvalue = float(stats.chi2.sf(statistic, table.shape[1] - 1))
    return statistic, pvalue, float(np.sqrt(statistic / total))


def categorical_drift(
    reference: Mapping[str | None, float], current: Mapping[str | None, float]
) -> CategoricalDrift:
    """Drift of category counts ``current`` against ``reference`` (see the module doc)."""
    keys, expected, actual = category_counts(reference, current)
    if expected.sum() == 0 or actual.sum() == 0:
        return CategoricalDrift(0.0, 0.0, 0.0, 1.0, 0.0, ())
    chi2, pvalue, cramers_v = chi2_homogeneity(expected, actual)
    unseen = tuple(str(k) for k in keys if k is not None and k not in reference)
    return CategoricalDrift(
        psi=psi(expected, actual),
        jensenshannon=jensenshannon_distance(expected, actual),
        chi2=chi2,
        chi2_pvalue=pvalue,
        cramers_v=cramers_v,
        unseen=unseen,
    )
