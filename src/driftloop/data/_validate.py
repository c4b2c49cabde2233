"""Evaluate a suite as DuckDB SQL: every aggregate of every expectation in one scan.

Each expectation compiles to a few aggregate expressions, a verdict over their values
and, where rows can be blamed, a predicate that selects failing rows; examples are
fetched only for failures. Every constant of a suite (bounds, set members, regexes, bin
edges) is a bound parameter; only quoted column names are part of the SQL text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import duckdb

from driftloop._duckdb import SqlParams, cursor_of, translate
from driftloop._duckdb import quote_identifier as quote
from driftloop.data._dataset import Dataset
from driftloop.data._suite import Expectation, ExpectationResult, Suite, ValidationResult

if TYPE_CHECKING:
    from driftloop.data._service import DatasetService

EXAMPLES = 5
Verdict = tuple[bool, Any, int | None]  # success, observed, failing count


@dataclass
class Check:
    expectation: Expectation
    aggregates: list[str]
    judge: Callable[[list[Any], int], Verdict]
    predicate: str | None = None
    params: dict[str, Any] = field(default_factory=dict)  # bound in aggregates and predicate


_TYPE_FAMILIES = {
    "integer": ("int", "uint"),
    "int": ("int", "uint"),
    "float": ("float", "double", "halffloat"),
    "double": ("double",),
    "numeric": ("int", "uint", "float", "double", "decimal", "halffloat"),
    "string": ("string", "large_string"),
    "str": ("string", "large_string"),
    "bool": ("bool",),
    "boolean": ("bool",),
    "timestamp": ("timestamp",),
    "datetime": ("timestamp",),
    "date": ("date",),
}


def type_matches(actual: str, expected: str) -> bool:
    prefixes = _TYPE_FAMILIES.get(expected.lower())
    if prefixes is None:
        return actual == expected
    return any(actual == p or re.match(rf"^{p}\d*(\[|$)", actual) for p in prefixes)


def _bounds(x: str, lo: Any, hi: Any, params: SqlParams) -> str:
    parts = ([f"{x} < {params.add(lo)}"] if lo is not None else []) + (
        [f"{x} > {params.add(hi)}"] if hi is not None else []
    )
    return " or ".join(parts) or "false"


def _within(value: Any, lo: Any, hi: Any) -> bool:
    if value is None:
        return False
    return (lo is None or value >= lo) and (hi is None or value <= hi)


def _count_check(e: Expectation, predicate: str, params: SqlParams, allowed: float = 0.0) -> Check:
    def judge(values: list[Any], total: int) -> Verdict:
        bad = int(values[0])
        return (bad <= allowed * total if allowed else bad == 0), bad, bad

    return Check(e, [f"count(*) filter (where {predicate})"], judge, predicate, params.values)


def compile_check(
    e: Expectation,
    service: DatasetService | None,
    params: SqlParams | None = None,
    dataset: Dataset | None = None,
) -> Check:
    """The aggregates, verdict and failing-row predicate of ``e``, its constants bound.

    ``params`` collects the bound values; give each check of one query its own prefix
    (``SqlParams("c3_")``) so that the examples query of one check binds only its own.
    """
    params = SqlParams() if params is None else params
    p, c = e.params, quote(e.column) if e.column else ""
    if e.kind == "not_null":
        return _count_check(e, f"{c} is null", params, float(p.get("max_fraction", 0.0)))
    if e.kind == "between":
        return _count_check(e, f"({_bounds(c, p.get('min'), p.get('max'), params)})", params)
    if e.kind == "in_set":
        values = ", ".join(params.add(v) for v in p["values"]) or "null"
        return _count_check(e, f"{c} is not null and {c} not in ({values})", params)
    if e.kind == "matches":
        regex = params.add(p["regex"])
        return _count_check(
            e, f"{c} is not null and not regexp_matches({c}::varchar, {regex})", params
        )
    if e.kind == "unique":
        dupes = f"{c} in (select {c} from data group by {c} having count(*) > 1)"
        return Check(
            e,
            [f"count({c}) - count(distinct {c})"],
            lambda v, t: (v[0] == 0, int(v[0]), int(v[0])),
            dupes,
        )
    if e.kind == "row_count_between":
        return Check(e, [], lambda v, t: (_within(t, p.get("min"), p.get("max")), t, None))
    if e.kind == "mean_between":
        return Check(
            e,
            [f"avg({c}::double)"],
            lambda v, t: (_within(v[0], p.get("min"), p.get("max")), v[0], None),
        )
    if e.kind == "quantile_between":
        agg = f"approx_quantile({c}::double, {params.add(float(p['q']))}::float)"
        return Check(
            e,
            [agg],
            lambda v, t: (_within(v[0], p.get("min"), p.get("max")), v[0], None),
            params=params.values,
        )
    if e.kind == "no_drift":
        from driftloop.data._drift_check import compile_drift_check

        assert service is not None
        return compile_drift_check(e, service, dataset)
    raise AssertionError(e.kind)


def _schema_result(e: Expectation, schema: dict[str, str]) -> ExpectationResult:
    actual = schema.get(e.params["column"])
    expected = e.params.get("type")
    ok = actual is not None and (expected is None or type_matches(actual, str(expected)))
    return ExpectationResult(e, ok, actual)


def evaluate_suite(
    dataset: Dataset, suite: Suite, service: DatasetService | None = None
) -> ValidationResult:
    """Evaluate ``suite`` on ``dataset`` in one aggregate scan plus one query per failure."""
    schema = dataset.version.schema
    results: dict[int, ExpectationResult] = {}
    checks: list[tuple[int, Check]] = []
    for i, e in enumerate(suite.expectations):
        if e.kind == "column_exists":
            results[i] = _schema_result(e, schema)
        elif e.column is not None and e.column not in schema:
            results[i] = ExpectationResult(e, False, f"no column {e.column!r}")
        else:
            # Each check binds its own prefix: its examples query binds its values alone.
            checks.append((i, compile_check(e, service, SqlParams(f"c{i}_"), dataset)))
    aggregates = ["count(*)"] + [a for _, check in checks for a in check.aggregates]
    params = {k: v for _, check in checks for k, v in check.params.items()}
    try:
        with cursor_of(service.duck if service is not None else None) as con:
            con.register("data", dataset.relation(con))
            query = f"select {', '.join(aggregates)} from data"
            row = con.sql(query, params=params).fetchall()[0]
            total, position = int(row[0]), 1
            for i, check in checks:
                values = list(row[position : position + len(check.aggregates)])
                position += len(check.aggregates)
                ok, observed, failing = check.judge(values, total)
                examples = [] if ok or not check.predicate else _examples(con, check)
                results[i] = ExpectationResult(
                    check.expectation, bool(ok), _plain(observed), failing, examples
                )
    except duckdb.Error as exc:
        what = f"suite {suite.name!r} cannot be evaluated on {dataset.version.ref}"
        raise translate(exc, what, "check the suite's columns and values") from exc
    ordered = [results[i] for i in range(len(suite.expectations))]
    return ValidationResult(
        dataset.version.ref, suite.name, all(r.success for r in ordered), ordered
    )


def _examples(con: duckdb.DuckDBPyConnection, check: Check) -> list[dict[str, Any]]:
    query = f"select * from data where {check.predicate} limit {EXAMPLES}"
    relation = con.sql(query, params=check.params)
    # Through Arrow: DuckDB's own Python conversion of time zones needs pytz.
    return [{k: _plain(v) for k, v in row.items()} for row in relation.to_arrow_table().to_pylist()]


def _plain(value: Any) -> Any:
    from driftloop.data._profile import _json

    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return _json(value)


def validate_version(
    service: DatasetService, dataset: Dataset, suite: Suite, run_id: str | None
) -> ValidationResult:
    """Evaluate and store the result, linked to the version (and the run, if any)."""
    from driftloop.store._base import utcnow
    from driftloop.store._data_rows import DatasetValidationRow

    result = evaluate_suite(dataset, suite, service)
    row = DatasetValidationRow(
        version_id=service.version_id(dataset.version),
        suite=suite.name,
        suite_digest=suite.digest(),
        success=result.success,
        results=[result_dict(r) for r in result.results],
        run_id=run_id,
        created_by=service.user,
        created_at=utcnow(),
    )
    with service.store.session() as session:
        session.add(row)
    return result


def result_dict(r: ExpectationResult) -> dict[str, Any]:
    return {
        "expectation": r.expectation.to_dict(),
        "success": r.success,
        "observed": r.observed,
        "failing_count": r.failing_count,
        "examples": r.examples,
    }
