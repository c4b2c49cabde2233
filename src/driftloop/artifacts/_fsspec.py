"""A blob store over any fsspec filesystem: local folders and S3 share this code."""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, TypeVar, cast

from driftloop.artifacts._hashing import (
    CHUNK_SIZE,
    check_digest,
    format_digest,
    hash_file,
    new_hasher,
)
from driftloop.artifacts._models import Blob
from driftloop.errors import (
    BackendUnavailableError,
    IntegrityError,
    InvalidInputError,
    NotFoundError,
    redact_url,
)

_F = TypeVar("_F", bound=Callable[..., Any])


def _storage_edge(method: _F) -> _F:
    """Turn an OSError of the filesystem (root gone, unwritable, disk full, a bucket
    refusing) into :class:`BackendUnavailableError`; driftloop errors pass unchanged."""

    @functools.wraps(method)
    def wrapper(self: FsspecBlobStore, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except OSError as exc:
            raise self._unavailable(exc) from exc

    return cast(_F, wrapper)


# A temp file older than this is a crashed writer's: no single copy takes a day.
STALE_TEMP_SECONDS = 24 * 3600
# How often one store looks for stale temp files (on a write, never on a read).
_RECLAIM_EVERY_SECONDS = 600.0
_HOST = "".join(c if c.isalnum() else "-" for c in socket.gethostname())[:32] or "host"


class FsspecBlobStore:
    """Blobs at ``<url>/blobs/<2 hex>/<hex>``, written to ``<url>/tmp/`` then moved.

    A reader never sees a half-written blob: the final name appears by a rename
    (atomic on a local disk; on S3 an object appears whole when its upload ends).
    """

    def __init__(self, url: str, **storage_options: Any) -> None:
        self.url = url.rstrip("/")
        self._storage_options = storage_options
        self._fs: Any = None
        self._root = ""
        self._reclaimed_at: float | None = None

    @property
    def fs(self) -> Any:
        if self._fs is None:
            # Imported here: a command that reads no blob (`runs list`) never pays for it.
            import fsspec.core

            self._fs, self._root = fsspec.core.url_to_fs(self.url, **self._storage_options)
        return self._fs

    def _blob_path(self, digest: str) -> str:
        hex_ = check_digest(digest).split(":", 1)[1]
        _ = self.fs  # resolve root
        return f"{self._root}/blobs/{hex_[:2]}/{hex_}"

    def _tmp_path(self) -> str:
        # The writer's host and pid are in the name, so a later writer can tell a crashed
        # writer's leftover (its process is gone) from a copy still in progress.
        _ = self.fs
        self._reclaim_due()
        return f"{self._root}/tmp/{_HOST}.{os.getpid()}.{uuid.uuid4().hex}"

    def _reclaim_due(self) -> None:
        now = time.monotonic()
        if self._reclaimed_at is None or now - self._reclaimed_at > _RECLAIM_EVERY_SECONDS:
            self._reclaimed_at = now
            self.reclaim_temp()

    def reclaim_temp(self, *, dry_run: bool = False) -> list[tuple[str, int]]:
        """Remove temp files left by crashed writers; return their names and sizes.

        A temp file is stale when the process that wrote it (same host) is gone, or when
        it is older than ``STALE_TEMP_SECONDS`` (other hosts, older name formats).
        """
        _ = self.fs
        try:
            entries = self.fs.ls(f"{self._root}/tmp", detail=True)
        except (FileNotFoundError, OSError):
            return []
        stale = [
            (str(e["name"]), int(e.get("size") or 0))
            for e in entries
            if e.get("type") == "file" and _is_stale(str(e["name"]), _mtime(e))
        ]
        if not dry_run:
            for name, _ in stale:
                self._discard(name)
        return stale

    def list_blobs(self) -> Iterator[tuple[str, int, datetime | None]]:
        """Every stored blob as (digest, size, last modified), in no particular order."""
        _ = self.fs
        try:
            found = self.fs.find(f"{self._root}/blobs", detail=True)
        except (FileNotFoundError, OSError):
            return
        for path, entry in found.items():
            name = str(path).rsplit("/", 1)[-1]
            if len(name) == 64 and all(c in "0123456789abcdef" for c in name):
                yield f"blake3:{name}", int(entry.get("size") or 0), _mtime(entry)

    def blob_modified(self, digest: str) -> datetime | None:
        """When the blob was last written or re-put (None if it is gone)."""
        try:
            return _mtime(self.fs.info(self._blob_path(digest)))
        except (FileNotFoundError, OSError):
            return None

    def _touch(self, digest: str) -> None:
        # Putting known content refreshes the blob's time: `gc` spares blobs younger
        # than its grace period, so a writer about to reference this blob keeps it.
        if self._is_local:
            with contextlib.suppress(OSError):  # gone meanwhile: the writer re-puts it
                os.utime(self._blob_path(digest))

    @_storage_edge
    def exists(self, digest: str) -> bool:
        return bool(self.fs.exists(self._blob_path(digest)))

    @_storage_edge
    def size(self, digest: str) -> int:
        try:
            return int(self.fs.size(self._blob_path(digest)))
        except FileNotFoundError:
            raise self._missing(digest) from None

    @_storage_edge
    def put_file(self, path: Path) -> Blob:
        """Store a local file. Hashing happens first, so known content is never copied."""
        path = Path(path)
        if not path.is_file():
            raise InvalidInputError(f"{path} is not a file; pass the path of an existing file")
        before = path.stat()
        digest = hash_file(path)
        if self.exists(digest):
            self._touch(digest)
            return Blob(digest, before.st_size)
        tmp = self._tmp_path()
        self.fs.makedirs(tmp.rsplit("/", 1)[0], exist_ok=True)
        try:
            self.fs.put_file(str(path), tmp)
            after = path.stat()
            if (after.st_size, after.st_mtime_ns) != (before.st_size, before.st_mtime_ns):
                raise InvalidInputError(f"{path} changed while it was being stored; log it again")
            self._publish(tmp, digest)
        finally:
            self._discard(tmp)
        return Blob(digest, before.st_size)

    def put_stream(self, stream: BinaryIO) -> Blob:
        """Store bytes read from ``stream`` in chunks, hashing as they are written.

        An error of ``stream`` itself reaches the caller unchanged; errors of the
        store become :class:`BackendUnavailableError`.
        """
        tmp = self._tmp_path()
        hasher = new_hasher()
        size = 0
        try:
            with self._fs_errors():
                self.fs.makedirs(tmp.rsplit("/", 1)[0], exist_ok=True)
                out = self.fs.open(tmp, "wb")
            with out:
                while chunk := stream.read(CHUNK_SIZE):
                    hasher.update(chunk)
                    with self._fs_errors():
                        out.write(chunk)
                    size += len(chunk)
            digest = format_digest(hasher)
            with self._fs_errors():
                if not self.fs.exists(self._blob_path(digest)):
                    self._publish(tmp, digest)
                else:
                    self._touch(digest)
        finally:
            self._discard(tmp)
        return Blob(digest, size)

    @contextmanager
    def _fs_errors(self) -> Iterator[None]:
        try:
            yield
        except OSError as exc:
            raise self._unavailable(exc) from exc

    def put_bytes(self, data: bytes) -> Blob:
        import io

        return self.put_stream(io.BytesIO(data))

    def _publish(self, tmp: str, digest: str) -> None:
        final = self._blob_path(digest)
        self.fs.makedirs(final.rsplit("/", 1)[0], exist_ok=True)
        self.fs.mv(tmp, final)

    def _discard(self, tmp: str) -> None:
        try:
            if self.fs.exists(tmp):
                self.fs.rm(tmp)
        except OSError:
            pass  # a leftover temp file is harmless: it is never read as a blob

    def iter_chunks(self, digest: str) -> Iterator[bytes]:
        """Yield the blob's bytes; raise ``IntegrityError`` at the end if they changed.

        Callers that must not act on bad bytes (unpickling a model) use
        :meth:`get_file` or :meth:`verify` first.
        """
        path = self._blob_path(digest)
        hasher = new_hasher()
        try:
            handle = self.fs.open(path, "rb")
        except FileNotFoundError:
            raise self._missing(digest) from None
        except OSError as exc:
            raise self._unavailable(exc) from exc
        with handle:
            while chunk := self._read_chunk(handle):
                hasher.update(chunk)
                yield chunk
        self._check(digest, format_digest(hasher))

    def _read_chunk(self, handle: Any) -> bytes:
        try:
            return bytes(handle.read(CHUNK_SIZE))
        except OSError as exc:
            raise self._unavailable(exc) from exc

    def read_bytes(self, digest: str) -> bytes:
        return b"".join(self.iter_chunks(digest))

    def verify(self, digest: str) -> None:
        """Raise ``IntegrityError`` if the stored bytes no longer match ``digest``."""
        for _ in self.iter_chunks(digest):
            pass

    @_storage_edge
    def get_file(self, digest: str, destination: Path) -> Path:
        """Copy a blob to a local file, verified before it appears under ``destination``."""
        destination = Path(destination)
        destination.parent.mkdir(parents=True, exist_ok=True)
        tmp = destination.with_name(f".{destination.name}.{uuid.uuid4().hex}.part")
        try:
            if self._is_local:
                self._copy_local(digest, tmp)
            else:
                with open(tmp, "wb") as out:
                    for chunk in self.iter_chunks(digest):
                        out.write(chunk)
            os.replace(tmp, destination)
        finally:
            tmp.unlink(missing_ok=True)
        return destination

    @property
    def _is_local(self) -> bool:
        return "file" in (
            self.fs.protocol if isinstance(self.fs.protocol, tuple) else (self.fs.protocol,)
        )

    def _copy_local(self, digest: str, tmp: Path) -> None:
        source = self._blob_path(digest)
        try:
            shutil.copyfile(source, tmp)
        except FileNotFoundError:
            if os.path.exists(source):
                raise  # the destination's folder is what is missing
            raise self._missing(digest) from None
        self._check(digest, hash_file(tmp))

    @_storage_edge
    def local_path(self, digest: str) -> Path | None:
        """The blob's own file when the store is local (for zero-copy readers), else None."""
        if not self._is_local:
            return None
        path = Path(self._blob_path(digest))
        if not path.exists():
            raise self._missing(digest)
        return path

    @_storage_edge
    def delete(self, digest: str) -> None:
        path = self._blob_path(digest)
        if self.fs.exists(path):
            self.fs.rm(path)

    def _check(self, digest: str, actual: str) -> None:
        if actual != digest:
            raise IntegrityError(
                f"blob {digest} in {self.url} was changed after it was stored (its bytes now "
                f"hash to {actual}); it was not used. Restore it from a backup or log it again."
            )

    def _unavailable(self, exc: OSError) -> BackendUnavailableError:
        return BackendUnavailableError(
            f"the artifact store at {redact_url(self.url)} is unavailable: "
            f"{type(exc).__name__}: {exc}; check DRIFTLOOP_ARTIFACT_URL, that the folder or "
            "bucket exists and is readable and writable, and that there is space left"
        )

    def _missing(self, digest: str) -> NotFoundError:
        return NotFoundError(f"blob {digest} is not in the artifact store at {self.url}")


def _mtime(entry: dict[str, Any]) -> datetime | None:
    value = entry.get("mtime", entry.get("LastModified", entry.get("last_modified")))
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    return None


def _is_stale(path: str, modified: datetime | None) -> bool:
    if modified is not None and (datetime.now(UTC) - modified).total_seconds() > STALE_TEMP_SECONDS:
        return True
    host, _, rest = path.rsplit("/", 1)[-1].partition(".")
    pid = rest.partition(".")[0]
    if host != _HOST or not pid.isdigit():
        return False  # another machine's writer, or an old name: only age tells
    return not _process_alive(int(pid))


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive
    return True
