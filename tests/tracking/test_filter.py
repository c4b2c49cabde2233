"""The filter is turned into SQL, never evaluated in Python: check the SQL it makes."""

from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite

from driftloop.tracking._filter import parse_filter


def _sql(text: str, dialect=sqlite.dialect()) -> str:  # type: ignore[no-untyped-def]
    clause = parse_filter(text)
    assert clause is not None
    return str(clause.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))


def test_metric_comparison_becomes_a_subquery_on_latest_metrics() -> None:
    sql = _sql("metrics.auc > 0.8")
    assert "runs.id IN (SELECT latest_metrics.run_id" in sql and "latest_metrics.value > 0.8" in sql


def test_backquoted_names_and_numeric_params() -> None:
    sql = _sql("metrics.`val-auc` >= 1 and params.lr < 0.5", postgresql.dialect())
    assert "'val-auc'" in sql and "CAST(params.value AS FLOAT) < 0.5" in sql


def test_empty_filter_is_no_clause() -> None:
    assert parse_filter("  ") is None
    assert parse_filter(None) is None
