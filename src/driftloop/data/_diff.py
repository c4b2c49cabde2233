"""Differences between two versions: schema, rows, statistics, and drift per column."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from driftloop.data._dataset import Dataset
from driftloop.data._drift_check import version_drift
from driftloop.errors import InvalidInputError
from driftloop.monitoring import ColumnDrift

if TYPE_CHECKING:
    from driftloop.data._service import DatasetService

STATS = ("count", "nulls", "null_fraction", "distinct", "min", "max", "mean", "std")


@dataclass(frozen=True, slots=True)
class ColumnDiff:
    """Statistic changes (old, new) of one column present in both versions, and its drift.

    ``drift`` is what ``dl.compute_drift`` gives for the column on the two versions
    (None for a type with no drift statistic, or numbers turned into text); ``psi``
    and ``ks`` are copied from it.
    """

    column: str
    changes: dict[str, tuple[Any, Any]]
    psi: float | None
    ks: float | None
    drift: ColumnDrift | None = None


@dataclass(frozen=True, slots=True)
class DatasetDiff:
    """What changed from ``old`` to ``new``; drift per column as ``dl.compute_drift`` has it."""

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
    columns = []
    for column in common:
        before, after = old_profile.get(column, {}), new_profile.get(column, {})
        changes = {s: (before.get(s), after.get(s)) for s in STATS if before.get(s) != after.get(s)}
        drift = _drift(old, new, column)
        psi, ks = (None, None) if drift is None else (drift.stats["psi"], drift.stats.get("ks"))
        columns.append(ColumnDiff(column, changes, psi, ks, drift))
    return DatasetDiff(
        old=old.version.ref,
        new=new.version.ref,
        added={c: t for c, t in b.items() if c not in a},
        removed={c: t for c, t in a.items() if c not in b},
        retyped=retyped,
        rows=(old.version.num_rows, new.version.num_rows),
        columns=columns,
    )


def _drift(old: Dataset, new: Dataset, column: str) -> ColumnDrift | None:
    try:
        return version_drift(old, new, column)
    except InvalidInputError:
        return None  # numbers turned into text: reported as retyped, no drift to compute
