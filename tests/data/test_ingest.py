"""Bad input: a clear error naming the file, and nothing registered."""

from __future__ import annotations

from pathlib import Path
from typing import Any

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


def _damaged_copy(tmp_path: Path, offset: int) -> Path:
    """A real Parquet file whose bytes at ``offset`` (a page header) were overwritten."""
    good = tmp_path / "good.parquet"
    pq.write_table(pa.table({"x": list(range(50_000)), "y": [0.5] * 50_000}), good)
    data = bytearray(good.read_bytes())
    data[offset : offset + 64] = bytes(range(64))
    bad = tmp_path / "damaged.parquet"
    bad.write_bytes(bytes(data))
    return bad


@pytest.mark.parametrize("profile", [True, False])
def test_parquet_with_damaged_pages_is_refused_even_without_a_profile(
    workspace: dl.Workspace, tmp_path: Path, profile: bool
) -> None:
    bad = _damaged_copy(tmp_path, 4)
    assert pq.read_metadata(bad).num_rows == 50_000  # the footer alone looks fine
    with pytest.raises(InvalidInputError, match=r"damaged\.parquet: not a readable Parquet file"):
        dl.log_dataset("bad", bad, profile=profile)
    _nothing_registered("bad")


def test_truncated_parquet_is_refused(workspace: dl.Workspace, tmp_path: Path) -> None:
    good = tmp_path / "good.parquet"
    pq.write_table(pa.table({"x": list(range(10_000))}), good)
    data = good.read_bytes()
    cut = tmp_path / "cut.parquet"
    cut.write_bytes(data[:200] + data[-(pq.read_metadata(good).serialized_size + 8) :])
    with pytest.raises(InvalidInputError, match=r"cut\.parquet: not a readable Parquet file"):
        dl.log_dataset("cut", cut, profile=False)
    _nothing_registered("cut")


@pytest.mark.parametrize("names", [["a", "a"], ["a", "A"]])
def test_parquet_with_duplicate_column_names_is_refused(
    workspace: dl.Workspace, tmp_path: Path, names: list[str]
) -> None:
    path = tmp_path / "dup.parquet"
    table = pa.table([pa.array([1, 2]), pa.array([3, 4])], names=names)
    pq.write_table(table, path)
    with pytest.raises(InvalidInputError, match=r"dup\.parquet: duplicate column names 'a'"):
        dl.log_dataset("bad", path, profile=False)
    with pytest.raises(InvalidInputError, match="duplicate column names"):
        dl.log_dataset("bad", table)
    _nothing_registered("bad")


def test_csv_with_a_duplicate_header_is_refused(workspace: dl.Workspace, tmp_path: Path) -> None:
    path = tmp_path / "dup.csv"
    path.write_text("a,a,b\n1,2,3\n")
    with pytest.raises(InvalidInputError, match=r"dup\.csv: duplicate column names 'a' and 'a'"):
        dl.log_dataset("bad", path)
    _nothing_registered("bad")


@pytest.mark.parametrize("delimiter", [";", "\t", "|"])
def test_csv_delimiter_is_sniffed(workspace: dl.Workspace, tmp_path: Path, delimiter: str) -> None:
    path = tmp_path / "data.csv"
    rows = [["a", "b", "c"], *([str(i), f"{i}.5", f"x{i}"] for i in range(30))]
    path.write_text("".join(delimiter.join(r) + "\n" for r in rows))
    version = dl.log_dataset("d", path)
    assert list(version.schema) == ["a", "b", "c"]
    frame = dl.get_dataset(version.ref).to_pandas()
    assert frame["a"].tolist() == list(range(30)) and frame["c"].iloc[2] == "x2"


def test_csv_that_reads_as_one_joined_column_is_refused_with_a_hint(
    workspace: dl.Workspace, tmp_path: Path
) -> None:
    path = tmp_path / "odd.csv"
    # Rows disagree on the ';' count, so no delimiter is sniffed: refused, not misread.
    path.write_text("a;b;c\n1;2;3\n4;5\n")
    with pytest.raises(InvalidInputError, match=r"odd\.csv: read as one column named 'a;b;c'.*"):
        dl.log_dataset("d", path)
    with pytest.raises(InvalidInputError, match="--delimiter"):
        dl.log_dataset("d", path)
    _nothing_registered("d")


def test_csv_explicit_delimiter(workspace: dl.Workspace, tmp_path: Path) -> None:
    path = tmp_path / "semi.csv"
    path.write_text("a;b\n1,5;2\n3,5;4\n")  # decimal commas: a sniffer could pick ','
    version = dl.log_dataset("d", path, delimiter=";")
    assert list(version.schema) == ["a", "b"]
    assert dl.get_dataset(version.ref).to_pandas()["a"].tolist() == ["1,5", "3,5"]
    with pytest.raises(InvalidInputError, match="delimiter ';;' is not valid"):
        dl.log_dataset("d", path, delimiter=";;")
    with pytest.raises(InvalidInputError, match="applies to CSV files only"):
        dl.log_dataset("d", pd.DataFrame({"a": [1]}), delimiter=";")


def _rewritten(tmp_path: Path, table: pa.Table, damage: Any, **write: Any) -> Path:
    """``table`` as Parquet, then ``damage(data, meta)`` applied to its bytes; footer kept."""
    good = tmp_path / "good.parquet"
    pq.write_table(table, good, **write)
    data = bytearray(good.read_bytes())
    damage(data, pq.read_metadata(good))
    bad = tmp_path / "deep.parquet"
    bad.write_bytes(bytes(data))
    assert pq.read_metadata(bad).num_rows == table.num_rows  # the footer alone looks fine
    return bad


def test_parquet_damaged_past_its_first_pages_is_refused_naming_the_column(
    workspace: dl.Workspace, tmp_path: Path
) -> None:
    table = pa.table({"x": list(range(40_000)), "s": [f"v{i % 7}" for i in range(40_000)]})

    def damage(data: bytearray, meta: pq.FileMetaData) -> None:
        chunk = meta.row_group(3).column(0)  # the header of a page of the 4th row group
        data[chunk.data_page_offset : chunk.data_page_offset + 32] = bytes(range(32))

    bad = _rewritten(tmp_path, table, damage, row_group_size=10_000)
    with pytest.raises(Exception):  # noqa: B017 - any reader error: it cannot be read back
        pq.read_table(bad)
    with pytest.raises(
        InvalidInputError,
        match=r"deep\.parquet: not a readable Parquet file \(column 'x' of row group 3 "
        r"does not decode: .*write the file again",
    ):
        dl.log_dataset("deep", bad, profile=False)
    _nothing_registered("deep")


def test_parquet_page_checksums_are_verified(workspace: dl.Workspace, tmp_path: Path) -> None:
    # Uncompressed PLAIN doubles: a flipped byte decodes to another number, so only the
    # page's CRC (written by the writer) can tell.
    table = pa.table({"x": [float(i) for i in range(20_000)]})

    def damage(data: bytearray, meta: pq.FileMetaData) -> None:
        chunk = meta.row_group(1).column(0)
        data[chunk.data_page_offset + chunk.total_compressed_size - 100] ^= 0x01

    options = {"compression": "none", "use_dictionary": False, "row_group_size": 10_000}
    bad = _rewritten(tmp_path, table, damage, write_page_checksum=True, **options)
    assert pq.read_table(bad).num_rows == 20_000  # read without the check: wrong values
    with pytest.raises(InvalidInputError, match=r"deep\.parquet: .*CRC checksum"):
        dl.log_dataset("crc", bad)
    _nothing_registered("crc")


def test_parquet_of_every_common_type_logs_and_reads_back(
    workspace: dl.Workspace, tmp_path: Path
) -> None:
    n = 5_000
    table = pa.table(
        {
            "i": pa.array(range(n), pa.int32()),
            "f": pa.array([i / 3 if i % 5 else None for i in range(n)]),
            "s": pa.array([f"t{i % 11}" for i in range(n)], pa.large_string()),
            "b": pa.array([bytes([i % 256]) for i in range(n)]),
            "c": pa.array([f"k{i % 3}" for i in range(n)]).dictionary_encode(),
            "l": pa.array([[i, i + 1] for i in range(n)]),
            "st": pa.array([{"a": i, "b": str(i)} for i in range(n)]),
            "m": pa.array([[("k", i)] for i in range(n)], pa.map_(pa.string(), pa.int64())),
            "t": pa.array(range(n), pa.timestamp("ms", tz="UTC")),
        }
    )
    path = tmp_path / "types.parquet"
    pq.write_table(table, path, row_group_size=1_000, write_page_checksum=True)
    version = dl.log_dataset("types", path, profile=False)
    assert version.num_rows == n
    assert dl.get_dataset(version.ref).to_arrow().equals(pq.read_table(path))


def _latin1_csv(tmp_path: Path) -> Path:
    path = tmp_path / "cities.csv"
    rows = "".join(f"José {i};Zürich;{i}.5\n" for i in range(40))
    path.write_bytes(("name;city;amount\n" + rows).encode("cp1252"))
    return path


def test_csv_not_in_utf8_says_so_and_how_to_give_its_encoding(
    workspace: dl.Workspace, tmp_path: Path
) -> None:
    path = _latin1_csv(tmp_path)
    with pytest.raises(
        InvalidInputError,
        match=r"cities\.csv: the file is not UTF-8 text \(bytes e9 on line 2, byte offset 20\); "
        r"give its encoding: log_dataset\(\.\.\., encoding='cp1252'\) or "
        r"`driftloop data log --encoding cp1252`",
    ):
        dl.log_dataset("cities", path)
    _nothing_registered("cities")


def test_csv_encoding_is_read_as_given(workspace: dl.Workspace, tmp_path: Path) -> None:
    path = _latin1_csv(tmp_path)
    version = dl.log_dataset("cities", path, encoding="cp1252")
    frame = dl.get_dataset(version.ref).to_pandas()
    assert list(version.schema) == ["name", "city", "amount"] and len(frame) == 40
    assert frame["name"].iloc[3] == "José 3" and set(frame["city"]) == {"Zürich"}
    utf16 = tmp_path / "wide.tsv"
    utf16.write_text("a\tb\n1\tü\n2\tß\n", encoding="utf-16")
    wide = dl.log_dataset("wide", utf16, encoding="UTF16")  # any Python codec name
    assert dl.get_dataset(wide.ref).to_pandas()["b"].tolist() == ["ü", "ß"]


def test_bad_encodings_are_refused_clearly(workspace: dl.Workspace, tmp_path: Path) -> None:
    path = _latin1_csv(tmp_path)
    with pytest.raises(InvalidInputError, match=r"encoding 'latin-9000' is not a known .*cp1252"):
        dl.log_dataset("cities", path, encoding="latin-9000")
    with pytest.raises(
        InvalidInputError,
        match=r"cities\.csv: cannot be read as ascii text \(bytes e9 at byte offset 20 are not "
        r"ascii\); check the file's encoding",
    ):
        dl.log_dataset("cities", path, encoding="ascii")
    with pytest.raises(InvalidInputError, match=r"encoding='cp1252' applies to CSV files only"):
        dl.log_dataset("cities", pd.DataFrame({"a": [1]}), encoding="cp1252")
    parquet = tmp_path / "p.parquet"
    pq.write_table(pa.table({"a": [1]}), parquet)
    with pytest.raises(InvalidInputError, match=r"encoding='cp1252' applies to CSV files only"):
        dl.log_dataset("cities", parquet, encoding="cp1252")
    _nothing_registered("cities")


def test_csv_encoding_option_of_the_cli(workspace: dl.Workspace, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from driftloop.cli import app

    path = _latin1_csv(tmp_path)
    refused = CliRunner().invoke(app, ["data", "log", "cities", str(path)])
    assert refused.exit_code == 1 and "--encoding cp1252" in str(refused.exception)
    logged = CliRunner().invoke(
        app, ["data", "log", "cities", str(path), "--encoding", "latin-1", "--json"]
    )
    assert logged.exit_code == 0, logged.output
    assert dl.get_dataset("cities@1").to_pandas()["city"].iloc[0] == "Zürich"
