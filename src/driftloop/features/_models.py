"""Feature definitions (entities, features, views) and the records the store keeps about them."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from driftloop._refs import Ref, parse_ref, without_alias
from driftloop.errors import InvalidInputError
from driftloop.features._types import normalize_dtype

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _check_name(kind: str, name: str) -> None:
    if not _NAME.match(name):
        raise InvalidInputError(
            f"{kind} name {name!r} is not valid; use letters, digits and underscores, "
            "starting with a letter or underscore"
        )


@dataclass(frozen=True, slots=True)
class Entity:
    """The thing features describe (a customer, an airport), identified by its join keys.

    Example::

        airport = Entity("airport", join_keys=["origin"])
    """

    name: str
    join_keys: tuple[str, ...] | list[str] = ()

    def __post_init__(self) -> None:
        _check_name("entity", self.name)
        keys = tuple(self.join_keys) or (self.name,)
        for key in keys:
            _check_name("join key", key)
        object.__setattr__(self, "join_keys", keys)


@dataclass(frozen=True, slots=True)
class Feature:
    """One feature column of a view and its type.

    ``dtype`` is written as in pandas/NumPy (``"float64"``, ``"int64"``, ``"bool"``,
    ``"string"``, ``"datetime64[ns, UTC]"``), Arrow (``"double"``, ``"large_string"``),
    Feast (``"Float64"``, ``"Int64"``, ``"String"``, ``"UnixTimestamp"``) or SQL
    (``"DOUBLE"``, ``"BIGINT"``, ``"VARCHAR"``, ``"TIMESTAMPTZ"``); it is stored as one
    internal (DuckDB) type name. Raises InvalidInputError for any other name, listing
    the accepted ones.
    """

    name: str
    dtype: str = "DOUBLE"

    def __post_init__(self) -> None:
        _check_name("feature", self.name)
        object.__setattr__(self, "dtype", normalize_dtype(self.dtype, self.name))


@dataclass(frozen=True, slots=True)
class FeatureView:
    """A group of features of one entity, read from a dataset (or SQL over datasets).

    Args:
        name: the view's name; features are referred to as ``"view:feature"``.
        entities: the entities whose join keys identify a row.
        source: a dataset name (``"weather"``, ``"weather@3"``), SQL over datasets
            (``"select ... from weather join stations using (origin)"``), or a path to
            Parquet files.
        timestamp: the event-time column; ``None`` makes a static view whose values are
            always valid (no TTL).
        ttl: how long a value stays valid after its timestamp; ``None`` means forever.
        features: the feature columns and their types.
        transformation: optional SQL over the source, visible as a table named ``source``.
        created_timestamp: optional column that breaks ties between rows of one entity
            with the same timestamp (the latest created wins).

    Example::

        weather = FeatureView(
            "weather", entities=[airport], source="weather", timestamp="time_hour",
            ttl=timedelta(hours=3), features=[Feature("temp"), Feature("humid")],
        )
    """

    name: str
    entities: tuple[Entity, ...] | list[Entity]
    source: str
    timestamp: str | None = None
    ttl: timedelta | None = None
    features: tuple[Feature, ...] | list[Feature] = ()
    transformation: str | None = None
    created_timestamp: str | None = None
    description: str = ""
    tags: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _check_name("feature view", self.name)
        object.__setattr__(self, "entities", tuple(self.entities))
        object.__setattr__(self, "features", tuple(self.features))
        if not self.entities:
            raise InvalidInputError(f"feature view {self.name!r} needs at least one entity")
        if not self.features:
            raise InvalidInputError(f"feature view {self.name!r} declares no features")
        if self.ttl is not None and self.ttl <= timedelta(0):
            raise InvalidInputError(
                f"feature view {self.name!r}: ttl must be positive, got {self.ttl}"
            )
        if self.timestamp is None and self.ttl is not None:
            raise InvalidInputError(
                f"feature view {self.name!r} has a ttl but no timestamp column; "
                "a static view is always valid, so drop the ttl or name the timestamp"
            )
        names = [f.name for f in self.features]
        clash = sorted(
            {n for n in names if names.count(n) > 1} | (set(names) & set(self.join_keys))
        )
        if clash:
            raise InvalidInputError(f"feature view {self.name!r}: duplicate column(s) {clash}")

    @property
    def join_keys(self) -> tuple[str, ...]:
        keys: list[str] = []
        for entity in self.entities:
            keys.extend(k for k in entity.join_keys if k not in keys)
        return tuple(keys)

    @property
    def feature_names(self) -> list[str]:
        return [f.name for f in self.features]

    def to_spec(self) -> dict[str, Any]:
        """The view as plain JSON data, the form stored and compared between versions."""
        return {
            "name": self.name,
            "entities": [{"name": e.name, "join_keys": list(e.join_keys)} for e in self.entities],
            "source": self.source,
            "timestamp": self.timestamp,
            "ttl_seconds": None if self.ttl is None else self.ttl.total_seconds(),
            "features": [{"name": f.name, "dtype": f.dtype.upper()} for f in self.features],
            "transformation": self.transformation,
            "created_timestamp": self.created_timestamp,
            "description": self.description,
            "tags": dict(sorted(self.tags.items())),
        }

    @classmethod
    def from_spec(cls, spec: dict[str, Any]) -> FeatureView:
        ttl = spec.get("ttl_seconds")
        return cls(
            name=spec["name"],
            entities=[Entity(e["name"], e["join_keys"]) for e in spec["entities"]],
            source=spec["source"],
            timestamp=spec.get("timestamp"),
            ttl=None if ttl is None else timedelta(seconds=ttl),
            features=[Feature(f["name"], f["dtype"]) for f in spec["features"]],
            transformation=spec.get("transformation"),
            created_timestamp=spec.get("created_timestamp"),
            description=spec.get("description", ""),
            tags=spec.get("tags", {}),
        )

    def digest(self) -> str:
        body = json.dumps(self.to_spec(), sort_keys=True, separators=(",", ":"))
        return "sha256:" + hashlib.sha256(body.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class FeatureViewVersion:
    """One registered version of a view (a changed definition gets the next version)."""

    name: str
    version: int
    digest: str
    view: FeatureView
    created_at: datetime
    created_by: str
    # Set while the view is deleted (``ws.features.delete_view``): who, and when.
    deleted_at: datetime | None = None
    deleted_by: str | None = None

    @property
    def ref(self) -> str:
        return f"{self.name}@{self.version}"


@dataclass(frozen=True, slots=True)
class Freshness:
    """How current a view's online values are."""

    name: str
    version: int
    last_materialized_at: datetime | None
    materialized_until: datetime | None
    source_watermark: datetime | None
    rows_written: int
    is_stale: bool


@dataclass(frozen=True, slots=True)
class ApplyChange:
    """What ``apply`` did (or would do) to one view."""

    name: str
    action: str  # "created", "updated", "unchanged"
    version: int
    warnings: tuple[str, ...] = ()


def parse_view_ref(text: str) -> Ref:
    """``"weather"``, ``"weather@3"`` or ``"weather@latest"`` as a :class:`Ref` (no alias).

    The grammar is :func:`driftloop._refs.parse_ref`'s; feature views have no alias but
    ``latest``, so any other alias is a :class:`NotFoundError`.
    """
    parsed = parse_ref(text, "feature view", lambda name: _check_name("feature view", name))
    return without_alias(parsed, "feature view", "feature views", "driftloop features show")


@lru_cache(maxsize=1024)
def parse_feature_selection(refs: tuple[str, ...]) -> tuple[tuple[Ref, tuple[str, ...]], ...]:
    """:func:`parse_feature_refs` as immutable pairs, remembered: an online lookup names
    the same features on every call, and parsing them costs more than the key read."""
    return tuple((ref, tuple(wanted)) for ref, wanted in parse_feature_refs(refs).items())


def parse_feature_refs(refs: list[str] | tuple[str, ...]) -> dict[Ref, list[str]]:
    """Group ``["weather@2:temp", "planes:*"]`` by view: ``{Ref("weather", 2): ["temp"], ...}``.

    Each reference is ``VIEW:FEATURE`` where VIEW is a view reference (``weather``,
    ``weather@2``); views and features keep their order. One view asked for at two
    versions is refused: their columns would collide.
    """
    grouped: dict[Ref, list[str]] = {}
    for ref in refs:
        view, sep, feature = ref.partition(":") if isinstance(ref, str) else ("", "", "")
        if not sep or not view or not feature:
            raise InvalidInputError(
                f"feature reference {ref!r} is not 'view:feature' "
                "(e.g. 'weather:temp', 'weather@2:temp' or 'weather:*')"
            )
        if "@" in feature:
            raise InvalidInputError(
                f"feature reference {ref!r} puts a version on the feature; version the view "
                f"instead, e.g. '{view}@{feature.partition('@')[2]}:{feature.partition('@')[0]}'"
            )
        key = parse_view_ref(view)
        grouped.setdefault(key, [])
        if feature not in grouped[key]:
            grouped[key].append(feature)
    names = [key.name for key in grouped]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        asked = ", ".join(str(k) for k in grouped if k.name in twice)
        raise InvalidInputError(
            f"feature view(s) {twice} asked for at more than one version ({asked}); "
            "pick one version per view"
        )
    if not grouped:
        raise InvalidInputError("no features asked for; pass e.g. features=['weather:temp']")
    return grouped
