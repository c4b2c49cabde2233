"""Use cases of the datasets context: log, find, read, profile, diff and validate versions."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from driftloop._duckdb import DuckDB
from driftloop._observe import created
from driftloop.artifacts import BlobStore, hash_bytes, hash_file
from driftloop.data import _lifecycle
from driftloop.data._background import ProfileWorker
from driftloop.data._dataset import Dataset
from driftloop.data._ingest import StagedData, stage
from driftloop.data._models import DatasetVersion, Profile, check_name, parse_ref
from driftloop.data._profile import compute_profile
from driftloop.errors import DataQualityWarning, InvalidInputError, NotFoundError, warn
from driftloop.store import MetadataStore, insert_ignore, next_version, retry_on_conflict
from driftloop.store._base import utcnow
from driftloop.store._data_rows import DatasetRow, DatasetVersionRow
from driftloop.store._lifecycle import LifecycleEvent, Usages, ViewType, visible

if TYPE_CHECKING:
    from driftloop.data._diff import DatasetDiff
    from driftloop.data._suite import Suite, ValidationResult


class DatasetService:
    """Datasets of one workspace: metadata rows in the store, Parquet bytes in the blobs."""

    def __init__(
        self,
        store: MetadataStore,
        blobs: BlobStore,
        user: str,
        cache_dir: Path,
        *,
        duck: DuckDB | None = None,
        profiler: ProfileWorker | None = None,
        usages: Usages | None = None,
    ) -> None:
        self.store = store
        # what uses a version (a feature view, a monitor), asked before deleting it
        self.usages = usages or Usages()
        self.duck = duck  # the workspace's DuckDB; None: a short-lived one per use
        self.blobs = blobs
        self.user = user
        self.cache_dir = cache_dir
        # Shared by every view of a workspace (its resources own and close it); a
        # service built on its own gets its own, closed by close().
        if profiler is None:
            profiler = ProfileWorker((duck if duck is not None else DuckDB()).cursor)
        self._profiler = profiler

    def log(
        self,
        name: str,
        data: Any,
        *,
        source: str | None = None,
        description: str | None = None,
        run_id: str | None = None,
        profile: bool = True,
        delimiter: str | None = None,
        encoding: str | None = None,
    ) -> DatasetVersion:
        """Store ``data`` as a new version of ``name``; the same content returns its version.

        Every file is checked (footer, schema, and every page decoded; see ``stage``)
        before anything is stored, so a registered version reads back. The profile is
        not part of the log: ``profile=True`` computes it in the background right after,
        ``profile=False`` the first time something needs it; until then the version's
        ``profile_pending`` is true and :meth:`profile` computes (or waits for) it.
        ``delimiter`` and ``encoding`` (a Python codec name) are for CSV.
        """
        check_name(name)
        with tempfile.TemporaryDirectory(prefix="driftloop-data-") as tmp:
            staged = stage(data, Path(tmp), delimiter=delimiter, encoding=encoding)
            if staged.num_rows == 0:
                warn(DataQualityWarning, f"dataset {name!r}: the data has no rows; logged anyway")
            known = self._known_or_decoded(name, staged)
            if known is not None:
                return known
            # Blobs first, rows after: a failure in between leaves an unreferenced blob
            # (reclaimed by `driftloop gc`), never a version row without its bytes.
            # put_file hashes before copying, so content already stored is never copied.
            blobs = [self.blobs.put_file(path) for path in staged.files]
        files = [{"digest": b.digest, "size": b.size} for b in blobs]
        digest = _version_digest([b.digest for b in blobs])
        existing = self._find_by_digest(name, digest)
        if existing is not None:
            return existing
        version = self._insert(name, digest, staged, files, None, source, description, run_id)
        created("dataset_version", version.ref)
        if profile:
            self._profile_later(version, [b.digest for b in blobs])
        return version

    def _known_or_decoded(self, name: str, staged: StagedData) -> DatasetVersion | None:
        """The version of ``name`` holding these bytes; else None, once every page decoded."""
        if not staged.undecoded:
            return None
        # The bytes of a version were decoded when it was registered: hashing finds it,
        # so logging unchanged files again costs a read, not a decode.
        digest = _version_digest([hash_file(path) for path in staged.files])
        existing = self._find_by_digest(name, digest)
        if existing is None:
            staged.decode()
        return existing

    def _profile_later(self, version: DatasetVersion, digests: list[str]) -> None:
        version_id = self.version_id(version)

        def job(con: Any) -> None:
            # The blobs were hashed a moment ago: read them in place, unverified.
            paths = [self.blobs.local_path(d) for d in digests]
            local = [p for p in paths if p is not None]
            if len(local) < len(paths):
                local = self._local_paths(digests)
            stats = compute_profile(local, version.ref, con=con)
            if not self._profiler.closed:
                self._store_profile(version_id, stats)

        self._profiler.submit(version_id, job)

    def _store_profile(self, version_id: int, stats: dict[str, Any]) -> None:
        with self.store.session() as session:
            stored = session.get(DatasetVersionRow, version_id)
            if stored is not None and stored.profile is None:
                stored.profile = stats

    def close(self) -> None:
        """Abandon profiles still being computed (computed on first use instead).

        Closes the shared worker: call it only on a service built on its own; a
        workspace's services are closed with the workspace.
        """
        self._profiler.close()

    def _insert(
        self,
        name: str,
        digest: str,
        staged: StagedData,
        files: list[dict[str, Any]],
        profile: dict[str, Any] | None,
        source: str | None,
        description: str | None,
        run_id: str | None,
    ) -> DatasetVersion:
        def attempt() -> DatasetVersion:
            # Another writer may have logged the same content meanwhile: return its version.
            existing = self._find_by_digest(name, digest)
            if existing is not None:
                return existing
            with self.store.session() as session:
                return self._insert_once(
                    session, name, digest, staged, files, profile, source, description, run_id
                )

        return retry_on_conflict(attempt, what=f"a new version of dataset {name!r}")

    def _insert_once(
        self,
        session: Any,
        name: str,
        digest: str,
        staged: StagedData,
        files: list[dict[str, Any]],
        profile: dict[str, Any] | None,
        source: str | None,
        description: str | None,
        run_id: str | None,
    ) -> DatasetVersion:
        now = utcnow()
        _lifecycle.refuse_deleted_log(session, name, digest)
        # Insert-or-ignore: two first writers of a name must not collide on the name.
        insert_ignore(
            session, DatasetRow, {"name": name, "description": description or "", "created_at": now}
        )
        number = next_version(session, DatasetVersionRow.version, name=name)
        latest = number - 1 or None
        row = DatasetVersionRow(
            name=name,
            version=number,
            digest=digest,
            num_rows=staged.num_rows,
            num_bytes=sum(int(f["size"]) for f in files),
            schema={f.name: str(f.type) for f in staged.schema},
            files=files,
            profile=profile,
            source=source if source is not None else staged.source,
            description=description or "",
            parent_version=latest,
            created_by=self.user,
            run_id=run_id,
            created_at=now,
        )
        session.add(row)
        session.flush()
        return to_version(row)

    def _find_by_digest(self, name: str, digest: str) -> DatasetVersion | None:
        with self.store.read() as session:
            row = session.scalar(
                select(DatasetVersionRow).where(
                    DatasetVersionRow.name == name,
                    DatasetVersionRow.digest == digest,
                    *visible(DatasetVersionRow),
                )
            )
            return None if row is None else to_version(row)

    def _row(self, ref: str | DatasetVersion) -> DatasetVersionRow:
        name, version = (
            (ref.name, ref.version) if isinstance(ref, DatasetVersion) else parse_ref(ref)
        )
        with self.store.read() as session:
            query = select(DatasetVersionRow).where(DatasetVersionRow.name == name)
            if version is None:
                query = query.where(*visible(DatasetVersionRow))
                query = query.order_by(DatasetVersionRow.version.desc()).limit(1)
            else:
                query = query.where(DatasetVersionRow.version == version)
            row = session.scalar(query)
            if row is not None and row.deleted_at is None:
                return row
            gone = session.get(DatasetRow, name)
            if gone is not None and gone.deleted_at is not None:
                raise NotFoundError(_lifecycle.missing_message(gone, name))
            if row is not None:  # a deleted version
                raise NotFoundError(_lifecycle.missing_message(row, f"{name}@{version}"))
            latest = session.scalar(
                select(func.max(DatasetVersionRow.version)).where(
                    DatasetVersionRow.name == name, *visible(DatasetVersionRow)
                )
            )
        if latest is None and gone is not None:
            raise NotFoundError(
                f"every version of dataset {name!r} is deleted; see "
                f"`driftloop data versions {name} --deleted`"
            )
        if latest is None:
            raise NotFoundError(f"there is no dataset {name!r}; see `driftloop data list`")
        raise NotFoundError(
            f"dataset {name!r} has no version {version} (latest is {latest}); "
            f"see `driftloop data versions {name}`"
        )

    def get_version(self, ref: str | DatasetVersion) -> DatasetVersion:
        """The version ``ref`` names (``"name@3"``, ``"name@latest"`` or ``"name"``)."""
        return to_version(self._row(ref))

    def get(self, ref: str | DatasetVersion) -> Dataset:
        """The version ``ref`` names, opened for reading."""
        row = self._row(ref)
        files = [str(f["digest"]) for f in row.files]
        return Dataset(to_version(row), lambda: self._local_paths(files), self.duck)

    def _local_paths(self, digests: list[str]) -> list[Path]:
        paths = []
        for digest in digests:
            local = self.blobs.local_path(digest)
            if local is not None:
                self.blobs.verify(digest)
                paths.append(local)
                continue
            cached = self.cache_dir / f"{digest.split(':', 1)[1]}.parquet"
            if not cached.exists():
                self.blobs.get_file(digest, cached)  # verified before it appears
            paths.append(cached)
        return paths

    def list_datasets(
        self, view_type: ViewType | str = ViewType.ACTIVE_ONLY
    ) -> list[dict[str, Any]]:
        """Each dataset with its description, number of versions and latest version
        (``view_type`` "deleted_only": the deleted datasets, with who and when)."""
        with self.store.read() as session:
            query = (
                select(
                    DatasetRow.name,
                    DatasetRow.description,
                    func.count(DatasetVersionRow.id),
                    func.max(DatasetVersionRow.version),
                    DatasetRow.deleted_by,
                    DatasetRow.deleted_at,
                )
                .join(DatasetVersionRow, DatasetVersionRow.name == DatasetRow.name)
                .where(*visible(DatasetRow, view_type))
                .group_by(DatasetRow.name)
                .order_by(DatasetRow.name)
            )
            if view_type == ViewType.ACTIVE_ONLY:  # count and number only the versions kept
                query = query.where(*visible(DatasetVersionRow))
            return [
                {"name": n, "description": d, "versions": c, "latest": m}
                | ({"deleted_by": by, "deleted_at": at} if at is not None else {})
                for n, d, c, m, by, at in session.execute(query)
            ]

    def versions(
        self, name: str, view_type: ViewType | str = ViewType.ACTIVE_ONLY
    ) -> list[DatasetVersion]:
        """Every version of ``name``, oldest first (deleted ones only with ``view_type``)."""
        check_name(name)
        with self.store.read() as session:
            rows = session.scalars(
                select(DatasetVersionRow)
                .where(DatasetVersionRow.name == name, *visible(DatasetVersionRow, view_type))
                .order_by(DatasetVersionRow.version)
            ).all()
            if not rows and session.get(DatasetRow, name) is None:
                raise NotFoundError(f"there is no dataset {name!r}; see `driftloop data list`")
            return [to_version(r) for r in rows]

    def delete(self, ref: str) -> LifecycleEvent:
        """Delete the dataset ``NAME`` (every version) or one version ``NAME@VERSION``.

        Restorable until ``driftloop gc``; refused while a feature view reads it, or a
        monitor or loop policy pins the version (the message names them).
        """
        return _lifecycle.delete(self.store, ref, self.user, utcnow(), self.usages)

    def restore(self, ref: str) -> LifecycleEvent:
        """Restore a deleted dataset (with the versions deleted with it) or version."""
        return _lifecycle.restore(self.store, ref, self.user, utcnow())

    def profile(self, ref: str | DatasetVersion) -> Profile:
        """The version's profile: stored, being computed in the background, or computed now.

        A profile computed here is stored, so it is computed once per version.
        """
        row = self._row(ref)
        if row.profile is None and self._profiler.wait(row.id):
            row = self._row(ref)
        if row.profile is not None:
            return Profile(row.profile)
        files = [str(f["digest"]) for f in row.files]
        stats = compute_profile(self._local_paths(files), f"{row.name}@{row.version}", self.duck)
        self._store_profile(row.id, stats)
        return Profile(stats)

    def diff(self, old: str | DatasetVersion, new: str | DatasetVersion) -> DatasetDiff:
        """Schema, row count, statistic and drift (PSI, KS) changes from ``old`` to ``new``."""
        from driftloop.data._diff import diff_versions

        return diff_versions(self, self.get(old), self.get(new))

    def validate(
        self, ref: str | DatasetVersion, suite: Suite, *, run_id: str | None = None
    ) -> ValidationResult:
        """Evaluate ``suite`` on a version; the result is stored and linked to the version."""
        from driftloop.data._validate import validate_version

        return validate_version(self, self.get(ref), suite, run_id)

    def suggest_suite(self, ref: str | DatasetVersion) -> Suite:
        """A starting suite built from the version's profile, to edit and keep."""
        from driftloop.data._suggest import suggest_suite

        row = self._row(ref)
        return suggest_suite(to_version(row), self.profile(to_version(row)))

    def validations(self, ref: str | DatasetVersion) -> list[dict[str, Any]]:
        """Stored suite results of a version, newest first."""
        from driftloop.store._data_rows import DatasetValidationRow

        row = self._row(ref)
        with self.store.read() as session:
            rows = session.scalars(
                select(DatasetValidationRow)
                .where(DatasetValidationRow.version_id == row.id)
                .order_by(DatasetValidationRow.id.desc())
            ).all()
            return [
                {
                    "suite": r.suite,
                    "success": r.success,
                    "failed": sum(not x["success"] for x in r.results),
                    "expectations": len(r.results),
                    "run_id": r.run_id,
                    "created_by": r.created_by,
                    "created_at": r.created_at,
                }
                for r in rows
            ]

    def used_by(self, ref: str | DatasetVersion) -> list[str]:
        """Ids of the runs that recorded the version as an input (forward lineage)."""
        from driftloop.store._tracking_rows import RunInputRow

        version = self.get_version(ref)
        with self.store.read() as session:
            return list(
                session.scalars(
                    select(RunInputRow.run_id)
                    .where(RunInputRow.kind == "dataset", RunInputRow.ref == version.ref)
                    .order_by(RunInputRow.run_id)
                )
            )

    def version_id(self, version: DatasetVersion) -> int:
        return self._row(version).id


def _version_digest(file_digests: list[str]) -> str:
    """A version's digest: its one file's, or the digest of its files' digests in order."""
    if len(file_digests) == 1:
        return file_digests[0]
    return hash_bytes("\n".join(file_digests).encode())


def to_version(row: DatasetVersionRow) -> DatasetVersion:
    return DatasetVersion(
        name=row.name,
        version=row.version,
        digest=row.digest,
        num_rows=row.num_rows,
        num_bytes=row.num_bytes,
        schema=dict(row.schema),
        source=row.source,
        parent_version=row.parent_version,
        created_by=row.created_by,
        run_id=row.run_id,
        created_at=row.created_at,
        profile_pending=row.profile is None,
        deleted_at=row.deleted_at,
        deleted_by=row.deleted_by,
    )


def require_columns(version: DatasetVersion, columns: list[str]) -> None:
    missing = [c for c in columns if c not in version.schema]
    if missing:
        raise InvalidInputError(
            f"dataset {version.ref} has no column(s) {missing}; "
            f"its columns are {list(version.schema)}"
        )
