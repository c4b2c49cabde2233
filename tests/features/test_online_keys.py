"""Online lookups normalize join keys to the stored key type, or refuse them clearly.

An integer key held as a float (``32.0``, what pandas makes of an int column with a NaN)
must find its entity on every online store, never return a silent null.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

import driftloop as dl
from driftloop.errors import InvalidInputError

REDIS_URL = os.environ.get("DRIFTLOOP_TEST_REDIS_URL")
T0 = datetime(2024, 1, 1, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "redis"])
def features(request: pytest.FixtureRequest, workspace: dl.Workspace) -> Iterator[dl.Workspace]:
    """The workspace's feature service on each online store, with ``flights`` materialized."""
    if request.param == "sqlite":
        ws = workspace
    else:
        if not REDIS_URL:
            pytest.skip("Redis run needs DRIFTLOOP_TEST_REDIS_URL (set by .ci/run)")
        ws = dl.Workspace(workspace.root, db_url=workspace.settings.db_url, online_url=REDIS_URL)
        ws.features.online.prefix = f"dltest{uuid.uuid4().hex[:8]}"  # type: ignore[attr-defined]
    # An int key column and, in `legacy`, the same keys as floats (an int column with a NaN).
    frame = pd.DataFrame({"carrier": ["AA", "B6"], "year": [1999, 2010], "seats": [100, 200]})
    frame["time"] = [T0.replace(tzinfo=None)] * 2
    ws.datasets.log("planes", frame)
    legacy = frame.assign(year=[1999.0, 2010.0]).iloc[[0, 1]]
    legacy = pd.concat([legacy, legacy.iloc[:1].assign(year=np.nan)])
    ws.datasets.log("legacy", legacy)
    entity = dl.Entity("plane", ["year"])
    views = [
        dl.FeatureView(
            name, [entity], source=name, timestamp="time", features=[dl.Feature("seats", "BIGINT")]
        )
        for name in ("planes", "legacy")
    ]
    ws.features.apply(views)
    ws.features.materialize(end=T0)
    yield ws
    for name in ("planes", "legacy"):
        ws.features.online.delete_view(name)
    if ws is not workspace:
        ws.close()


@pytest.fixture(params=["now", "as-of"])
def as_of(request: pytest.FixtureRequest) -> datetime | None:
    """Lookups from the online store (now) and as of a time (from the offline store)."""
    return None if request.param == "now" else T0


def _seats(ws: dl.Workspace, view: str, rows: object, as_of: datetime | None) -> list[object]:
    return ws.features.get_online_features([f"{view}:seats"], rows, as_of=as_of)["seats"]


def test_float_keys_with_whole_values_find_integer_keyed_entities(features, as_of) -> None:
    assert _seats(features, "planes", [{"year": 2010}, {"year": 1999}], as_of) == [200, 100]
    assert _seats(features, "planes", [{"year": 2010.0}, {"year": np.float64(1999.0)}], as_of) == [
        200,
        100,
    ]
    # What pandas makes of an int column that had a NaN: float64.
    frame = pd.DataFrame({"year": [2010.0, 1999.0, 7.0]})
    assert _seats(features, "planes", frame, as_of) == [200, 100, None]


def test_keys_written_from_a_float_column_are_found_by_ints_and_floats(features, as_of) -> None:
    assert _seats(features, "legacy", [{"year": 2010}, {"year": 1999.0}], as_of) == [200, 100]
    # The skew check samples the source's keys (a missing one too) and looks them up.
    assert features.features.check_skew("legacy").features["seats"].mismatches == 0


def test_nan_and_fractional_keys_are_refused_with_the_offending_value(features, as_of) -> None:
    with pytest.raises(InvalidInputError, match=r"row 1 has join key 'year' = nan.*dropna"):
        _seats(features, "planes", pd.DataFrame({"year": [2010.0, np.nan]}), as_of)
    with pytest.raises(InvalidInputError, match=r"'year' = 32.5 .*BIGINT.*whole numbers"):
        _seats(features, "planes", [{"year": 32.5}], as_of)
    # A float-keyed view accepts fractions: they simply match nothing; so does a None key
    # (the source's row with a missing key is not materialized, as no offline join uses it).
    assert _seats(features, "legacy", [{"year": 32.5}, {"year": None}], as_of) == [None, None]
