"""Content hashing: BLAKE3, streamed in chunks."""

from __future__ import annotations

import re
from pathlib import Path

import blake3

from driftloop.errors import InvalidInputError

ALGORITHM = "blake3"
CHUNK_SIZE = 4 * 1024 * 1024
_DIGEST = re.compile(r"^blake3:[0-9a-f]{64}$")


def new_hasher() -> blake3.blake3:
    # max_threads lets BLAKE3 hash big chunks on every core.
    return blake3.blake3(max_threads=blake3.blake3.AUTO)


def format_digest(hasher: blake3.blake3) -> str:
    return f"{ALGORITHM}:{hasher.hexdigest()}"


def hash_file(path: Path) -> str:
    """Digest of a file's bytes, read in chunks (memory-mapped by the library)."""
    hasher = new_hasher()
    hasher.update_mmap(str(path))
    return format_digest(hasher)


def hash_bytes(data: bytes) -> str:
    hasher = new_hasher()
    hasher.update(data)
    return format_digest(hasher)


def check_digest(digest: str) -> str:
    if not _DIGEST.match(digest):
        raise InvalidInputError(
            f"{digest!r} is not a blob digest; expected 'blake3:' followed by 64 hex digits"
        )
    return digest
