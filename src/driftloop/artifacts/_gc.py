"""Garbage collection: remove blobs that no row references, and crashed writers' temp files.

Writers put blobs first and rows after, so at any moment a blob may exist that a row
is about to reference. Collection is therefore safe only with a grace period: a blob
modified (written, or re-put by a writer that found it already stored) less than
``grace`` ago is never removed, and each candidate's time is read again just before it
is removed. Every column of the metadata store that holds a digest is read, plus the
digests inside JSON values (dataset files) and model manifests, so a new table with a
``*digest`` column is covered without a change here.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import JSON, String, select

from driftloop.artifacts._fsspec import FsspecBlobStore
from driftloop.errors import DriftloopError, InvalidInputError
from driftloop.store import MetadataStore
from driftloop.store._tables import metadata

DEFAULT_GRACE = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class GcItem:
    """One blob or temp file that was (or, in a dry run, would be) removed."""

    name: str
    size: int
    kind: str  # "blob" or "temp"


@dataclass(frozen=True, slots=True)
class GcReport:
    """What a collection removed (or would remove, when ``dry_run``) and what it kept."""

    dry_run: bool
    removed: tuple[GcItem, ...]
    kept_referenced: int
    kept_recent: int

    @property
    def removed_bytes(self) -> int:
        return sum(item.size for item in self.removed)


class GarbageCollector:
    """Finds and removes unreferenced blobs of one workspace (store + blob store)."""

    def __init__(self, store: MetadataStore, blobs: FsspecBlobStore) -> None:
        self.store = store
        self.blobs = blobs

    def collect(self, *, dry_run: bool = False, grace: timedelta = DEFAULT_GRACE) -> GcReport:
        """Remove every blob no row references and older than ``grace``; and stale temps.

        ``dry_run`` lists them and removes nothing. Safe while other processes write
        (see the module docstring); raises ``InvalidInputError`` for a negative grace.
        """
        if grace < timedelta(0):
            raise InvalidInputError(f"grace {grace} is negative; give 0 or more minutes")
        # Listed before the rows are read: a blob put after this listing is not a
        # candidate, and a row committed before the read below is seen.
        stored = list(self.blobs.list_blobs())
        referenced = self.referenced()
        cutoff = datetime.now(UTC) - grace
        removed: list[GcItem] = []
        recent = 0
        for digest, size, modified in stored:
            if digest in referenced:
                continue
            if modified is None or modified > cutoff or not self._still_old(digest, cutoff):
                recent += 1
                continue
            if not dry_run:
                self.blobs.delete(digest)
            removed.append(GcItem(digest, size, "blob"))
        temps = self.blobs.reclaim_temp(dry_run=dry_run)
        removed += [GcItem(name, size, "temp") for name, size in temps]
        kept = sum(1 for digest, _, _ in stored if digest in referenced)
        return GcReport(dry_run, tuple(removed), kept, recent)

    def _still_old(self, digest: str, cutoff: datetime) -> bool:
        modified = self.blobs.blob_modified(digest)
        return modified is not None and modified <= cutoff

    def referenced(self) -> set[str]:
        """Every digest any row holds: digest columns, JSON values and model manifests."""
        found: set[str] = set()
        with self.store.read() as session:
            for table in metadata.sorted_tables:
                for column in table.columns:
                    if column.name.endswith("digest") and isinstance(column.type, String):
                        found.update(v for v in session.scalars(select(column)) if v)
                    elif isinstance(column.type, JSON):
                        for value in session.scalars(select(column)):
                            found.update(_digests_in(value))
        found |= self._manifest_files(found)
        return found

    def _manifest_files(self, digests: Iterable[str]) -> set[str]:
        """Files listed by model manifests among ``digests`` (a manifest references them)."""
        from driftloop.store._registry_rows import ModelVersionRow

        with self.store.read() as session:
            manifests = set(session.scalars(select(ModelVersionRow.model_digest)))
        files: set[str] = set()
        for digest in manifests & set(digests):
            try:
                manifest = json.loads(self.blobs.read_bytes(digest))
            except (DriftloopError, ValueError):
                continue  # a missing or changed manifest references nothing we can read
            files.update(_digests_in(manifest.get("files", {})))
        return files


def _digests_in(value: Any) -> Iterable[str]:
    """Digest strings anywhere inside a JSON value (dicts, lists, nested)."""
    if isinstance(value, str):
        if value.startswith("blake3:"):
            yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _digests_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from _digests_in(item)
