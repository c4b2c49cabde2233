"""Logging, deduplication, reading and run lineage, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import driftloop as dl
from driftloop.errors import ConflictError, InvalidInputError, NotFoundError
from driftloop.store._data_rows import DatasetVersionRow


def _blob_count(ws: dl.Workspace) -> int:
    return sum(1 for p in (ws.root / ".driftloop").rglob("blobs/*/*") if p.is_file())


def test_log_dataset_records_metadata_and_reads_back(
    workspace: dl.Workspace, frame: pd.DataFrame
) -> None:
    version = dl.log_dataset("flights", frame, description="first months")
    assert version.ref == "flights@1" and version.version == 1 and version.parent_version is None
    assert version.num_rows == len(frame) and version.num_bytes > 0
    assert version.schema["distance"] == "double" and version.schema["id"] == "int64"
    assert version.digest.startswith("blake3:") and version.run_id is None
    ds = dl.get_dataset("flights@1")
    pd.testing.assert_frame_equal(ds.to_pandas(), frame)
    assert ds.to_polars().shape == frame.shape and ds.to_arrow().num_rows == len(frame)
    assert (
        ds.sql("select count(*) from data where origin = 'JFK'").fetchall()[0][0]
        == (frame["origin"] == "JFK").sum()
    )
    assert all(p.exists() for p in ds.parquet_paths)
    assert ds.relation().aggregate("max(id)").fetchall()[0][0] == len(frame) - 1


def test_same_content_returns_existing_version_and_stores_nothing(
    workspace: dl.Workspace, frame: pd.DataFrame
) -> None:
    first = dl.log_dataset("flights", frame)
    blobs = _blob_count(workspace)
    again = dl.log_dataset("flights", frame)
    assert again == first and _blob_count(workspace) == blobs
    second = dl.log_dataset("flights", frame.head(100))
    assert second.version == 2 and second.parent_version == 1
    assert [v.version for v in workspace.datasets.versions("flights")] == [1, 2]
    assert dl.get_dataset("flights").version == second == dl.get_dataset("flights@latest").version


def test_inputs_polars_arrow_parquet_folder_glob_and_csv(
    workspace: dl.Workspace, frame: pd.DataFrame, tmp_path: Path
) -> None:
    table = pa.Table.from_pandas(frame, preserve_index=False)
    assert dl.log_dataset("a", pl.from_pandas(frame)).num_rows == len(frame)
    assert dl.log_dataset("b", table).num_rows == len(frame)
    folder = tmp_path / "parts"
    folder.mkdir()
    pq.write_table(table.slice(0, 150), folder / "p0.parquet")
    pq.write_table(table.slice(150), folder / "p1.parquet")
    from_folder = dl.log_dataset("c", folder)
    assert from_folder.num_rows == len(frame) and from_folder.source == str(folder)
    assert dl.log_dataset("c", str(folder / "*.parquet")) == from_folder  # same files, same version
    assert len(dl.get_dataset("c@1").parquet_paths) == 2
    csv = tmp_path / "f.csv"
    frame.to_csv(csv, index=False)
    from_csv = dl.log_dataset("d", csv)
    assert from_csv.num_rows == len(frame) and from_csv.schema["id"] == "int64"
    assert dl.get_dataset("d").to_pandas()["origin"].tolist() == frame["origin"].tolist()


def test_run_links_logged_and_existing_versions_as_inputs(
    workspace: dl.Workspace, frame: pd.DataFrame
) -> None:
    old = dl.log_dataset("flights", frame)
    with dl.start_run(experiment="e") as run:
        new = dl.log_dataset("flights", frame.head(50))
        dl.log_input(old)
        dl.log_input("flights@1", role="reference")  # same ref again: kept once
    assert new.run_id == run.id and old.run_id is None
    inputs = {(i.kind, i.ref) for i in dl.get_run(run.id).inputs}
    assert inputs == {("dataset", "flights@1"), ("dataset", "flights@2")}
    with pytest.raises(ConflictError):
        dl.log_input(old)


def test_unknown_references_say_what_exists(workspace: dl.Workspace, frame: pd.DataFrame) -> None:
    dl.log_dataset("flights", frame)
    with pytest.raises(NotFoundError, match=r"no version 7.*latest is 1"):
        dl.get_dataset("flights@7")
    with pytest.raises(NotFoundError, match="no dataset 'nope'"):
        dl.get_dataset("nope")
    with pytest.raises(NotFoundError, match=r"no alias 'x'.*only the alias 'latest'"):
        dl.get_dataset("flights@x")
    for bad in ("flights@", "@1", "flights@0", "flights@-1", "flights@1@2", ""):
        with pytest.raises(InvalidInputError, match=r"NAME@VERSION"):
            dl.get_dataset(bad)
    assert dl.get_dataset("flights@latest").version.ref == "flights@1"


def test_parquet_paths_refuse_changed_blob(
    sqlite_workspace: dl.Workspace, frame: pd.DataFrame
) -> None:
    version = dl.log_dataset("flights", frame)
    path = sqlite_workspace.blobs.local_path(version.digest)
    assert path is not None
    path.chmod(0o644)
    path.write_bytes(path.read_bytes()[:-10] + b"0123456789")
    with pytest.raises(dl.IntegrityError):
        _ = dl.get_dataset("flights@1").parquet_paths


def test_failed_profile_leaves_no_version_row(
    sqlite_workspace: dl.Workspace, tmp_path: Path
) -> None:
    good = tmp_path / "good.parquet"
    pq.write_table(pa.table({"x": list(range(1000))}), good, compression="none")
    raw = bytearray(good.read_bytes())
    raw[4:64] = b"\xff" * 60  # corrupt the first page header, footer intact
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(bytes(raw))
    with pytest.raises(InvalidInputError, match=r"bad\.parquet"):
        dl.log_dataset("broken", bad)
    with sqlite_workspace.store.read() as session:
        assert session.query(DatasetVersionRow).count() == 0
    with pytest.raises(NotFoundError):
        dl.get_dataset("broken")


def test_skipped_profile_is_computed_on_first_use_and_kept(
    workspace: dl.Workspace, frame: pd.DataFrame
) -> None:
    version = dl.log_dataset("flights", frame, profile=False)
    with workspace.store.read() as session:
        assert session.query(DatasetVersionRow).one().profile is None
    profile = workspace.datasets.profile(version)
    assert profile["num_rows"] == len(frame) and profile["columns"]["id"]["max"] == len(frame) - 1
    with workspace.store.read() as session:
        assert session.query(DatasetVersionRow).one().profile == profile


def test_concurrent_logs_get_distinct_versions(
    workspace: dl.Workspace, frame: pd.DataFrame
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    parts = [frame.iloc[i * 50 : (i + 1) * 50] for i in range(4)]
    with ThreadPoolExecutor(4) as pool:
        versions = list(pool.map(lambda part: workspace.datasets.log("flights", part), parts))
    assert sorted(v.version for v in versions) == [1, 2, 3, 4]
    assert len({v.digest for v in versions}) == 4


def test_remote_blob_store_reads_through_a_verified_cache(
    tmp_path: Path, frame: pd.DataFrame
) -> None:
    # memory:// stands in for S3: the store has no local files, so reads go through the cache.
    dl.init_workspace(tmp_path / "remote").close()
    ws = dl.Workspace(tmp_path / "remote", artifact_url="memory://dl-test")
    try:
        version = ws.datasets.log("flights", frame)
        assert ws.blobs.local_path(version.digest) is None
        ds = ws.datasets.get(version.ref)
        (path,) = ds.parquet_paths
        assert path.is_relative_to(ws.settings.state_dir / "cache")
        assert ds.sql("select count(*) from data").fetchall()[0][0] == len(frame)
    finally:
        ws.close()
