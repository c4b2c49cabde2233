"""Training sets: entity rows joined point in time with the features asked for."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from driftloop._duckdb import DuckDB, cursor_of, translate_errors
from driftloop.errors import InvalidInputError
from driftloop.features._models import FeatureViewVersion
from driftloop.features._offline import (
    ENTITY_RELATION,
    EVENT_TIME,
    DatasetResolver,
    register_entity,
    register_source,
    restore_order,
    to_pit_view,
)
from driftloop.features._pit import build_pit_query

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True, slots=True)
class TrainingSet:
    """A point-in-time correct training set and what it was built from.

    ``feature_views`` are the view versions used (``"weather@2"``); ``dataset`` is the
    dataset version it was logged as (``log=True``), else None.
    """

    table: pa.Table
    feature_views: tuple[str, ...]
    features: tuple[str, ...]
    dataset: Any = None

    def to_arrow(self) -> pa.Table:
        return self.table

    def to_pandas(self) -> pd.DataFrame:
        frame: pd.DataFrame = self.table.to_pandas()
        return frame

    def to_polars(self) -> Any:
        import polars as pl

        return pl.from_arrow(self.table)

    def __len__(self) -> int:
        return int(self.table.num_rows)


def select_features(
    version: FeatureViewVersion, wanted: Sequence[str], full_names: bool
) -> tuple[list[str], list[str]]:
    """The view's features ``wanted`` names (``*`` = all) and their output column names."""
    view = version.view
    known = view.feature_names
    names = known if "*" in wanted else list(wanted)
    unknown = [n for n in names if n not in known]
    if unknown:
        raise InvalidInputError(
            f"feature view {view.name!r} (version {version.version}) has no feature(s) "
            f"{unknown}; it has {known}"
        )
    outputs = [f"{view.name}__{n}" if full_names else n for n in names]
    return names, outputs


def build_training_table(
    entity: Any,
    event_timestamp: str,
    selected: Sequence[tuple[FeatureViewVersion, list[str], list[str]]],
    resolve: DatasetResolver,
    duck: DuckDB | None = None,
) -> pa.Table:
    """Run the point-in-time join of ``entity`` with each (view, features, outputs).

    Event and feature times of any resolution, zone or ISO text are compared as UTC
    instants. Raises InvalidInputError (or BackendUnavailableError) only, never DuckDB's.
    """
    with cursor_of(duck) as con:
        columns, row_id = register_entity(con, entity, event_timestamp)
        _check_entity(columns, event_timestamp, selected)
        pits = []
        for version, features, outputs in selected:
            relation = register_source(con, version.view, resolve)
            pits.append(to_pit_view(version.view, relation, features, outputs))
        names = columns if row_id is None else [*columns, row_id]
        event = EVENT_TIME if _has_column(con, EVENT_TIME) else event_timestamp
        sql = build_pit_query(ENTITY_RELATION, names, event, pits, row_id=row_id)
        with (
            _out_of_range_times(),
            translate_errors("building the training set", "check the entity rows' key types"),
        ):
            table = con.sql(sql).to_arrow_table()
        return table if row_id is None else restore_order(table, row_id)


@contextmanager
def _out_of_range_times() -> Iterator[None]:
    """Say why a time cannot be compared with nanosecond times, instead of DuckDB's words."""
    try:
        yield
    except InvalidInputError as exc:
        if "to higher precision" not in str(exc.__cause__):
            raise
        raise InvalidInputError(
            "building the training set: one side has nanosecond times, so every event and "
            "feature time is compared to the nanosecond, which covers only the years 1677 "
            "to 2262; a time outside them (e.g. a 9999-12-31 placeholder) cannot be. Replace "
            "placeholders with nulls, or store the nanosecond side in microseconds"
        ) from exc.__cause__


def _has_column(con: Any, column: str) -> bool:
    return column in con.sql(f"SELECT * FROM {ENTITY_RELATION} LIMIT 0").columns


def _check_entity(
    columns: list[str],
    event_timestamp: str,
    selected: Sequence[tuple[FeatureViewVersion, list[str], list[str]]],
) -> None:
    needs_time = any(v.view.timestamp is not None for v, _, _ in selected)
    if needs_time and event_timestamp not in columns:
        raise InvalidInputError(
            f"the entity rows have no event time column {event_timestamp!r} (columns: {columns}); "
            "pass event_timestamp='<column>'"
        )
    outputs = [o for _, _, outs in selected for o in outs]
    clash = sorted({o for o in outputs if outputs.count(o) > 1} | (set(outputs) & set(columns)))
    if clash:
        raise InvalidInputError(
            f"output column(s) {clash} appear twice (in two views or in the entity rows); "
            "pass full_feature_names=True to name them 'view__feature'"
        )
    for version, _, _ in selected:
        missing = [k for k in version.view.join_keys if k not in columns]
        if missing:
            raise InvalidInputError(
                f"the entity rows lack join key(s) {missing} of feature view "
                f"{version.view.name!r}; they have {columns}"
            )
