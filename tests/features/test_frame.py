"""The fast DataFrame of online lookups equals what ``pd.DataFrame(columns)`` makes."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from driftloop.features._frame import to_frame

CASES = {
    "floats": [1.5, 2.0],
    "ints": [1, 2],
    "big ints": [1, 2**70],
    "bools": [True, False],
    "floats and None": [1.5, None],
    "ints and None": [3, None],
    "ints and floats": [3, 2.5],
    "bools and None": [True, None],
    "None only": [None, None],
    "text": ["JFK", "LGA"],
    "text and None": ["JFK", None],
    "mixed": ["a", 1],
    "dates": [datetime(2024, 1, 1, tzinfo=UTC), None],
    "decimals": [Decimal("1.5"), Decimal("2")],
    "numpy": [np.float32(1.5), np.int64(2)],
    "nan": [float("nan"), 1.0],
}


@pytest.mark.parametrize("name", list(CASES))
def test_each_kind_of_column_matches_pandas(name: str) -> None:
    columns = {"key": ["a", "b"], name: CASES[name]}
    pd.testing.assert_frame_equal(to_frame(columns), pd.DataFrame(columns))


def test_every_column_at_once_one_row_and_none_rows() -> None:
    every = {name: values for name, values in CASES.items()}
    pd.testing.assert_frame_equal(to_frame(every), pd.DataFrame(every))
    one = {name: values[:1] for name, values in CASES.items()}
    pd.testing.assert_frame_equal(to_frame(one), pd.DataFrame(one))
    empty: dict[str, list[object]] = {"key": [], "f": []}
    pd.testing.assert_frame_equal(to_frame(empty), pd.DataFrame(empty))


def test_frames_sharing_labels_stay_independent() -> None:
    first = to_frame({"key": ["a"], "f": [1.0]})
    second = to_frame({"key": ["b"], "f": [2.0]})
    first["g"] = 1
    first.loc[0, "f"] = 9.0
    assert list(second.columns) == ["key", "f"] and second["f"].tolist() == [2.0]
