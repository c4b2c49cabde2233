"""The ``no_drift`` expectation: a column's distribution against a reference version.

The reference side comes from the reference version's stored profile (histogram
bins or most frequent values), so only the version under test is scanned, inside
the suite's single query. Bin edges and category values are bound parameters.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

from driftloop._duckdb import SqlParams, translate_errors
from driftloop._duckdb import quote_identifier as quote
from driftloop.data._suite import Expectation
from driftloop.data._validate import Check, Verdict
from driftloop.errors import InvalidInputError
from driftloop.monitoring import ks_2samp, psi

if TYPE_CHECKING:
    from driftloop.data._dataset import Dataset
    from driftloop.data._service import DatasetService


def exact_ks(reference: Dataset, current: Dataset, column: str) -> float:
    """The exact two-sample KS statistic of ``column`` in two versions.

    Reads that one column of each side (as float64, nulls dropped) and compares the
    sorted samples: exact, unlike a statistic over the profile's histogram bins,
    which only bounds it from below.
    """
    query = f"select {quote(column)}::double as v from data where {quote(column)} is not null"
    with translate_errors(f"reading column {column!r} to compare distributions"):
        ref = reference.sql(query).to_arrow_table().column(0).to_numpy()
        cur = current.sql(query).to_arrow_table().column(0).to_numpy()
    statistic, _ = ks_2samp(ref, cur)
    return statistic


def binned_sql(
    column: str, reference: dict[str, Any], params: SqlParams
) -> tuple[list[str], list[float]]:
    """Aggregates counting ``column`` in the reference's bins, and the reference counts.

    Numeric: the reference histogram's bins, values outside clamped into the end bins.
    Categorical: the reference's frequent values plus one bin for everything else.
    The edges and values are bound in ``params``; run the aggregates with its values.
    """
    bind = params.add
    c = quote(column)
    if "histogram" in reference:
        edges = reference["histogram"]["edges"]
        inner = [bind(float(edge)) for edge in edges[1:-1]]
        conditions = [f"{c}::double <= {inner[0]}"] if inner else ["true"]
        conditions += [
            f"{c}::double > {lo} and {c}::double <= {hi}" for lo, hi in itertools.pairwise(inner)
        ]
        if inner:
            conditions.append(f"{c}::double > {inner[-1]}")
        aggs = [f"count(*) filter (where {cond})" for cond in conditions]
        return aggs, [float(x) for x in reference["histogram"]["counts"]]
    if reference.get("top"):
        values = [bind(_text(v)) for v, _ in reference["top"]]
        aggs = [f"count(*) filter (where {c}::varchar = {v})" for v in values]
        known = ", ".join(values)
        aggs.append(f"count(*) filter (where {c} is not null and {c}::varchar not in ({known}))")
        counts = [float(n) for _, n in reference["top"]]
        return aggs, [*counts, max(reference["count"] - sum(counts), 0.0)]
    raise InvalidInputError(
        f"column {column!r} of the reference has no histogram or frequent values to compare with"
    )


def _text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def compile_drift_check(
    e: Expectation,
    service: DatasetService,
    params: SqlParams | None = None,
    dataset: Dataset | None = None,
) -> Check:
    params = SqlParams() if params is None else params
    column = str(e.params["column"])
    profile = service.profile(str(e.params["reference"]))
    reference = profile["columns"].get(column)
    if reference is None:
        raise InvalidInputError(f"reference {e.params['reference']} has no column {column!r}")
    aggs, ref_counts = binned_sql(column, reference, params)
    numeric = "histogram" in reference
    max_psi, max_ks = e.params.get("max_psi", 0.2), e.params.get("max_ks")

    def judge(values: list[Any], total: int) -> Verdict:
        counts = [float(v) for v in values]
        score = psi(ref_counts, counts)
        ks = None
        if numeric and dataset is not None:
            ks = exact_ks(service.get(str(e.params["reference"])), dataset, column)
        ok = (max_psi is None or score <= max_psi) and (
            max_ks is None or ks is None or ks <= max_ks
        )
        return ok, {"psi": round(score, 6), "ks": None if ks is None else round(ks, 6)}, None

    return Check(e, aggs, judge, params=params.values)
