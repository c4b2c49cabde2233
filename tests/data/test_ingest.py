"""Bad input: a clear error naming the file, and nothing registered."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import driftloop as dl
from driftloop.errors import DataQualityWarning, InvalidInputError, NotFoundError


def _nothing_registered(name: str) -> None:
    with pytest.raises(NotFoundError):
        dl.get_dataset(name)


def test_corrupt_parquet_names_the_file(sqlite_workspace: dl.Workspace, tmp_path: Path) -> None:
    bad = tmp_path / "broken.parquet"
    bad.write_bytes(b"PAR1 this is not parquet at all")
    with pytest.raises(InvalidInputError, match=r"broken\.parquet: not a readable Parquet file"):
        dl.log_dataset("x", bad)
    _nothing_registered("x")


def test_empty_file_is_refused(sqlite_workspace: dl.Workspace, tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(InvalidInputError, match=r"empty\.csv: the file is empty"):
        dl.log_dataset("x", empty)
    _nothing_registered("x")


def test_csv_column_mixing_numbers_and_text_is_refused(
    sqlite_workspace: dl.Workspace, tmp_path: Path
) -> None:
    mixed = tmp_path / "mixed.csv"
    mixed.write_text("a,b\n" + "".join(f"{i},x\n" for i in range(50)) + "oops,x\n")
    with pytest.raises(InvalidInputError, match=r"mixed\.csv: column 'a' mixes numbers.*'oops'"):
        dl.log_dataset("x", mixed)
    _nothing_registered("x")


def test_dataframe_that_cannot_be_parquet_is_refused(sqlite_workspace: dl.Workspace) -> None:
    frame = pd.DataFrame({"a": [1, "two", 3.0]}, dtype=object)
    with pytest.raises(InvalidInputError, match="cannot be converted to Arrow/Parquet"):
        dl.log_dataset("x", frame)
    _nothing_registered("x")


def test_files_with_different_schemas_are_refused(
    sqlite_workspace: dl.Workspace, tmp_path: Path
) -> None:
    pq.write_table(pa.table({"a": [1]}), tmp_path / "p0.parquet")
    pq.write_table(pa.table({"a": ["x"]}), tmp_path / "p1.parquet")
    with pytest.raises(InvalidInputError, match=r"p1\.parquet: its schema differs"):
        dl.log_dataset("x", tmp_path)


def test_missing_path_unsupported_object_and_bad_name(
    sqlite_workspace: dl.Workspace, tmp_path: Path
) -> None:
    with pytest.raises(InvalidInputError, match="no such file or folder"):
        dl.log_dataset("x", tmp_path / "nope.parquet")
    with pytest.raises(InvalidInputError, match="no Parquet or CSV files"):
        dl.log_dataset("x", str(tmp_path / "*.parquet"))
    with pytest.raises(InvalidInputError, match="cannot log a dict"):
        dl.log_dataset("x", {"a": [1]})
    with pytest.raises(InvalidInputError, match="dataset name 'a@b'"):
        dl.log_dataset("a@b", pd.DataFrame({"a": [1]}))


def test_frame_without_columns_is_refused(sqlite_workspace: dl.Workspace) -> None:
    with pytest.raises(InvalidInputError, match="has no columns"):
        dl.log_dataset("x", pd.DataFrame())
    _nothing_registered("x")


def test_ragged_csv_and_duplicate_columns_are_refused(
    sqlite_workspace: dl.Workspace, tmp_path: Path
) -> None:
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("a,b\n1,2\n3\n4,5,6\n")
    with pytest.raises(InvalidInputError, match=r"ragged\.csv: cannot read it as CSV"):
        dl.log_dataset("x", ragged)
    with pytest.raises(InvalidInputError, match="Duplicate column names"):
        dl.log_dataset("x", pd.DataFrame([[1, 2]], columns=["a", "a"]))
    _nothing_registered("x")


def test_header_only_csv_is_logged_with_a_warning(
    sqlite_workspace: dl.Workspace, tmp_path: Path
) -> None:
    header = tmp_path / "header.csv"
    header.write_text("a,b\n")
    with pytest.warns(DataQualityWarning, match="no rows"):
        version = dl.log_dataset("x", header)
    assert version.num_rows == 0 and list(version.schema) == ["a", "b"]
