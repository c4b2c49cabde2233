"""An artifact root that is gone or unusable: driftloop errors, never a raw OSError."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from driftloop.artifacts import FsspecBlobStore
from driftloop.errors import BackendUnavailableError, NotFoundError


def test_an_unusable_artifact_root_is_backend_unavailable(tmp_path: Path) -> None:
    root = tmp_path / "artifacts"
    blobs = FsspecBlobStore(root.as_uri())
    stored = blobs.put_bytes(b"kept")
    shutil.rmtree(root)
    root.write_text("a file where the artifact folder was")
    with pytest.raises(BackendUnavailableError, match="DRIFTLOOP_ARTIFACT_URL") as err:
        blobs.put_bytes(b"new bytes")
    assert str(root) in str(err.value) and isinstance(err.value.__cause__, OSError)
    with pytest.raises(BackendUnavailableError):
        (tmp_path / "f.txt").write_text("x")
        blobs.put_file(tmp_path / "f.txt")
    with pytest.raises((BackendUnavailableError, NotFoundError)):
        blobs.read_bytes(stored.digest)


def test_a_removed_blob_is_not_found(tmp_path: Path) -> None:
    root = tmp_path / "artifacts"
    blobs = FsspecBlobStore(root.as_uri())
    stored = blobs.put_bytes(b"soon gone")
    shutil.rmtree(root)
    with pytest.raises(NotFoundError, match=stored.digest):
        blobs.read_bytes(stored.digest)
    with pytest.raises(NotFoundError, match=stored.digest):
        blobs.get_file(stored.digest, tmp_path / "out" / "f")
    assert blobs.put_bytes(b"again").size == 5  # a removed root is made again on write
