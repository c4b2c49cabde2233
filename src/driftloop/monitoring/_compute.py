"""Drift of a whole table against a reference: ``dl.compute_drift``.

A reference is prepared once (sorted numeric columns with their quantile bins,
category counts) and compared with any number of current tables; columns are
computed in a small thread pool because NumPy's sorts and searches release the GIL.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from driftloop.errors import InvalidInputError
from driftloop.monitoring._categorical import categorical_drift, value_counts
from driftloop.monitoring._numeric import (
    DEFAULT_BINS,
    NumericReference,
    SortedSample,
    numeric_drift,
)
from driftloop.monitoring._thresholds import DriftThresholds, explain_drift

if TYPE_CHECKING:
    import pyarrow as pa

_MAX_THREADS = 4


@dataclass(frozen=True, slots=True)
class ColumnDrift:
    """One column's drift: the deciding statistic and every other one computed."""

    column: str
    kind: str  # "numeric" | "categorical"
    method: str
    statistic: float
    threshold: float
    pvalue: float
    drifted: bool
    stats: dict[str, float]
    missing_reference: float
    missing_current: float
    unseen: tuple[str, ...] = ()
    alpha: float = 0.05
    rows: tuple[int, int] = (0, 0)  # values each side's test saw (reference, current)
    reason: str = ""  # why it is or is not flagged, in one line (see ``explain_drift``)


@dataclass(frozen=True, slots=True)
class DriftReport:
    """Drift per column of ``current`` against ``reference``."""

    columns: list[ColumnDrift]
    reference_rows: int
    current_rows: int
    thresholds: DriftThresholds = field(default_factory=DriftThresholds)

    @property
    def drifted(self) -> list[str]:
        return [c.column for c in self.columns if c.drifted]

    @property
    def share_drifted(self) -> float:
        return len(self.drifted) / len(self.columns) if self.columns else 0.0

    def to_html(self) -> str:
        """The report as a self-contained HTML page (``Path("drift.html").write_text(...)``)."""
        from driftloop.monitoring._report import render_drift_html

        return render_drift_html(self)

    def column(self, name: str) -> ColumnDrift:
        for c in self.columns:
            if c.column == name:
                return c
        raise InvalidInputError(f"the drift report has no column {name!r}")


@dataclass(frozen=True, slots=True)
class _Categorical:
    counts: dict[str | None, int]
    total: int


ColumnReference = NumericReference | _Categorical


@dataclass(frozen=True, slots=True)
class DriftReference:
    """A reference table prepared for comparison (build once, compare many windows)."""

    columns: dict[str, ColumnReference]
    rows: int
    # Each column's Arrow type, so a current column of another kind is refused by name.
    types: dict[str, pa.DataType] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        data: Any,
        columns: Sequence[str] | None = None,
        categorical: Sequence[str] = (),
        bins: int = DEFAULT_BINS,
        workers: int | None = None,
    ) -> DriftReference:
        table = as_arrow(data)
        kinds = column_kinds(table, columns, categorical)

        def prepare(name: str) -> ColumnReference:
            if kinds[name] == "numeric":
                return NumericReference.of(numeric_values(table.column(name)), bins)
            return _Categorical(value_counts(table.column(name)), table.num_rows)

        prepared = _map(prepare, list(kinds), workers)
        types = {name: table.schema.field(name).type for name in kinds}
        return cls(dict(zip(kinds, prepared, strict=True)), table.num_rows, types)


def compute_drift(
    reference: Any,
    current: Any,
    *,
    columns: Sequence[str] | None = None,
    categorical: Sequence[str] = (),
    thresholds: DriftThresholds | None = None,
    workers: int | None = None,
) -> DriftReport:
    """Drift per column of ``current`` against ``reference``.

    ``reference`` is a table (pandas, Polars, Arrow, dict of arrays) or a prepared
    ``DriftReference``; ``current`` a table with the same columns. Numeric columns get
    PSI and Jensen-Shannon over the reference's deciles, the exact two-sample KS and
    the normed Wasserstein distance; the others (strings, booleans, and those named in
    ``categorical``) PSI, Jensen-Shannon, chi-squared and Cramér's V. Whether a column
    drifted follows ``thresholds`` (see ``DriftThresholds`` for the defaults and why).
    Columns run in ``workers`` threads (default: up to 4, at most one per CPU).

    Raises:
        InvalidInputError: a column is missing from either side, or holds numbers on
            one side and text or booleans on the other (the message names both types).

    Example::

        report = dl.compute_drift(train_df, last_week_df)
        report.drifted  # ['distance', 'origin']
    """
    thresholds = thresholds or DriftThresholds()
    if not isinstance(reference, DriftReference):
        reference = DriftReference.of(reference, columns, categorical, workers=workers)
    table = as_arrow(current)
    names = list(columns) if columns is not None else list(reference.columns)
    for name in names:
        if name not in reference.columns:
            raise InvalidInputError(f"the reference has no column {name!r}")
        if name not in table.column_names:
            raise InvalidInputError(f"the current data has no column {name!r}")
        check_same_kind(name, reference.types.get(name), table.schema.field(name).type)

    def compare(name: str) -> ColumnDrift:
        return _column_drift(name, reference.columns[name], table.column(name), thresholds)

    drift = _map(compare, names, workers)
    return DriftReport(drift, reference.rows, table.num_rows, thresholds)


def _column_drift(
    name: str, ref: ColumnReference, values: Any, thresholds: DriftThresholds
) -> ColumnDrift:
    if isinstance(ref, NumericReference):
        current = SortedSample.of(numeric_values(values))
        n = numeric_drift(ref, current)
        stats = {"psi": n.psi, "jensenshannon": n.jensenshannon, "ks": n.ks}
        stats |= {"ks_pvalue": n.ks_pvalue, "wasserstein": n.wasserstein}
        unseen: tuple[str, ...] = ()
        method, pvalue = thresholds.numeric_method, n.ks_pvalue
        missing = (ref.sample.missing_rate, current.missing_rate)
        rows = (ref.sample.size, current.size)
    else:
        counts = value_counts(values)
        c = categorical_drift(ref.counts, counts)
        stats = {"psi": c.psi, "jensenshannon": c.jensenshannon, "chi2": c.chi2}
        stats |= {"chi2_pvalue": c.chi2_pvalue, "cramers_v": c.cramers_v}
        method, pvalue, unseen = thresholds.categorical_method, c.chi2_pvalue, c.unseen
        missing = (_missing_rate(ref.counts), _missing_rate(counts))
        rows = (sum(ref.counts.values()), sum(counts.values()))
    statistic, limit, alpha = stats[method], thresholds.threshold(method), thresholds.alpha
    drifted = bool(statistic > limit and pvalue < alpha)
    kind = "numeric" if isinstance(ref, NumericReference) else "categorical"
    reason = explain_drift(kind, method, statistic, limit, pvalue, alpha, drifted, rows)
    return ColumnDrift(
        name, kind, method, statistic, limit, pvalue, drifted, stats, *missing, unseen,
        alpha, rows, reason,
    )  # fmt: skip


def _value_family(kind: pa.DataType) -> str | None:
    """numbers | text | booleans; None for a type that goes with any (all-null) or none."""
    import pyarrow as pa

    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        return "numbers"
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return "text"
    return "booleans" if pa.types.is_boolean(kind) else None


def check_same_kind(name: str, reference: pa.DataType | None, current: pa.DataType) -> None:
    """Refuse comparing numbers with text or booleans: the statistics would mean nothing.

    Numbers against text would be binned as category names (every value "unseen") or
    fail to parse; a column that changed type is a schema change, not drift.
    """
    before = None if reference is None else _value_family(reference)
    after = _value_family(current)
    if before is None or after is None or before == after:
        return
    raise InvalidInputError(
        f"column {name!r} holds {before} ({reference}) in the reference but {after} "
        f"({current}) in the current data: drift compares a column with itself, so give "
        "both sides one type (cast one, e.g. pd.to_numeric(...) or .astype(str))"
    )


def _missing_rate(counts: dict[str | None, int]) -> float:
    total = sum(counts.values())
    return counts.get(None, 0) / total if total else 0.0


def as_arrow(data: Any) -> pa.Table:
    """An Arrow table from pandas, Polars, Arrow or a dict of arrays."""
    import pyarrow as pa

    if isinstance(data, pa.Table):
        return data
    if isinstance(data, dict):
        return pa.table({k: np.asarray(v) if isinstance(v, list) else v for k, v in data.items()})
    if hasattr(data, "to_arrow_table"):  # a DuckDB relation
        table: pa.Table = data.to_arrow_table()
        return table
    if hasattr(data, "to_arrow"):  # Polars
        frame: pa.Table = data.to_arrow()
        return frame
    try:
        return pa.Table.from_pandas(data, preserve_index=False)
    except (TypeError, ValueError, pa.ArrowException) as exc:
        raise InvalidInputError(
            f"cannot read {type(data).__name__} as a table; pass pandas, Polars or Arrow"
        ) from exc


def column_kinds(
    table: pa.Table, columns: Sequence[str] | None, categorical: Sequence[str]
) -> dict[str, str]:
    """numeric | categorical per column; types neither can compare (dates) are left out."""
    import pyarrow as pa

    names = list(columns) if columns is not None else table.column_names
    kinds = {}
    for name in names:
        if name not in table.column_names:
            raise InvalidInputError(f"the reference has no column {name!r}")
        kind = table.schema.field(name).type
        number = pa.types.is_integer(kind) or pa.types.is_floating(kind)
        if (
            name in categorical
            or pa.types.is_string(kind)
            or pa.types.is_large_string(kind)
            or pa.types.is_boolean(kind)
            or pa.types.is_dictionary(kind)
        ):
            kinds[name] = "categorical"
        elif number or pa.types.is_decimal(kind):
            kinds[name] = "numeric"
        elif columns is not None:
            raise InvalidInputError(
                f"column {name!r} has type {kind}; drift needs numbers or categories"
            )
    return kinds


def numeric_values(column: Any) -> np.ndarray:
    """Float64 NumPy values of an Arrow column, nulls as NaN."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not isinstance(column, pa.ChunkedArray | pa.Array):
        return np.asarray(column, dtype=float)
    floats = pc.cast(column, pa.float64())
    if floats.null_count:
        floats = pc.fill_null(floats, float("nan"))
    result: np.ndarray = np.asarray(floats.to_numpy(), dtype=float)
    return result


def _map(function: Any, items: list[Any], workers: int | None = None) -> list[Any]:
    if workers is None:
        workers = min(_MAX_THREADS, os.cpu_count() or 1)
    workers = min(workers, len(items))
    if workers <= 1:
        return [function(item) for item in items]
    with ThreadPoolExecutor(workers, thread_name_prefix="driftloop-drift") as pool:
        return list(pool.map(function, items))
