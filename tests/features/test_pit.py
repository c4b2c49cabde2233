"""The DuckDB point-in-time join agrees with the row-by-row reference on generated data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from driftloop._duckdb import cursor_of
from driftloop.features._pit import PitView, build_pit_query
from driftloop.features._pit_reference import reference_pit_join

BASE = datetime(2024, 1, 1, tzinfo=UTC)
KEYS = st.sampled_from(["a", "b", "c", None])
MINUTE = st.integers(min_value=0, max_value=30).map(lambda m: BASE + timedelta(minutes=m))


def _frame(rows: list[dict], schema: pa.Schema) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=schema)


ENTITY_SCHEMA = pa.schema(
    [("k", pa.string()), ("ts", pa.timestamp("us", tz="UTC")), ("i", pa.int64())]
)
VIEW_SCHEMA = pa.schema(
    [
        ("k", pa.string()),
        ("t", pa.timestamp("us", tz="UTC")),
        ("created", pa.int64()),
        ("f", pa.float64()),
        ("g", pa.int64()),
    ]
)


@st.composite
def cases(draw: st.DrawFn) -> tuple[list[dict], list[dict], timedelta | None, bool]:
    entity = [
        {"k": draw(KEYS), "ts": draw(st.one_of(MINUTE, st.none())), "i": i}
        for i in range(draw(st.integers(0, 12)))
    ]
    # Distinct created values so ties on (key, time) have one right answer.
    created = draw(st.permutations(range(40)))
    view = [
        {
            "k": draw(KEYS),
            "t": draw(MINUTE),
            "created": created[i],
            "f": draw(st.one_of(st.floats(-5, 5, allow_nan=False), st.none())),
            "g": i,
        }
        for i in range(draw(st.integers(0, 25)))
    ]
    ttl = draw(st.one_of(st.none(), st.integers(1, 20).map(lambda m: timedelta(minutes=m))))
    return entity, view, ttl, draw(st.booleans())


def _run(entity: list[dict], view: list[dict], pit: PitView) -> list[dict]:
    with cursor_of(None) as con:
        con.register("entity", _frame(entity, ENTITY_SCHEMA))
        con.register("view_rows", _frame(view, VIEW_SCHEMA))
        sql = build_pit_query("entity", ["k", "ts", "i"], "ts", [pit])
        rows: list[dict] = con.sql(sql).to_arrow_table().to_pylist()
        return rows


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_duckdb_join_matches_reference_with_ttls_and_ties(case) -> None:
    entity, view, ttl, static = case
    timestamp = None if static else "t"
    ttl = None if static else ttl
    pit = PitView("v", "view_rows", ("k",), ("f", "g"), ("f", "g"), timestamp, ttl, "created")
    expected = reference_pit_join(entity, "ts", view, ["k"], ["f", "g"], timestamp, ttl, "created")
    if static:  # keys may repeat in generated static data; the reference takes the first row
        view = list({r["k"]: r for r in reversed(view)}.values())
        expected = reference_pit_join(entity, "ts", view, ["k"], ["f", "g"], None, None)
    assert _run(entity, view, pit) == expected


def test_value_at_exact_event_time_is_used_and_later_value_never_leaks() -> None:
    entity = [{"k": "a", "ts": BASE + timedelta(minutes=5), "i": 0}]
    view = [
        {"k": "a", "t": BASE + timedelta(minutes=5), "created": 0, "f": 1.0, "g": 0},
        {
            "k": "a",
            "t": BASE + timedelta(minutes=5, microseconds=1),
            "created": 1,
            "f": 2.0,
            "g": 1,
        },
    ]
    pit = PitView("v", "view_rows", ("k",), ("f",), ("f",), "t", None, None)
    assert _run(entity, view, pit)[0]["f"] == 1.0


def test_value_older_than_ttl_is_null() -> None:
    entity = [{"k": "a", "ts": BASE + timedelta(minutes=10), "i": 0}]
    view = [{"k": "a", "t": BASE, "created": 0, "f": 1.0, "g": 0}]
    inside = PitView("v", "view_rows", ("k",), ("f",), ("f",), "t", timedelta(minutes=10))
    outside = PitView("v", "view_rows", ("k",), ("f",), ("f",), "t", timedelta(minutes=9))
    assert _run(entity, view, inside)[0]["f"] == 1.0
    assert _run(entity, view, outside)[0]["f"] is None


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(cases())
def test_get_training_set_matches_reference(sqlite_workspace, tmp_path_factory, case) -> None:
    """The whole path (registry, source, join, row order) against the row-by-row oracle."""
    import pyarrow.parquet as pq

    import driftloop as dl

    entity, view, ttl, static = case
    timestamp = None if static else "t"
    ttl = None if static else ttl
    if static:
        view = list({r["k"]: r for r in reversed(view)}.values())
    source = tmp_path_factory.mktemp("src") / "rows.parquet"
    pq.write_table(_frame(view, VIEW_SCHEMA), source)
    definition = dl.FeatureView(
        "v",
        [dl.Entity("e", ["k"])],
        str(source),
        timestamp,
        ttl,
        [dl.Feature("f"), dl.Feature("g", "BIGINT")],
        created_timestamp=None if static else "created",
    )
    sqlite_workspace.features.apply([definition])
    got = dl.get_training_set(_frame(entity, ENTITY_SCHEMA), ["v:f", "v:g"], event_timestamp="ts")
    created = None if static else "created"
    expected = reference_pit_join(entity, "ts", view, ["k"], ["f", "g"], timestamp, ttl, created)
    assert got.table.to_pylist() == expected
