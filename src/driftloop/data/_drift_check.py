"""Drift of a column between two dataset versions, as ``dl.compute_drift`` computes it.

Dataset diffs and the ``no_drift`` expectation call :func:`version_drift`: it reads
the column of each version (that column only, so memory holds one column of each)
and hands both to ``compute_drift``, so a diff, a suite and a drift report on the same
two versions give one answer (PSI over the reference's deciles, exact KS for numbers;
all categories, missing values included, for text).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from driftloop.data._suite import Expectation
from driftloop.data._validate import Check, Verdict
from driftloop.errors import InvalidInputError
from driftloop.monitoring import ColumnDrift, compute_drift

if TYPE_CHECKING:
    from driftloop.data._dataset import Dataset
    from driftloop.data._service import DatasetService


def version_drift(reference: Dataset, current: Dataset, column: str) -> ColumnDrift | None:
    """``compute_drift`` of ``column`` from ``reference`` to ``current``.

    None when the column's type has no drift statistic (dates, lists).

    Raises:
        InvalidInputError: the column holds numbers in one version and text or
            booleans in the other (the message names both types).
    """
    ref, cur = reference.to_arrow(columns=[column]), current.to_arrow(columns=[column])
    try:
        # Without ``columns=``, a type with no drift statistic is left out, not refused.
        report = compute_drift(ref, cur, workers=1)
    except InvalidInputError as exc:
        raise InvalidInputError(
            f"{current.version.ref} against {reference.version.ref}: {exc}"
        ) from exc
    return report.columns[0] if report.columns else None


def compile_drift_check(
    e: Expectation, service: DatasetService, dataset: Dataset | None = None
) -> Check:
    """The ``no_drift`` check: no aggregate of the suite's scan; its judge compares."""
    column = str(e.params["column"])
    reference = service.get(str(e.params["reference"]))
    if column not in reference.version.schema:
        raise InvalidInputError(f"reference {reference.version.ref} has no column {column!r}")
    max_psi, max_ks = e.params.get("max_psi", 0.2), e.params.get("max_ks")

    def judge(values: list[Any], total: int) -> Verdict:
        assert dataset is not None
        try:
            drift = version_drift(reference, dataset, column)
        except InvalidInputError as exc:
            return False, f"type mismatch: {exc}", None  # the data changed type: it fails
        if drift is None:
            raise InvalidInputError(
                f"no_drift cannot compare column {column!r}: its type "
                f"{reference.version.schema[column]} has no drift statistic; numbers, "
                "text and booleans have"
            )
        psi, ks = drift.stats["psi"], drift.stats.get("ks")
        ok = (max_psi is None or psi <= max_psi) and (max_ks is None or ks is None or ks <= max_ks)
        return ok, {"psi": round(psi, 6), "ks": None if ks is None else round(ks, 6)}, None

    return Check(e, [], judge)
