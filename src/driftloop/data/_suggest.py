"""A starting suite from a version's profile: what the data looks like today, as checks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from driftloop.data._models import DatasetVersion
from driftloop.data._suite import Suite

MAX_SET = 20  # a column with more distinct values is not suggested as a set


def suggest_suite(version: DatasetVersion, profile: Mapping[str, Any]) -> Suite:
    """Column types, null limits, ranges, small value sets and drift against this version.

    The result is meant to be read and edited before it becomes a CI gate.
    """
    suite = Suite(version.name)
    rows = version.num_rows
    suite.row_count_between(min=max(rows // 2, 1) if rows else 0, max=rows * 2 if rows else None)
    columns = profile.get("columns", {})
    for name, arrow_type in version.schema.items():
        suite.column_exists(name, _family(arrow_type))
        stats = columns.get(name)
        if not stats:
            continue
        fraction = stats.get("null_fraction", 0.0)
        suite.not_null(name, None if fraction == 0 else round(min(1.0, fraction * 1.5 + 0.01), 4))
        if (
            stats.get("count")
            and stats.get("distinct") == stats.get("count")
            and stats["kind"] != "numeric"
        ):
            suite.unique(name)
        if stats["kind"] == "numeric" and stats.get("min") is not None:
            suite.between(name, stats["min"], stats["max"])
            suite.no_drift(name, version.ref, max_psi=0.2)
        elif stats["kind"] == "categorical" and 0 < stats.get("distinct", 0) <= MAX_SET:
            top = [v for v, _ in stats.get("top", [])]
            if len(top) >= stats["distinct"]:
                suite.in_set(name, top)
            suite.no_drift(name, version.ref, max_psi=0.2)
    return suite


def _family(arrow_type: str) -> str:
    """A type family ('integer', 'string'...) so that e.g. int32 vs int64 is not a failure."""
    for family, prefixes in (
        ("integer", ("int", "uint")),
        ("float", ("float", "double", "halffloat")),
        ("string", ("string", "large_string")),
        ("bool", ("bool",)),
        ("timestamp", ("timestamp",)),
        ("date", ("date",)),
    ):
        if any(arrow_type.startswith(p) for p in prefixes):
            return family
    return arrow_type
