"""No feature row from after the event, at any resolution: s, ms, us, ns, naive or aware.

Event and feature instants are drawn at nanosecond precision around a few anchors, so
that many pairs differ by less than a microsecond; each side is then stored at its own
resolution (floored, as a clock of that resolution would record it) and zone. The
DuckDB join must agree with the row-by-row oracle on the instants actually stored.
"""

from __future__ import annotations

import itertools
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import driftloop as dl
from driftloop._duckdb import DuckDB
from driftloop.errors import InvalidInputError
from driftloop.features._models import FeatureViewVersion
from driftloop.features._pit_reference import reference_pit_join
from driftloop.features._training import build_training_table

UNITS = {"s": 10**9, "ms": 10**6, "us": 10**3, "ns": 1}
ZONES = {"naive": None, "utc": "UTC", "paris": "Europe/Paris"}
KINDS = [(unit, zone) for unit in UNITS for zone in ZONES]
ANCHOR = 1_704_067_200 * 10**9  # 2024-01-01T00:00:00Z in ns
# Offsets that put rows a nanosecond, a few tens of nanoseconds, a microsecond, ... apart.
OFFSETS = [0, 1, 49, 50, 51, 999, 1_000, 1_001, 999_999, 10**6, 10**9 - 1, 10**9, 10**9 + 50]
INSTANTS = st.builds(
    lambda anchor, offset, sign: ANCHOR + anchor * 3 * 10**9 + sign * offset,
    st.integers(0, 2),
    st.sampled_from(OFFSETS),
    st.sampled_from([-1, 1]),
)
TTLS = [None, timedelta(microseconds=1), timedelta(milliseconds=1), timedelta(seconds=1)]
T0 = pd.Timestamp(ANCHOR, unit="ns", tz="UTC").to_pydatetime()


def _stored(instants: list[int], unit: str) -> list[int]:
    """The instants as a clock of ``unit`` records them (floored), in ns."""
    return [t // UNITS[unit] * UNITS[unit] for t in instants]


def _column(instants: list[int], kind: tuple[str, str]) -> pa.Array:
    unit, zone = kind
    # The same instants whatever the zone: naive values are the UTC wall clock.
    return pa.array([t // UNITS[unit] for t in instants], pa.timestamp(unit, tz=ZONES[zone]))


def _version(ttl: timedelta | None) -> FeatureViewVersion:
    # Rows sharing a stored time are ordered by "c", so a tie has one right answer.
    features = [dl.Feature("g", "BIGINT")]
    view = dl.FeatureView(
        "v", [dl.Entity("e", ["k"])], "d", "t", ttl, features, created_timestamp="c"
    )
    return FeatureViewVersion("v", 1, view.digest(), view, T0, "test")


def _join_and_oracle(
    folder: Path,
    duck: DuckDB,
    events: list[tuple[str, int]],
    rows: list[tuple[str, int]],
    kinds: tuple[tuple[str, str], tuple[str, str]],
    ttl: timedelta | None,
) -> tuple[list[int | None], list[int | None]]:
    entity_kind, feature_kind = kinds
    event_ns = _stored([t for _, t in events], entity_kind[0])
    row_ns = _stored([t for _, t in rows], feature_kind[0])
    path = folder / "features.parquet"
    feature_table = pa.table(
        {
            "k": [k for k, _ in rows],
            "t": _column(row_ns, feature_kind),
            "g": list(range(len(rows))),
            "c": list(range(len(rows))),
        }
    )
    pq.write_table(feature_table, path)
    entity = pa.table({"k": [k for k, _ in events], "ts": _column(event_ns, entity_kind)})
    got = build_training_table(
        entity, "ts", [(_version(ttl), ["g"], ["g"])], {"d": [path]}.get, duck
    )
    # The oracle compares the stored instants exactly (pandas Timestamps carry ns).
    utc = [pd.Timestamp(t, unit="ns", tz="UTC") for t in event_ns]
    view_rows = [
        {"k": k, "t": pd.Timestamp(t, unit="ns", tz="UTC"), "g": g, "c": g}
        for g, ((k, _), t) in enumerate(zip(rows, row_ns, strict=True))
    ]
    entity_rows = [{"k": k, "ts": t} for (k, _), t in zip(events, utc, strict=True)]
    expected = reference_pit_join(entity_rows, "ts", view_rows, ["k"], ["g"], "t", ttl, "c")
    return got.column("g").to_pylist(), [r["g"] for r in expected]


@pytest.fixture(scope="module")
def duck() -> DuckDB:
    database = DuckDB()
    yield database
    database.close()


def test_a_feature_row_50_ns_after_a_microsecond_event_is_not_used(
    tmp_path: Path, duck: DuckDB
) -> None:
    """The case as reported: event times in microseconds, feature times in nanoseconds."""
    events = [("a", ANCHOR + 1_000)]
    rows = [("a", ANCHOR), ("a", ANCHOR + 1_050)]
    kinds = (("us", "utc"), ("ns", "utc"))
    got, expected = _join_and_oracle(tmp_path, duck, events, rows, kinds, None)
    assert got == expected == [0]


# Every instant near every other: all orders at 1 ns, 50 ns, 1 us, 1 ms and 1 s apart.
GRID = [ANCHOR + sign * offset for offset in OFFSETS for sign in (-1, 1)]


@pytest.mark.parametrize(
    "kinds",
    [
        (a, b)
        for a, b in itertools.product(KINDS, KINDS)
        if a[1] != "utc" and b[1] != "utc"  # naive and aware (Paris); UTC in the property test
    ],
    ids=lambda kinds: "-".join("-".join(k) for k in kinds),
)
def test_every_resolution_and_zone_pair_matches_the_oracle_on_close_instants(
    tmp_path: Path, duck: DuckDB, kinds: tuple[tuple[str, str], tuple[str, str]]
) -> None:
    events = [("a", t) for t in GRID]
    rows = [("a", t) for t in GRID[::3]]
    for ttl in TTLS:
        got, expected = _join_and_oracle(tmp_path, duck, events, rows, kinds, ttl)
        assert got == expected, ttl


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    events=st.lists(st.tuples(st.sampled_from("ab"), INSTANTS), max_size=8),
    rows=st.lists(st.tuples(st.sampled_from("ab"), INSTANTS), max_size=10),
    kinds=st.tuples(st.sampled_from(KINDS), st.sampled_from(KINDS)),
    ttl=st.sampled_from(TTLS),
)
def test_join_matches_the_oracle_for_any_resolution_and_zone(
    tmp_path: Path, duck: DuckDB, events, rows, kinds, ttl
) -> None:
    got, expected = _join_and_oracle(tmp_path, duck, events, rows, kinds, ttl)
    assert got == expected


def test_iso_text_with_nanosecond_digits_is_compared_to_the_nanosecond(
    tmp_path: Path, duck: DuckDB
) -> None:
    path = tmp_path / "features.parquet"
    times = ["2024-01-01T00:00:00.000000500Z", "2024-01-01T00:00:00.000001050Z"]
    pq.write_table(pa.table({"k": ["a", "a"], "t": times, "g": [0, 1], "c": [0, 1]}), path)
    entity = pa.table({"k": ["a", "a"], "ts": ["2024-01-01T00:00:00.000001Z", "2024-01-01T01:00Z"]})
    got = build_training_table(
        entity, "ts", [(_version(None), ["g"], ["g"])], {"d": [path]}.get, duck
    )
    assert got.column("g").to_pylist() == [0, 1]


def test_microsecond_times_beyond_the_nanosecond_range_are_refused_with_the_range(
    tmp_path: Path, duck: DuckDB
) -> None:
    """Compared with nanosecond times, a year-9999 sentinel cannot be: the error says why."""
    path = tmp_path / "features.parquet"
    pq.write_table(
        pa.table({"k": ["a"], "t": _column([ANCHOR], ("ns", "naive")), "g": [0], "c": [0]}), path
    )
    far = pa.array([253_370_764_800_000_000], pa.timestamp("us"))  # 9999-01-01
    entity = pa.table({"k": ["a"], "ts": far})
    with pytest.raises(InvalidInputError, match=r"1677.*2262") as info:
        build_training_table(
            entity, "ts", [(_version(None), ["g"], ["g"])], {"d": [path]}.get, duck
        )
    assert "nanosecond" in str(info.value)
