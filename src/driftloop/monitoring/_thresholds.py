"""When a column counts as drifted: effect sizes over thresholds, guarded by a test.

Why not p-values alone: at a million rows a KS or chi-squared test calls a shift of
0.3% of a standard deviation "significant" (p < 0.05), so a p-value rule alarms on
every window of a busy endpoint (the false alarms Evidently users report on large
samples). An effect size measures *how much* the distribution moved and does not
grow with the sample. So a column drifts when its effect size passes the threshold
AND the test is significant: the effect size keeps large samples quiet, the test
keeps small windows (where PSI over 10 bins is noisy: about 9 * (1/n + 1/m) under no
shift) from alarming on noise.

Defaults and their reading:

- PSI 0.2 (both kinds): the credit-risk rule of thumb, under 0.1 stable, 0.1-0.25
  moderate, over 0.25 major; a mean shift of about 0.45 standard deviations of a
  normal column gives 0.2.
- KS 0.1, normed Wasserstein 0.1 and Jensen-Shannon 0.1 (Evidently's defaults for
  large data), Cramér's V 0.1 (Cohen's "small effect"): used when a monitor picks
  that method instead of PSI.
- alpha 0.05 for the guarding test (KS for numeric, chi-squared for categorical).
"""

from __future__ import annotations

from dataclasses import dataclass

from driftloop.errors import InvalidInputError

NUMERIC_METHODS = ("psi", "ks", "wasserstein", "jensenshannon")
CATEGORICAL_METHODS = ("psi", "jensenshannon", "cramers_v")


@dataclass(frozen=True, slots=True)
class DriftThresholds:
    """Which statistic decides drift per column kind, and each statistic's threshold.

    Example::

        dl.compute_drift(ref, cur, thresholds=dl.DriftThresholds(numeric_method="ks"))
    """

    numeric_method: str = "psi"
    categorical_method: str = "psi"
    psi: float = 0.2
    ks: float = 0.1
    wasserstein: float = 0.1
    jensenshannon: float = 0.1
    cramers_v: float = 0.1
    alpha: float = 0.05

    def __post_init__(self) -> None:
        if self.numeric_method not in NUMERIC_METHODS:
            raise InvalidInputError(
                f"numeric_method {self.numeric_method!r} is not one of {list(NUMERIC_METHODS)}"
            )
        if self.categorical_method not in CATEGORICAL_METHODS:
            raise InvalidInputError(
                f"categorical_method {self.categorical_method!r} is not one of "
                f"{list(CATEGORICAL_METHODS)}"
            )
        if not 0 < self.alpha <= 1:
            raise InvalidInputError(f"alpha must be in (0, 1]; got {self.alpha}")

    def threshold(self, method: str) -> float:
        value: float = getattr(self, method)
        return value


def explain_drift(
    kind: str,
    method: str,
    statistic: float,
    threshold: float,
    pvalue: float,
    alpha: float,
    drifted: bool,
    rows: tuple[int, int] | None = None,
) -> str:
    """Why a column is or is not flagged, in one line for reports and tables.

    The case a reader would otherwise take for a bug gets the longest answer: an
    effect size above its threshold on a column that is not flagged, because its test
    is not significant at ``alpha`` with so few rows (``rows``: the values each side's
    test saw, reference then current).
    """
    test = "KS" if kind == "numeric" else "chi-squared"
    measured = f"{method} {statistic:.3g}"
    if drifted:
        return f"drifted: {measured} > {threshold:.3g} and {test} p = {pvalue:.2g} < {alpha:g}"
    if statistic <= threshold:
        return f"{measured} <= {threshold:.3g}"
    seen = (
        f"{rows[0]:,} reference and {rows[1]:,} current values"
        if rows is not None and any(rows)
        else "these rows"
    )
    return (
        f"not flagged: {measured} is above {threshold:.3g}, but the {test} test is not "
        f"significant at alpha {alpha:g} (p = {pvalue:.2g}) with {seen}: too few to tell "
        "this shift from noise"
    )
