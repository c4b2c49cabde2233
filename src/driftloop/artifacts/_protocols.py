"""The contract of a blob store.

Services are written against :class:`BlobStore`; ``FsspecBlobStore`` (``file://``,
``memory://``, ``s3://``) is the one implementation today, and
``tests/contract/test_blob_store.py`` runs the same tests over every scheme.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, Protocol, runtime_checkable

from driftloop.artifacts._models import Blob


class BlobWriter(Protocol):
    """Writes content-addressed, immutable blobs.

    Each ``put_*`` returns the :class:`Blob` (``"blake3:<hex>"`` digest and size) of
    the bytes given; putting the same bytes twice, also from concurrent writers,
    stores them once and returns the same digest. A blob is visible under its digest
    only once it is complete (written to a temporary name, then renamed), so a crash
    or an error mid-write leaves no blob behind.
    """

    def put_file(self, path: Path) -> Blob:
        """Store a local file; ``InvalidInputError`` if it is missing or changes meanwhile."""
        ...

    def put_stream(self, stream: BinaryIO) -> Blob:
        """Store the bytes read from ``stream`` until it is exhausted."""
        ...

    def put_bytes(self, data: bytes) -> Blob:
        """Store ``data``."""
        ...


class BlobReader(Protocol):
    """Reads blobs by digest, verified against it.

    A digest that is not stored raises ``NotFoundError``; a malformed one raises
    ``InvalidInputError``. Bytes that no longer hash to their digest raise
    ``IntegrityError`` and are never handed over as a whole (``get_file``,
    ``read_bytes``); ``iter_chunks`` raises it after the last chunk, so callers that
    must not act on bad bytes (unpickling) call ``verify`` or ``get_file`` first.
    """

    def exists(self, digest: str) -> bool:
        """Whether a complete blob is stored under ``digest``."""
        ...

    def size(self, digest: str) -> int:
        """The stored blob's size in bytes."""
        ...

    def iter_chunks(self, digest: str) -> Iterator[bytes]:
        """The blob's bytes in chunks; ``IntegrityError`` at the end if they changed."""
        ...

    def read_bytes(self, digest: str) -> bytes:
        """The blob's bytes, verified."""
        ...

    def verify(self, digest: str) -> None:
        """Raise ``IntegrityError`` if the stored bytes no longer match ``digest``."""
        ...

    def get_file(self, digest: str, destination: Path) -> Path:
        """Copy the blob to ``destination``, which appears only once verified."""
        ...

    def local_path(self, digest: str) -> Path | None:
        """The blob's own local file for zero-copy readers (not verified; call
        ``verify`` first), or None when the store is not on a local disk."""
        ...


class BlobStore(BlobWriter, BlobReader, Protocol):
    """Content-addressed, immutable, deduplicated blobs: a :class:`BlobWriter` and a
    :class:`BlobReader` over one store."""


@runtime_checkable
class DeletableBlobStore(Protocol):
    """Optional ability of a store whose blobs can be removed (garbage collection).

    ``delete`` of a digest that is not stored does nothing; a reader that already
    holds the blob's bytes is unaffected.
    """

    def delete(self, digest: str) -> None: ...
