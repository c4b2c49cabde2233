"""Differences between two versions: schema, rows, statistics, and drift per column."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from driftloop._duckdb import SqlParams, translate_errors
from driftloop.data._dataset import Dataset
from driftloop.data._drift_check import binned_sql, exact_ks
from driftloop.errors import InvalidInputError
from driftloop.monitoring import psi

if TYPE_CHECKING:
    from driftloop.data._service import DatasetService

STATS = ("count", "nulls", "null_fraction", "distinct", "min", "max", "mean", "std")


@dataclass(frozen=True, slots=True)
class ColumnDiff:
    """Statistic changes (old, new) of one column present in both versions, and its drift."""

    column: str
    changes: dict[str, tuple[Any, Any]]
    psi: float | None
    ks: float | None


@dataclass(frozen=True, slots=True)
class DatasetDiff:
    """What changed from ``old`` to ``new``; drift is PSI and KS over the old version's bins."""

    old: str
    new: str
    added: dict[str, str]
    removed: dict[str, str]
    retyped: dict[str, tuple[str, str]]
    rows: tuple[int, int]
    columns: list[ColumnDiff] = field(default_factory=list)

    @property
    def row_change(self) -> int:
        return self.rows[1] - self.rows[0]


def diff_versions(service: DatasetService, old: Dataset, new: Dataset) -> DatasetDiff:
    a, b = old.version.schema, new.version.schema
    old_profile = service.profile(old.version)["columns"]
    new_profile = service.profile(new.version)["columns"]
    common = [c for c in a if c in b]
    retyped = {c: (a[c], b[c]) for c in common if a[c] != b[c]}
    # A retyped column is reported as a schema change; the old bins do not apply to it.
    drift = _drift(
        old, new, {c: old_profile[c] for c in common if c in old_profile and c not in retyped}
    )
    columns = []
    for column in common:
        before, after = old_profile.get(column, {}), new_profile.get(column, {})
        changes = {s: (before.get(s), after.get(s)) for s in STATS if before.get(s) != after.get(s)}
        score, ks = drift.get(column, (None, None))
        columns.append(ColumnDiff(column, changes, score, ks))
    return DatasetDiff(
        old=old.version.ref,
        new=new.version.ref,
        added={c: t for c, t in b.items() if c not in a},
        removed={c: t for c, t in a.items() if c not in b},
        retyped=retyped,
        rows=(old.version.num_rows, new.version.num_rows),
        columns=columns,
    )


def _drift(
    old: Dataset, new: Dataset, reference: dict[str, dict[str, Any]]
) -> dict[str, tuple[float, float | None]]:
    """PSI of every column (the new side counted in one scan), exact KS of numeric ones."""
    plans = []
    params = SqlParams()
    for column, stats in reference.items():
        try:
            aggs, counts = binned_sql(column, stats, params)
        except InvalidInputError:
            continue  # nothing binned to compare (e.g. an all-null column)
        plans.append((column, aggs, counts, "histogram" in stats))
    if not plans:
        return {}
    select = ", ".join(a for _, aggs, _, _ in plans for a in aggs)
    with translate_errors(f"comparing the distributions of {new.version.ref}"):
        row = new.sql(f"select {select} from data", params=params.values).fetchall()[0]
    out, position = {}, 0
    for column, aggs, ref_counts, numeric in plans:
        counts = [float(v) for v in row[position : position + len(aggs)]]
        position += len(aggs)
        ks = exact_ks(old, new, column) if numeric else None
        out[column] = (psi(ref_counts, counts), ks)
    return out
