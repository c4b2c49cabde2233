"""`DatasetService.profile` returns a `Profile` record over the stored JSON (shape kept)."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from sqlalchemy import select

import driftloop as dl
from driftloop._serialization import dumps
from driftloop.data import ColumnProfile, Profile
from driftloop.store._data_rows import DatasetVersionRow


def test_profile_is_a_typed_record_over_the_stored_json(
    workspace: dl.Workspace, frame: pd.DataFrame
) -> None:
    version = dl.log_dataset("flights", frame)
    profile = workspace.datasets.profile(version)
    assert isinstance(profile, Profile)
    assert profile.num_rows == len(frame) and profile.num_columns == len(frame.columns)
    assert profile.column_names == list(frame.columns)
    delay = profile.column("delay")
    assert isinstance(delay, ColumnProfile) and delay.kind == "numeric"
    assert delay.null_fraction == pytest.approx(0.1)
    assert delay.minimum is not None and delay.maximum is not None and delay.mean is not None
    assert profile.column("origin").distinct == 3
    with pytest.raises(dl.NotFoundError, match=r"no column 'nope'; it has id, distance"):
        profile.column("nope")
    # The stored shape is unchanged, and the record reads as that JSON.
    with workspace.store.read() as session:
        stored = session.scalars(select(DatasetVersionRow.profile)).one()
    assert dict(profile) == stored and profile["columns"]["delay"] == stored["columns"]["delay"]
    assert json.loads(dumps(profile))["num_rows"] == len(frame)


def test_a_profile_stored_by_older_code_reads() -> None:
    profile = Profile({"num_rows": 2, "columns": {"x": {"kind": "numeric", "min": 1, "max": 2}}})
    assert profile.num_columns == 1 and profile.column("x").maximum == 2
    assert profile.column("x").type == "" and profile.null_fraction == 0.0
