"""The module API: ``dl.get_training_set``, ``dl.get_online_features``, ``dl.apply_features``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from driftloop.features._materialize import MaterializeResult
from driftloop.features._models import ApplyChange, Entity, FeatureView
from driftloop.features._training import TrainingSet

if TYPE_CHECKING:
    from driftloop.features._service import FeatureService


def _service() -> FeatureService:
    from driftloop._workspace import get_workspace

    return get_workspace().features


def apply_features(
    views: Sequence[FeatureView], entities: Sequence[Entity] = ()
) -> list[ApplyChange]:
    """Register feature views and entities; a changed view gets the next version.

    Example::

        dl.apply_features([weather, planes])
    """
    return _service().apply(views, entities)


def get_training_set(
    entity_rows: Any,
    features: Sequence[str],
    *,
    event_timestamp: str = "event_timestamp",
    full_feature_names: bool = False,
    log: bool = False,
    name: str = "training-set",
) -> TrainingSet:
    """Point-in-time correct training set: each entity row with its features as of its event time.

    For each row, each feature is the latest value with feature time <= the row's event time
    and within the view's TTL, else null; never a value from after the event. Runs in
    DuckDB, spilling to disk for inputs larger than memory.

    Args:
        entity_rows: pandas, Polars, Arrow, a Parquet path or SQL, with the join keys
            and the event time column.
        features: ``"view:feature"`` references; ``"view:*"`` takes every feature.
        event_timestamp: the entity column holding the event time.
        full_feature_names: name columns ``view__feature`` instead of ``feature``.
        log: store the result as a version of dataset ``name``; if a run is active, it
            records the dataset and the feature view versions as its inputs.

    Raises:
        NotFoundError: a view is not registered.
        InvalidInputError: a feature, join key or the event time column is missing.

    Example::

        ts = dl.get_training_set(flights, ["weather:temp", "planes:seats"],
                                 event_timestamp="time_hour")
        df = ts.to_pandas()
    """
    from driftloop.tracking._fluent import active_run

    run = active_run() if log else None
    return _service().get_training_set(
        entity_rows,
        features,
        event_timestamp=event_timestamp,
        full_feature_names=full_feature_names,
        log=log,
        name=name,
        run_id=None if run is None else run.id,
    )


def get_online_features(
    features: Sequence[str],
    entity_rows: Any,
    *,
    to: Literal["pandas", "dict"] = "pandas",
    full_feature_names: bool = False,
    as_of: datetime | None = None,
) -> Any:
    """The latest materialized values for entity rows, as a DataFrame (or a dict of columns).

    Unknown entities get nulls, not errors; values older than the view's TTL are
    treated as missing. ``as_of`` answers as the online store would have at that time
    (never a value from after it): the point-in-time value within the TTL, computed
    from the offline store, since the online store keeps only the newest value.

    Example::

        dl.get_online_features(["weather:temp"], [{"origin": "JFK"}], to="dict")
    """
    columns = _service().get_online_features(
        features, entity_rows, full_feature_names=full_feature_names, as_of=as_of
    )
    if to == "dict":
        return columns
    from driftloop.features._frame import to_frame

    return to_frame(columns)


def materialize_features(
    views: Sequence[str] | None = None,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    incremental: bool = False,
) -> list[MaterializeResult]:
    """Write the latest value per entity of each view to the online store.

    Each view is materialized on its own: one that fails does not stop the others. Its
    result carries the error (``result.ok`` is False) and a ``DriftloopWarning`` names
    it, so a script that ignores the results still hears of it.

    Example::

        dl.materialize_features(incremental=True)
    """
    from driftloop.errors import DriftloopWarning, warn

    results = _service().materialize(views, start=start, end=end, incremental=incremental)
    for result in results:
        if not result.ok:
            warn(
                DriftloopWarning,
                f"feature view {result.view!r} was not materialized: {result.error}",
            )
    return results
