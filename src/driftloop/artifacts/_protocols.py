"""The contract of a blob store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, Protocol

from driftloop.artifacts._models import Blob


class BlobStore(Protocol):
    """Content-addressed, immutable blobs.

    ``put_*`` returns the blob's digest; putting the same bytes twice stores them
    once. A blob is visible under its digest only once it is complete. Every read
    verifies the bytes against the digest and raises ``IntegrityError`` if they
    changed.
    """

    def put_stream(self, stream: BinaryIO) -> Blob: ...
    def put_file(self, path: Path) -> Blob: ...
    def exists(self, digest: str) -> bool: ...
    def iter_chunks(self, digest: str) -> Iterator[bytes]: ...
    def get_file(self, digest: str, destination: Path) -> Path: ...
    def delete(self, digest: str) -> None: ...
