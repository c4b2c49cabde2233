"""compute_drift over tables: the defaults stay quiet on big unshifted data, see real shifts."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import driftloop as dl
from driftloop.monitoring import DriftReference


def _table(rng: np.random.Generator, n: int, shift: float = 0.0) -> pa.Table:
    airports = np.array(["JFK", "LGA", "EWR", "BOS"])
    weights = np.array([0.4, 0.3, 0.2, 0.1])
    if shift:
        weights = np.array([0.25, 0.25, 0.25, 0.25])
    distance = rng.lognormal(6.5, 0.6, n)
    distance[rng.random(n) < 0.01] = np.nan
    return pa.table(
        {
            "delay": rng.normal(10 + 15 * shift, 15, n),
            "distance": distance * (1 + shift),
            "hour": rng.integers(5, 23, n),
            "origin": airports[rng.choice(4, n, p=weights)],
            "carrier": pa.array(rng.choice(["AA", "B6", "DL", None], n)),
        }
    )


@pytest.mark.slow
def test_no_shift_split_of_a_million_rows_raises_no_alarm_but_a_real_shift_does() -> None:
    rng = np.random.default_rng(42)
    data = _table(rng, 2_000_000)
    order = rng.permutation(data.num_rows)
    reference = DriftReference.of(data.take(order[:1_000_000]))
    started = time.perf_counter()
    quiet = dl.compute_drift(reference, data.take(order[1_000_000:]))
    assert time.perf_counter() - started < 10
    assert quiet.drifted == [], [(c.column, c.stats) for c in quiet.columns]
    # The bare p-value test would have alarmed somewhere: at 1M rows a tiny wobble is
    # "significant"; the effect sizes stay far below their thresholds.
    assert all(c.statistic < c.threshold / 10 for c in quiet.columns)
    shifted = dl.compute_drift(reference, _table(rng, 1_000_000, shift=1.0))
    assert sorted(shifted.drifted) == ["delay", "distance", "origin"]


def test_small_windows_do_not_alarm_on_noise() -> None:
    rng = np.random.default_rng(7)
    reference = _table(rng, 5_000)
    quiet = [dl.compute_drift(reference, _table(rng, 60)).drifted for _ in range(20)]
    # PSI over ten bins of 60 rows is noisy (often > 0.2); the guarding test keeps it quiet.
    assert sum(len(d) for d in quiet) <= 2


def test_report_fields_and_methods() -> None:
    rng = np.random.default_rng(3)
    ref, cur = _table(rng, 20_000), _table(rng, 20_000, shift=1.0)
    report = dl.compute_drift(ref.to_pandas(), cur.to_pandas())
    delay = report.column("delay")
    assert delay.kind == "numeric" and delay.method == "psi" and delay.drifted
    assert set(delay.stats) == {"psi", "jensenshannon", "ks", "ks_pvalue", "wasserstein"}
    origin = report.column("origin")
    assert origin.kind == "categorical" and set(origin.stats) >= {"chi2", "cramers_v"}
    assert report.column("distance").missing_current == pytest.approx(0.01, abs=0.003)
    assert report.column("carrier").missing_reference == pytest.approx(0.25, abs=0.02)
    by_ks = dl.compute_drift(ref, cur, thresholds=dl.DriftThresholds(numeric_method="ks"))
    assert by_ks.column("delay").statistic == by_ks.column("delay").stats["ks"]
    assert report.share_drifted == pytest.approx(3 / 5)
    page = report.to_html()
    assert "3 of 5 columns drifted" in page and page.count("<svg") == 1


def test_categorical_override_and_bad_input() -> None:
    frame = pd.DataFrame({"code": [1, 2, 2, 3] * 50})
    report = dl.compute_drift(frame, frame, categorical=["code"])
    assert report.column("code").kind == "categorical" and not report.drifted
    with pytest.raises(dl.InvalidInputError, match="no column 'nope'"):
        dl.compute_drift(frame, frame, columns=["nope"])
    with pytest.raises(dl.InvalidInputError, match="current data has no column 'code'"):
        dl.compute_drift(frame, pd.DataFrame({"other": [1]}))
    with pytest.raises(dl.InvalidInputError, match="numeric_method 'p'"):
        dl.DriftThresholds(numeric_method="p")


def test_numbers_against_text_name_the_type_mismatch() -> None:
    numbers = pd.DataFrame({"code": [1.5, 2.5, 3.5] * 20})
    text = pd.DataFrame({"code": ["a", "b", "c"] * 20})
    with pytest.raises(
        dl.InvalidInputError,
        match=r"column 'code' holds numbers \(double\) in the reference but text \(.*string\) "
        r"in the current data.*give both sides one type",
    ):
        dl.compute_drift(numbers, text)
    with pytest.raises(dl.InvalidInputError, match=r"holds text .* but numbers \(double\)"):
        dl.compute_drift(text, numbers)
    # Forced categories keep comparing numbers with numbers; all-null columns go with any.
    assert not dl.compute_drift(numbers, numbers, categorical=["code"]).drifted
    assert dl.compute_drift(numbers, pa.table({"code": pa.nulls(60)})).columns


def test_a_large_effect_on_few_rows_says_why_it_is_not_flagged() -> None:
    rng = np.random.default_rng(5)
    reference = pd.DataFrame({"x": rng.normal(0, 1, 400), "c": rng.choice(["a", "b"], 400)})
    current = pd.DataFrame({"x": rng.normal(0.6, 1, 8), "c": ["b"] * 6 + ["a"] * 2})
    report = dl.compute_drift(reference, current)
    x = report.column("x")
    assert x.statistic > x.threshold and x.pvalue >= 0.05 and not x.drifted
    assert x.rows == (400, 8)
    assert x.reason.startswith(f"not flagged: psi {x.statistic:.3g} is above 0.2, but the KS test")
    assert "at alpha 0.05" in x.reason and "400 reference and 8 current values" in x.reason
    shifted = dl.compute_drift(
        reference, pd.DataFrame({"x": rng.normal(3, 1, 400), "c": ["b"] * 400})
    )
    assert shifted.column("x").reason.startswith("drifted: psi ")
    assert dl.compute_drift(reference, reference).column("x").reason == "psi 0 <= 0.2"
    page = report.to_html()
    assert "not flagged" in page and "too few to tell" in page


def test_infinities_count_as_missing_without_a_warning() -> None:
    reference = pd.DataFrame({"x": [1.0, 2.0, np.inf, -np.inf, 3.0, 4.0] * 10})
    current = pd.DataFrame({"x": [3.0, 4.0, 5.0, np.inf, 6.0, 7.0] * 10})
    x = dl.compute_drift(reference, current).column("x")  # filterwarnings = error
    assert x.missing_reference == pytest.approx(2 / 6) and x.missing_current == pytest.approx(1 / 6)
    assert x.rows == (40, 50) and np.isfinite(list(x.stats.values())).all()
