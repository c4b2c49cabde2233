from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from driftloop.artifacts import FsspecBlobStore, hash_bytes, open_blob_store
from driftloop.errors import IntegrityError, InvalidInputError, NotFoundError


@pytest.fixture
def blobs(tmp_path: Path) -> FsspecBlobStore:
    return open_blob_store((tmp_path / "artifacts").as_uri())


def _blob_files(root: Path) -> list[Path]:
    return sorted(p for p in (root / "blobs").rglob("*") if p.is_file())


def test_same_bytes_are_stored_once_under_their_hash(
    blobs: FsspecBlobStore, tmp_path: Path
) -> None:
    a = tmp_path / "a.bin"
    b = tmp_path / "b.bin"
    a.write_bytes(b"x" * 1000)
    b.write_bytes(b"x" * 1000)
    first, second = blobs.put_file(a), blobs.put_file(b)
    third = blobs.put_stream(io.BytesIO(b"x" * 1000))
    assert first == second == third
    assert first.digest == hash_bytes(b"x" * 1000)
    assert len(_blob_files(tmp_path / "artifacts")) == 1


def test_stream_in_chunks_round_trips_large_data(blobs: FsspecBlobStore, tmp_path: Path) -> None:
    data = os.urandom(9 * 1024 * 1024 + 17)  # more than two chunks
    blob = blobs.put_stream(io.BytesIO(data))
    assert blob.size == len(data)
    chunks = list(blobs.iter_chunks(blob.digest))
    assert len(chunks) >= 3
    assert b"".join(chunks) == data
    out = blobs.get_file(blob.digest, tmp_path / "out" / "copy.bin")
    assert out.read_bytes() == data


def test_changed_blob_is_refused_with_its_digest_named(
    blobs: FsspecBlobStore, tmp_path: Path
) -> None:
    blob = blobs.put_bytes(b"model weights")
    [stored] = _blob_files(tmp_path / "artifacts")
    stored.write_bytes(b"model weightz")
    with pytest.raises(IntegrityError, match=blob.digest):
        blobs.verify(blob.digest)
    with pytest.raises(IntegrityError):
        blobs.read_bytes(blob.digest)
    with pytest.raises(IntegrityError):
        blobs.get_file(blob.digest, tmp_path / "dest.bin")
    assert not (tmp_path / "dest.bin").exists()  # nothing half-copied under the final name
    assert list(tmp_path.glob(".dest.bin*")) == []


def test_missing_blob_and_bad_digest_say_what_is_wrong(blobs: FsspecBlobStore) -> None:
    with pytest.raises(NotFoundError, match="not in the artifact store"):
        blobs.read_bytes(hash_bytes(b"never stored"))
    with pytest.raises(InvalidInputError, match="64 hex digits"):
        blobs.exists("md5:abc")


def test_no_temporary_file_is_left_after_writes(blobs: FsspecBlobStore, tmp_path: Path) -> None:
    blobs.put_bytes(b"one")
    blobs.put_bytes(b"one")
    blobs.put_file(_write(tmp_path / "f", b"two"))
    assert list((tmp_path / "artifacts" / "tmp").glob("*")) == []


def test_unknown_scheme_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="file:// or s3://"):
        open_blob_store("ftp://host/path")


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path
