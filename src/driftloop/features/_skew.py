"""Training/serving skew: online values against offline point-in-time values, per feature."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from driftloop._duckdb import cursor_of, translate_errors
from driftloop._duckdb import quote_identifier as quote
from driftloop.features._models import FeatureViewVersion
from driftloop.features._offline import register_source

if TYPE_CHECKING:
    from driftloop.features._service import FeatureService

_EVENT = "__dl_event_time"


@dataclass(frozen=True, slots=True)
class SkewExample:
    """One entity whose online value differs from its offline point-in-time value."""

    keys: dict[str, Any]
    offline: Any
    online: Any


@dataclass(frozen=True, slots=True)
class FeatureSkew:
    compared: int
    mismatches: int
    examples: tuple[SkewExample, ...]  # at most three


@dataclass(frozen=True, slots=True)
class SkewReport:
    """Online against offline values of a view's features for a sample of its entities."""

    view: str
    at: datetime
    entities: int
    features: dict[str, FeatureSkew]

    @property
    def has_skew(self) -> bool:
        return any(f.mismatches for f in self.features.values())


def _sample_keys(
    service: FeatureService, version: FeatureViewVersion, sample: int, seed: int
) -> Any:
    with cursor_of(service.duck) as con:
        relation = register_source(con, version.view, service.resolve)
        keys = ", ".join(quote(k) for k in version.view.join_keys)
        # Hashing with a seed gives a repeatable sample without a global random state.
        with translate_errors(f"sampling the keys of feature view {version.ref}"):
            return con.sql(
                f"SELECT {keys} FROM (SELECT DISTINCT {keys} FROM {relation}) "
                f"ORDER BY hash({keys}, $seed) LIMIT $sample",
                params={"seed": int(seed), "sample": int(sample)},
            ).to_arrow_table()


def _same(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, float) or isinstance(b, float):
        try:
            return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)
        except (TypeError, ValueError):
            return False
    return bool(a == b) or str(a) == str(b)


def check_skew(
    service: FeatureService, version: FeatureViewVersion, at: datetime, sample: int, seed: int
) -> SkewReport:
    """Mismatches per feature for up to ``sample`` entities of ``version``'s view at time ``at``."""
    import pyarrow as pa

    keys = _sample_keys(service, version, sample, seed)
    entity = keys.append_column(
        _EVENT, pa.array([at] * keys.num_rows, pa.timestamp("us", tz="UTC"))
    )
    features = [f"{version.name}:{f}" for f in version.view.feature_names]
    offline = service.get_training_set(entity, features, event_timestamp=_EVENT).table.to_pydict()
    online = service.read_online(features, keys.to_pydict(), at=at)
    report: dict[str, FeatureSkew] = {}
    for feature in version.view.feature_names:
        pairs = list(zip(offline[feature], online[feature], strict=True))
        bad = [i for i, (a, b) in enumerate(pairs) if not _same(a, b)]
        examples = tuple(
            SkewExample({k: offline[k][i] for k in version.view.join_keys}, *pairs[i])
            for i in bad[:3]
        )
        report[feature] = FeatureSkew(len(pairs), len(bad), examples)
    return SkewReport(version.ref, at, keys.num_rows, report)
