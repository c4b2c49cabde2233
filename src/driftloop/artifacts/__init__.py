"""Artifact store: content-addressed, immutable, deduplicated blobs.

Bytes are stored once under the BLAKE3 hash of their content, over fsspec, so a
local folder (``file://``, the default) and S3 (``s3://``) share one code path.
Writes are atomic; reads verify the hash and refuse changed bytes.
"""

from driftloop.artifacts._fsspec import FsspecBlobStore
from driftloop.artifacts._hashing import hash_bytes, hash_file
from driftloop.artifacts._models import Blob
from driftloop.artifacts._protocols import BlobReader, BlobStore, BlobWriter, DeletableBlobStore

__all__ = [
    "Blob",
    "BlobReader",
    "BlobStore",
    "BlobWriter",
    "DeletableBlobStore",
    "FsspecBlobStore",
    "hash_bytes",
    "hash_file",
    "open_blob_store",
]


def open_blob_store(url: str) -> FsspecBlobStore:
    """The blob store for ``url`` (``file://...``, ``s3://...``, or ``memory://...`` for tests)."""
    from driftloop.errors import InvalidInputError, require_extra

    scheme = url.split("://", 1)[0] if "://" in url else "file"
    if scheme == "s3":
        require_extra("s3fs", "s3", "An S3 artifact store")
    elif scheme not in ("file", "memory"):
        raise InvalidInputError(
            f"artifact store URL {url!r} has unsupported scheme {scheme!r}; use file:// or s3://"
        )
    return FsspecBlobStore(url)
