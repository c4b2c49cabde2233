"""The BlobStore contract, run over every scheme: ``file://`` (tmp_path) and ``memory://``.

The layout ``<url>/blobs/<2 hex>/<hex>`` and ``<url>/tmp/`` is the one the store
documents; the tests reach the bytes through fsspec only to corrupt them or to see
what is left behind, never to read a blob.
"""

from __future__ import annotations

import io
import os
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import fsspec
import pytest

from driftloop.artifacts import (
    BlobStore,
    DeletableBlobStore,
    hash_bytes,
    open_blob_store,
)
from driftloop.errors import IntegrityError, InvalidInputError, NotFoundError

SCHEMES = ["file", "memory"]


class Store:
    """A store under test plus the filesystem beneath it (to corrupt and inspect)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.blobs: BlobStore = open_blob_store(url)
        self.fs: Any
        self.fs, self.root = fsspec.core.url_to_fs(url)

    def path(self, digest: str) -> str:
        hex_ = digest.split(":", 1)[1]
        return f"{self.root}/blobs/{hex_[:2]}/{hex_}"

    def files(self, folder: str) -> list[str]:
        where = f"{self.root}/{folder}"
        return sorted(self.fs.find(where)) if self.fs.exists(where) else []

    def corrupt(self, digest: str, data: bytes) -> None:
        path = self.path(digest)
        if self.url.startswith("file:"):
            os.chmod(path, 0o644)  # blobs may be stored read-only
        self.fs.pipe_file(path, data)


@pytest.fixture(params=SCHEMES)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "file":
        yield Store((tmp_path / "artifacts").as_uri())
        return
    # The memory filesystem is one per process: each test gets its own root.
    url = f"memory://driftloop-test-{uuid.uuid4().hex}"
    under_test = Store(url)
    yield under_test
    if under_test.fs.exists(under_test.root):
        under_test.fs.rm(under_test.root, recursive=True)


def test_blobs_are_named_by_the_hash_of_their_bytes(store: Store, tmp_path: Path) -> None:
    data = b"content addressed"
    blob = store.blobs.put_bytes(data)
    assert blob.digest == hash_bytes(data)
    assert blob.size == len(data)
    assert store.blobs.exists(blob.digest)
    assert store.blobs.size(blob.digest) == len(data)
    assert store.files("blobs") == [store.path(blob.digest)]


def test_same_bytes_from_every_writer_are_stored_once(store: Store, tmp_path: Path) -> None:
    data = os.urandom(10_000)
    source = tmp_path / "data.bin"
    source.write_bytes(data)
    blobs = {
        store.blobs.put_bytes(data),
        store.blobs.put_stream(io.BytesIO(data)),
        store.blobs.put_file(source),
        store.blobs.put_bytes(data),
    }
    assert len(blobs) == 1
    assert store.files("blobs") == [store.path(hash_bytes(data))]
    assert store.files("tmp") == []


def test_reads_return_the_stored_bytes(store: Store, tmp_path: Path) -> None:
    data = os.urandom(9 * 1024 * 1024 + 17)  # more than two 4 MiB chunks
    digest = store.blobs.put_stream(io.BytesIO(data)).digest
    assert store.blobs.read_bytes(digest) == data
    chunks = list(store.blobs.iter_chunks(digest))
    assert len(chunks) >= 3 and b"".join(chunks) == data
    store.blobs.verify(digest)
    out = store.blobs.get_file(digest, tmp_path / "out" / "copy.bin")
    assert out == tmp_path / "out" / "copy.bin" and out.read_bytes() == data


def test_local_path_is_the_blob_on_a_local_disk_and_none_elsewhere(store: Store) -> None:
    digest = store.blobs.put_bytes(b"zero copy").digest
    local = store.blobs.local_path(digest)
    if store.url.startswith("file:"):
        assert local is not None and local.read_bytes() == b"zero copy"
    else:
        assert local is None


def test_a_corrupted_blob_is_refused_by_every_read(store: Store, tmp_path: Path) -> None:
    digest = store.blobs.put_bytes(b"model weights").digest
    store.corrupt(digest, b"model weightz")
    with pytest.raises(IntegrityError, match=digest):
        store.blobs.verify(digest)
    with pytest.raises(IntegrityError, match="was changed after it was stored"):
        store.blobs.read_bytes(digest)
    with pytest.raises(IntegrityError):
        list(store.blobs.iter_chunks(digest))
    destination = tmp_path / "dest.bin"
    with pytest.raises(IntegrityError):
        store.blobs.get_file(digest, destination)
    assert not destination.exists()  # nothing half-copied under the final name
    assert list(tmp_path.glob(".dest.bin*")) == []


def test_a_missing_digest_is_not_found_and_a_malformed_one_is_invalid(
    store: Store, tmp_path: Path
) -> None:
    missing = hash_bytes(b"never stored")
    assert not store.blobs.exists(missing)
    reads = [
        lambda: store.blobs.read_bytes(missing),
        lambda: list(store.blobs.iter_chunks(missing)),
        lambda: store.blobs.verify(missing),
        lambda: store.blobs.size(missing),
        lambda: store.blobs.get_file(missing, tmp_path / "x.bin"),
    ]
    for read in reads:
        with pytest.raises(NotFoundError, match=f"blob {missing} is not in the artifact store"):
            read()
    assert not (tmp_path / "x.bin").exists()
    with pytest.raises(InvalidInputError, match="is not a blob digest"):
        store.blobs.read_bytes("../../etc/passwd")


def test_concurrent_writers_of_the_same_content_all_succeed(store: Store) -> None:
    data = os.urandom(2 * 1024 * 1024)
    results: list[str] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def write() -> None:
        barrier.wait()
        try:
            results.append(store.blobs.put_bytes(data).digest)
        except BaseException as exc:  # collected, re-raised by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=write) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert results == [hash_bytes(data)] * 8
    assert store.blobs.read_bytes(results[0]) == data
    assert store.files("blobs") == [store.path(results[0])]
    assert store.files("tmp") == []


class _FailingStream(io.RawIOBase):
    """Yields one chunk, then fails as a dying network connection would."""

    def __init__(self) -> None:
        self.calls = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        self.calls += 1
        if self.calls > 1:
            raise ConnectionError("connection reset")
        return b"x" * 1024


def test_a_write_that_fails_midway_leaves_no_blob(store: Store) -> None:
    # The caller's own stream error reaches the caller unchanged, and nothing is published.
    with pytest.raises(ConnectionError, match="connection reset"):
        store.blobs.put_stream(_FailingStream())  # type: ignore[arg-type]
    assert store.files("blobs") == []
    assert store.files("tmp") == []
    assert not store.blobs.exists(hash_bytes(b"x" * 1024))


def test_a_temp_file_left_by_a_crash_is_never_seen_as_a_blob(store: Store) -> None:
    # What a SIGKILL between writing and renaming leaves behind.
    partial = b"half of a blob"
    store.fs.makedirs(f"{store.root}/tmp", exist_ok=True)
    store.fs.pipe_file(f"{store.root}/tmp/{uuid.uuid4().hex}", partial)
    digest = hash_bytes(partial)
    assert not store.blobs.exists(digest)
    with pytest.raises(NotFoundError):
        store.blobs.read_bytes(digest)
    # Writing the complete content afterwards publishes it normally.
    assert store.blobs.put_bytes(partial).digest == digest
    assert store.blobs.read_bytes(digest) == partial


def test_delete_removes_a_blob_and_is_idempotent(store: Store) -> None:
    assert isinstance(store.blobs, DeletableBlobStore)
    digest = store.blobs.put_bytes(b"garbage").digest
    store.blobs.delete(digest)
    assert not store.blobs.exists(digest)
    store.blobs.delete(digest)  # already gone: nothing to do
    with pytest.raises(NotFoundError):
        store.blobs.read_bytes(digest)
