"""Categorical drift: chi-squared against SciPy, unseen categories, missing values."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from scipy.spatial.distance import jensenshannon
from scipy.stats import chi2_contingency

from driftloop.monitoring import categorical_drift, chi2_homogeneity, value_counts


@pytest.mark.parametrize("seed", range(4))
def test_chi2_matches_scipy_contingency(seed: int) -> None:
    rng = np.random.default_rng(seed)
    a, b = rng.integers(1, 400, 6), rng.integers(1, 400, 6)
    statistic, pvalue, cramers_v = chi2_homogeneity(a, b)
    expected = chi2_contingency(np.vstack([a, b]), correction=False)
    assert statistic == pytest.approx(expected.statistic)
    assert pvalue == pytest.approx(expected.pvalue)
    assert cramers_v == pytest.approx(np.sqrt(expected.statistic / (a.sum() + b.sum())))


def test_chi2_skips_categories_empty_on_both_sides() -> None:
    assert chi2_homogeneity([5, 0, 7], [6, 0, 2])[:2] == pytest.approx(
        chi2_contingency([[5, 7], [6, 2]], correction=False)[:2]
    )
    assert chi2_homogeneity([5], [6]) == (0.0, 1.0, 0.0)


def test_value_counts_keep_nulls_and_read_any_array() -> None:
    assert value_counts(["a", None, "a", "b"]) == {"a": 2, None: 1, "b": 1}
    assert value_counts(pa.chunked_array([[True, False], [True]])) == {"true": 2, "false": 1}
    dictionary = pa.array(["x", "y", "x"]).dictionary_encode()
    assert value_counts(dictionary) == {"x": 2, "y": 1}


def test_unseen_category_shows_as_drift_and_is_named() -> None:
    reference = {"JFK": 500, "LGA": 500}
    drift = categorical_drift(reference, {"JFK": 400, "LGA": 400, "EWR": 200})
    assert drift.unseen == ("EWR",) and drift.psi > 1.0
    expected_js = jensenshannon([500, 500, 0], [400, 400, 200], base=2)
    assert drift.jensenshannon == pytest.approx(expected_js)


def test_missing_values_are_a_category_of_their_own() -> None:
    reference = {"a": 900, "b": 100}
    more_nulls = categorical_drift(reference, {"a": 450, "b": 50, None: 500})
    assert more_nulls.psi > 1.0 and more_nulls.unseen == ()
    assert categorical_drift(reference, {"a": 90, "b": 10}).psi == pytest.approx(0.0)
