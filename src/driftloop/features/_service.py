"""Feature store use cases: apply, training sets, materialize, online lookups, freshness, skew."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from driftloop._duckdb import DuckDB
from driftloop._refs import Ref
from driftloop.errors import DriftloopError, InvalidInputError
from driftloop.features import _lifecycle
from driftloop.features._as_of import lookup_as_of
from driftloop.features._catalog import FeatureCatalog
from driftloop.features._lookup import Selected, lookup
from driftloop.features._materialize import MaterializeResult, materialize_view
from driftloop.features._models import (
    ApplyChange,
    Entity,
    FeatureView,
    FeatureViewVersion,
    Freshness,
    parse_feature_refs,
    parse_feature_selection,
)
from driftloop.features._offline import DatasetResolver
from driftloop.features._protocols import OnlineStore
from driftloop.features._training import TrainingSet, build_training_table, select_features
from driftloop.store import MetadataStore
from driftloop.store._features_rows import FeatureViewStateRow
from driftloop.store._lifecycle import LifecycleEvent, Usages

if TYPE_CHECKING:
    from driftloop.data import DatasetService, DatasetVersion
    from driftloop.features._skew import SkewReport
    from driftloop.tracking import TrackingService

Clock = Callable[[], datetime]
# Online lookups reuse view definitions for this long before re-reading the catalog, so a
# lookup costs one key read, and an apply from another process is seen within seconds.
_DEFINITIONS_TTL_S = 5.0


def _utcnow() -> datetime:
    return datetime.now(UTC)


class ViewDefinitionCache:
    """Feature view definitions read recently, shared by the services of one process.

    Safe for many threads: entries are replaced whole, never mutated.
    """

    def __init__(self, ttl_s: float = _DEFINITIONS_TTL_S) -> None:
        self.ttl_s = ttl_s
        self._entries: dict[str, tuple[float, FeatureViewVersion]] = {}
        self._lock = threading.Lock()

    def get(self, name: str) -> FeatureViewVersion | None:
        hit = self._entries.get(name)
        if hit is not None and time.monotonic() - hit[0] < self.ttl_s:
            return hit[1]
        return None

    def put(self, version: FeatureViewVersion) -> None:
        with self._lock:
            self._entries[version.name] = (time.monotonic(), version)

    def clear(self) -> None:
        with self._lock:
            self._entries = {}


class FeatureService:
    """The feature store of one workspace, acting for one user; stateless, shared by threads.

    ``online`` is called for the online store when a use case needs it (the workspace
    opens it once, on first use); ``datasets`` and ``tracking`` are where ``log=True``
    stores a training set and records it as an input of the given run.
    """

    def __init__(
        self,
        store: MetadataStore,
        user: str,
        online: Callable[[], OnlineStore],
        state_dir: Path,
        resolve: DatasetResolver,
        clock: Clock = _utcnow,
        *,
        datasets: DatasetService,
        tracking: TrackingService,
        definitions: ViewDefinitionCache | None = None,
        duck: DuckDB | None = None,
        usages: Usages | None = None,
    ) -> None:
        self.catalog = FeatureCatalog(store, user)
        self.user = user
        # what uses a view (a live deployment's online lookups), asked before deleting it
        self.usages = usages or Usages()
        self.datasets = datasets
        self.tracking = tracking
        self.store = store
        self.state_dir = state_dir
        self.resolve = resolve
        self.clock = clock
        self._open_online = online
        self._definitions = definitions if definitions is not None else ViewDefinitionCache()
        # The process's DuckDB (the workspace's); None: a short-lived one per call.
        self.duck = duck

    @property
    def online(self) -> OnlineStore:
        return self._open_online()

    def apply(
        self, views: Sequence[FeatureView], entities: Sequence[Entity] = ()
    ) -> list[ApplyChange]:
        """Register views (changed ones get a new version); see :meth:`FeatureCatalog.apply`."""
        self._definitions.clear()
        return self.catalog.apply(views, entities)

    def delete_view(self, name: str) -> LifecycleEvent:
        """Delete a view (every version): gone from lists, training sets and lookups,
        restorable until ``driftloop gc``; refused while a live deployment looks it up."""
        self._definitions.clear()
        return _lifecycle.delete_view(self.store, name, self.user, self.clock(), self.usages)

    def restore_view(self, name: str) -> LifecycleEvent:
        """Restore a deleted view; its online values are kept until it is purged."""
        self._definitions.clear()
        return _lifecycle.restore_view(self.store, name, self.user, self.clock())

    def _version(self, ref: Ref, cached: bool) -> FeatureViewVersion:
        if ref.version is not None:  # a pinned version: the cache holds only the latest
            return self.catalog.get(ref.name, ref.version)
        hit = self._definitions.get(ref.name) if cached else None
        if hit is not None:
            return hit
        version = self.catalog.get(ref.name)
        self._definitions.put(version)
        return version

    def _check_online_version(self, version: FeatureViewVersion) -> None:
        """The online store holds the latest version only; an older one asked for is refused."""
        latest = self._version(Ref(version.name), cached=True)
        if version.version != latest.version:
            raise InvalidInputError(
                f"the online store holds {latest.ref}, not {version.ref}: only the latest "
                f"version is materialized; ask for {version.name}:FEATURE or {latest.ref}:FEATURE"
            )

    def _select(
        self, features: Sequence[str], full_names: bool, cached: bool = False
    ) -> list[Selected]:
        selected = []
        refs = tuple(features) if all(isinstance(f, str) for f in features) else None
        pairs = parse_feature_selection(refs) if refs is not None else ()
        if refs is None:  # not all text: the uncached parse names the bad one
            parse_feature_refs(list(features))
        for ref, wanted in pairs:
            version = self._version(ref, cached)
            chosen, outputs = select_features(version, wanted, full_names)
            selected.append((version, chosen, outputs))
        return selected

    def get_training_set(
        self,
        entity_rows: Any,
        features: Sequence[str],
        *,
        event_timestamp: str = "event_timestamp",
        full_feature_names: bool = False,
        log: bool = False,
        name: str = "training-set",
        run_id: str | None = None,
    ) -> TrainingSet:
        """Point-in-time correct features for each entity row; see ``dl.get_training_set``.

        ``log=True`` stores the result as a version of dataset ``name``; with ``run_id``,
        that run records the version and the feature view versions as its inputs.
        """
        selected = self._select(features, full_feature_names)
        table = build_training_table(
            entity_rows, event_timestamp, selected, self.resolve, self.duck
        )
        refs = tuple(v.ref for v, _, _ in selected)
        outputs = tuple(o for _, _, outs in selected for o in outs)
        logged = self._log(table, refs, name, run_id) if log else None
        return TrainingSet(table, refs, outputs, logged)

    def _log(
        self, table: Any, refs: tuple[str, ...], name: str, run_id: str | None
    ) -> DatasetVersion:
        source = "feature views: " + ", ".join(refs)
        version = self.datasets.log(name, table, source=source, run_id=run_id)
        if run_id is not None:
            self.tracking.log_input(run_id, "dataset", version.ref, "training-set")
            for ref in refs:
                self.tracking.log_input(run_id, "feature_view", ref, "training-set")
        return version

    def materialize(
        self,
        views: Sequence[str] | None = None,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        incremental: bool = False,
    ) -> list[MaterializeResult]:
        """Write the latest value per entity of each view (default: all) to the online store.

        ``incremental`` writes only what changed since the last run, late rows included;
        ``end`` defaults to now. Each view is independent: one that fails (bad data, a
        missing dataset) gets a result with ``error`` set and the others still run; a
        view name that is not registered raises NotFoundError before any work.
        """
        names = list(views) if views else [v.name for v in self.catalog.latest()]
        now = self.clock()
        end = end or now
        if start is not None and start > end:
            raise InvalidInputError(f"materialize start {start} is after end {end}")
        versions = [self.catalog.get(name) for name in names]
        results = []
        for version in versions:
            try:
                result = materialize_view(
                    version,
                    self.online,
                    self.resolve,
                    self.state_dir / "features",
                    start=None if incremental else start,
                    end=end,
                    incremental=incremental,
                    duck=self.duck,
                )
            except (DriftloopError, OSError) as exc:  # OSError: a snapshot file, a full disk
                results.append(
                    MaterializeResult(version.name, version.version, 0, start, end, None, str(exc))
                )
                continue
            self._save_state(result, now)
            results.append(result)
        return results

    def _save_state(self, result: MaterializeResult, now: datetime) -> None:
        from driftloop.store import upsert

        with self.store.session() as session:
            old = session.get(FeatureViewStateRow, result.view)
            until = result.end
            if old is not None and old.version == result.version and old.materialized_until:
                until = max(until, old.materialized_until) if until else old.materialized_until
            upsert(
                session,
                FeatureViewStateRow,
                ["name"],
                [
                    {
                        "name": result.view,
                        "version": result.version,
                        "last_materialized_at": now,
                        "materialized_until": until,
                        "source_watermark": result.source_watermark,
                        "rows_written": result.rows_written,
                    }
                ],
            )

    def get_online_features(
        self,
        features: Sequence[str],
        entity_rows: Any,
        *,
        full_feature_names: bool = False,
        as_of: datetime | None = None,
    ) -> dict[str, list[Any]]:
        """Latest online values as a dict of columns; unknown entities and expired values: None.

        With ``as_of``, the values the online store would have answered at that time:
        the online store holds only the latest value per entity (which may be from after
        ``as_of``), so they are computed from the offline store, point in time as of
        ``as_of`` within the TTL (see ``_as_of.py``).
        """
        selected = self._select_online(features, full_feature_names)
        if as_of is None:
            return lookup(self.online, selected, entity_rows, self.clock())
        return lookup_as_of(self.online, selected, entity_rows, as_of, self.resolve, self.duck)

    def read_online(
        self, features: Sequence[str], entity_rows: Any, *, at: datetime
    ) -> dict[str, list[Any]]:
        """The online store's values as they are now, with TTLs judged at ``at``.

        Unlike ``get_online_features(as_of=...)`` this reads the store itself, whatever
        the values' times: what a skew check compares with the offline store.
        """
        return lookup(self.online, self._select_online(features, False), entity_rows, at)

    def _select_online(self, features: Sequence[str], full_names: bool) -> list[Selected]:
        selected = self._select(features, full_names, cached=True)
        for version, _, _ in selected:
            self._check_online_version(version)
        return selected

    def freshness(self) -> list[Freshness]:
        """Per view: last materialization, source watermark, and whether it is stale beyond TTL."""
        now = self.clock()
        with self.store.read() as session:
            states = {s.name: s for s in session.scalars(select(FeatureViewStateRow))}
        result = []
        for version in self.catalog.latest():
            state = states.get(version.name)
            until = state.materialized_until if state else None
            ttl = version.view.ttl
            # The newest value online is as old as the window end or the source's newest row,
            # whichever is earlier; past the TTL, lookups now return nulls: stale.
            watermark = state.source_watermark if state else None
            newest = min(until, watermark) if until and watermark else until
            stale = newest is None or (ttl is not None and now - newest > ttl)
            stale = stale or (state is not None and state.version != version.version)
            result.append(
                Freshness(
                    name=version.name,
                    version=version.version,
                    last_materialized_at=state.last_materialized_at if state else None,
                    materialized_until=until,
                    source_watermark=state.source_watermark if state else None,
                    rows_written=state.rows_written if state else 0,
                    is_stale=stale,
                )
            )
        return result

    def check_skew(self, view: str, sample: int = 1000, seed: int = 0) -> SkewReport:
        """Compare online values with offline point-in-time values at the materialization time."""
        from driftloop.features._skew import check_skew

        state = next((f for f in self.freshness() if f.name == view), None)
        if state is None or state.materialized_until is None:
            raise InvalidInputError(
                f"feature view {view!r} was never materialized; "
                "run `driftloop features materialize`"
            )
        version = self.catalog.get(view)
        return check_skew(self, version, state.materialized_until, sample, seed)
