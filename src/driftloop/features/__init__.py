"""The feature store: feature views, point-in-time correct training sets, online features.

Definitions are Python, close to Feast's: an :class:`Entity` names join keys, a
:class:`FeatureView` reads a dataset (or SQL over datasets) with an event-time
column and a TTL. ``driftloop features apply`` registers them, versioned.
Training sets are DuckDB ASOF joins that never let a row see a value from after
its event; ``materialize`` writes the latest value per entity to the online store
(SQLite by default, Redis via ``DRIFTLOOP_ONLINE_URL``) for lookups in well under
a millisecond; ``check-skew`` compares the two sides.
"""

from typing import TYPE_CHECKING

from driftloop._lazy import lazy_exports

if TYPE_CHECKING:
    from driftloop.features._fluent import (
        apply_features,
        get_online_features,
        get_training_set,
        materialize_features,
    )
    from driftloop.features._loader import load_definitions
    from driftloop.features._materialize import MaterializeResult
    from driftloop.features._models import (
        ApplyChange,
        Entity,
        Feature,
        FeatureView,
        FeatureViewVersion,
        Freshness,
    )
    from driftloop.features._online import open_online_store
    from driftloop.features._protocols import OnlineStore
    from driftloop.features._redis import RedisOnlineStore
    from driftloop.features._service import FeatureService
    from driftloop.features._skew import FeatureSkew, SkewExample, SkewReport
    from driftloop.features._sqlite import SqliteOnlineStore
    from driftloop.features._training import TrainingSet

# Imported on first use (see driftloop/_lazy.py), so importing the package is cheap.
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "driftloop.features._fluent": (
            "apply_features",
            "get_online_features",
            "get_training_set",
            "materialize_features",
        ),
        "driftloop.features._loader": ("load_definitions",),
        "driftloop.features._materialize": ("MaterializeResult",),
        "driftloop.features._models": (
            "ApplyChange",
            "Entity",
            "Feature",
            "FeatureView",
            "FeatureViewVersion",
            "Freshness",
        ),
        "driftloop.features._online": ("open_online_store",),
        "driftloop.features._protocols": ("OnlineStore",),
        "driftloop.features._redis": ("RedisOnlineStore",),
        "driftloop.features._service": ("FeatureService",),
        "driftloop.features._skew": (
            "FeatureSkew",
            "SkewExample",
            "SkewReport",
        ),
        "driftloop.features._sqlite": ("SqliteOnlineStore",),
        "driftloop.features._training": ("TrainingSet",),
    },
    globals(),
)

__all__ = [
    "ApplyChange",
    "Entity",
    "Feature",
    "FeatureService",
    "FeatureSkew",
    "FeatureView",
    "FeatureViewVersion",
    "Freshness",
    "MaterializeResult",
    "OnlineStore",
    "RedisOnlineStore",
    "SkewExample",
    "SkewReport",
    "SqliteOnlineStore",
    "TrainingSet",
    "apply_features",
    "get_online_features",
    "get_training_set",
    "load_definitions",
    "materialize_features",
    "open_online_store",
]
