"""Tracking use cases, written against the metadata and blob stores."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError as SqlIntegrityError

from driftloop._observe import created
from driftloop.artifacts import BlobStore
from driftloop.errors import ConflictError, InvalidInputError, NotFoundError
from driftloop.store import MetadataStore, insert_ignore, upsert, utcnow
from driftloop.store._lifecycle import LifecycleEvent, Usages, ViewType, visible
from driftloop.store._tracking_rows import (
    EnvironmentRow,
    ExperimentRow,
    MetricRow,
    ParamRow,
    RunArtifactRow,
    RunInputRow,
    RunRow,
    TagRow,
)
from driftloop.tracking import _lifecycle, _rows
from driftloop.tracking._compare import RunComparison, compare_runs
from driftloop.tracking._environment import capture_environment, environment_digest
from driftloop.tracking._heartbeat import Clock, Heartbeat
from driftloop.tracking._models import Experiment, Metric, Run, RunStatus
from driftloop.tracking._writer import MetricTuple, MetricWriter

if TYPE_CHECKING:
    import pandas as pd

T = TypeVar("T")
MAX_KEY_LENGTH = 250


def check_key(kind: str, key: str) -> str:
    if not isinstance(key, str) or not key or len(key) > MAX_KEY_LENGTH:
        raise InvalidInputError(
            f"{kind} name {key!r} is not allowed; use a non-empty string of at most "
            f"{MAX_KEY_LENGTH} characters"
        )
    return key


def open_metric_writer(store: MetadataStore) -> MetricWriter:
    """The background writer of metric values into ``store``: one per process and store."""

    def write(batch: Sequence[MetricTuple]) -> None:
        with store.connect() as conn:
            _rows.insert_metrics(conn, batch)

    return MetricWriter(write)


class TrackingService:
    """Experiments and runs over a :class:`MetadataStore` and a blob store, for one user.

    Stateless apart from its collaborators, so one instance serves any number of
    threads; ``writer`` is the process's shared metric writer (a private one is made
    when none is given, for a service used on its own).
    """

    def __init__(
        self,
        store: MetadataStore,
        blobs: BlobStore,
        user: str,
        *,
        writer: MetricWriter | None = None,
        heartbeat: Heartbeat | None = None,
        clock: Clock = utcnow,
        usages: Usages | None = None,
    ) -> None:
        self.store = store
        # what uses a run (a registered model version), asked before deleting it
        self.usages = usages or Usages()
        self.blobs = blobs
        self.user = user
        self.writer = writer if writer is not None else open_metric_writer(store)
        # clock: injectable so tests can age heartbeats without sleeping
        self.clock = clock
        self.heartbeat = heartbeat if heartbeat is not None else Heartbeat(store, clock)
        # what close() closes: only what this service made itself
        self._owned = [
            o for o, given in ((self.writer, writer), (self.heartbeat, heartbeat)) if given is None
        ]

    def close(self) -> None:
        """Close the writer and heartbeat this service made (shared ones stay open)."""
        for owned in self._owned:
            owned.close()

    def sweep_stale_runs(self) -> None:
        """Mark runs whose process stopped beating as killed (see ``_heartbeat``)."""
        self.heartbeat.sweep(self.clock())

    # experiments -----------------------------------------------------------------

    def get_or_create_experiment(self, name: str) -> Experiment:
        check_key("experiment", name)
        with self.store.read() as session:
            row = session.scalar(select(ExperimentRow).where(ExperimentRow.name == name))
            if row is not None:
                _lifecycle.refuse_deleted_experiment(row)
                return _rows.to_experiment(row)
        try:
            with self.store.session() as session:
                row = ExperimentRow(name=name, description="", created_at=utcnow())
                session.add(row)
                session.flush()
                return _rows.to_experiment(row)
        except SqlIntegrityError:  # another process created it first
            return self.get_experiment(name)

    def get_experiment(self, name: str) -> Experiment:
        with self.store.read() as session:
            row = session.scalar(select(ExperimentRow).where(ExperimentRow.name == name))
            if row is None:
                raise NotFoundError(
                    f"no experiment named {name!r}; see `driftloop runs list` for the experiments"
                )
            return _rows.to_experiment(row)

    def list_experiments(
        self, view_type: ViewType | str = ViewType.ACTIVE_ONLY
    ) -> list[Experiment]:
        """Experiments, oldest first; ``view_type`` "deleted_only" or "all" shows deleted ones."""
        query = select(ExperimentRow).where(*visible(ExperimentRow, view_type))
        with self.store.read() as session:
            return [
                _rows.to_experiment(r) for r in session.scalars(query.order_by(ExperimentRow.id))
            ]

    def delete_experiment(self, name: str) -> LifecycleEvent:
        """Delete the experiment and its runs (restorable until ``driftloop gc``)."""
        return _lifecycle.delete_experiment(self.store, name, self.user, utcnow(), self.usages)

    def restore_experiment(self, name: str) -> LifecycleEvent:
        """Restore a deleted experiment and the runs deleted with it."""
        return _lifecycle.restore_experiment(self.store, name, self.user, utcnow())

    # runs -------------------------------------------------------------------------

    def create_run(
        self,
        experiment: str,
        name: str | None = None,
        parent_run_id: str | None = None,
        tags: dict[str, Any] | None = None,
        seed: int | None = None,
        cwd: Path | None = None,
    ) -> str:
        exp = self.get_or_create_experiment(experiment)
        code, environment = capture_environment(cwd or Path.cwd())
        digest = environment_digest(environment)
        run_id = uuid.uuid4().hex
        with self.store.session() as session:
            insert_ignore(session, EnvironmentRow, {"digest": digest, "data": environment})
            session.add(
                RunRow(
                    id=run_id,
                    experiment_id=exp.id,
                    name=name or f"run-{run_id[:8]}",
                    status=RunStatus.RUNNING.value,
                    parent_run_id=parent_run_id,
                    user=self.user,
                    start_time=utcnow(),
                    heartbeat_at=self.clock(),
                    git_commit=code.commit,
                    git_dirty=code.dirty,
                    entry_point=environment["entry_point"],
                    seed=seed,
                    environment_digest=digest,
                )
            )
            if tags:
                session.flush()
                upsert(session, TagRow, ["run_id", "key"], self._tag_rows(run_id, tags))
        self.heartbeat.add(run_id)
        created("run", run_id)
        return run_id

    def resume_run(self, run_id: str) -> Run:
        run = self.get_run(run_id)
        with self.store.session() as session:
            _lifecycle.refuse_deleted_run(session.get_one(RunRow, run.id))
            session.execute(
                update(RunRow)
                .where(RunRow.id == run_id)
                .values(status=RunStatus.RUNNING.value, end_time=None, heartbeat_at=self.clock())
            )
        self.heartbeat.add(run_id)
        return run

    def end_run(self, run_id: str, status: RunStatus = RunStatus.FINISHED) -> None:
        """Flush buffered values, then record the final status: durable once this returns."""
        self.heartbeat.discard(run_id)
        self.writer.flush()
        with self.store.session() as session:
            session.execute(
                update(RunRow)
                .where(RunRow.id == run_id)
                .values(status=status.value, end_time=utcnow())
            )

    def delete_run(self, run_id: str) -> LifecycleEvent:
        """Delete the run and its nested runs (hidden, restorable until ``driftloop gc``)."""
        return _lifecycle.delete_run(self.store, run_id, self.user, utcnow(), self.usages)

    def restore_run(self, run_id: str) -> LifecycleEvent:
        """Restore a deleted run (and the nested runs deleted with it)."""
        return _lifecycle.restore_run(self.store, run_id, self.user, utcnow())

    def set_seed(self, run_id: str, seed: int) -> None:
        with self.store.session() as session:
            session.execute(update(RunRow).where(RunRow.id == run_id).values(seed=seed))

    def get_run(self, run_id: str) -> Run:
        self.writer.flush()
        self.sweep_stale_runs()
        with self.store.read() as session:
            runs = _rows.load_runs(session, [run_id])
        if not runs:
            raise NotFoundError(f"no run with id {run_id!r}; see `driftloop runs list`")
        return runs[0]

    def get_runs(self, run_ids: Sequence[str]) -> list[Run]:
        self.writer.flush()
        self.sweep_stale_runs()
        with self.store.read() as session:
            runs = _rows.load_runs(session, run_ids)
        missing = set(run_ids) - {r.id for r in runs}
        if missing:
            raise NotFoundError(f"no run with id {sorted(missing)[0]!r}; see `driftloop runs list`")
        return runs

    def resolve_run_id(self, ref: str) -> str:
        """A run from its id, a unique id prefix of 6 or more characters (like git), or its
        name (the newest run of that name, as names need not be unique)."""
        with self.store.read() as session:
            if session.get(RunRow, ref) is not None:
                return ref
            if len(ref) >= 6:
                ids = session.scalars(
                    select(RunRow.id).where(RunRow.id.like(f"{ref}%")).limit(2)
                ).all()
                if len(ids) > 1:
                    raise InvalidInputError(f"run id prefix {ref!r} is ambiguous; give more")
                if ids:
                    return ids[0]
            named = session.scalars(
                select(RunRow.id)
                .where(RunRow.name == ref)
                .order_by(RunRow.start_time.desc(), RunRow.id)
                .limit(1)
            ).first()
        if named is not None:
            return named
        raise NotFoundError(f"no run with id, id prefix or name {ref!r}; see `driftloop runs list`")

    # logging ---------------------------------------------------------------------

    def log_metric(self, run_id: str, key: str, value: float, step: int, timestamp_ms: int) -> None:
        self.writer.append((run_id, key, value, step, timestamp_ms))

    def log_params(self, run_id: str, params: dict[str, Any]) -> None:
        """Record params; logging a different value for an existing key is refused."""
        values = {check_key("param", k): _param_text(v) for k, v in params.items()}
        if not values:
            return
        with self.store.session() as session:
            existing = dict(
                session.execute(
                    select(ParamRow.key, ParamRow.value).where(
                        ParamRow.run_id == run_id, ParamRow.key.in_(list(values))
                    )
                ).all()
            )
            for key, old in existing.items():
                if old != values[key]:
                    raise ConflictError(
                        f"param {key!r} of run {run_id} is already {old!r}; params are "
                        f"immutable, so {values[key]!r} was not logged. Log it under another "
                        "name or start a new run."
                    )
            session.add_all(
                ParamRow(run_id=run_id, key=k, value=v)
                for k, v in values.items()
                if k not in existing
            )

    def set_tags(self, run_id: str, tags: dict[str, Any]) -> None:
        with self.store.session() as session:
            upsert(session, TagRow, ["run_id", "key"], self._tag_rows(run_id, tags))

    def _tag_rows(self, run_id: str, tags: dict[str, Any]) -> list[dict[str, str]]:
        return [
            {"run_id": run_id, "key": check_key("tag", k), "value": str(v)} for k, v in tags.items()
        ]

    def log_input(self, run_id: str, kind: str, ref: str, role: str = "") -> None:
        with self.store.session() as session:
            insert_ignore(
                session, RunInputRow, {"run_id": run_id, "kind": kind, "ref": ref, "role": role}
            )

    def log_artifact(
        self, run_id: str, local_path: Path, artifact_path: str | None = None
    ) -> list[str]:
        """Store a file or a folder (recursively) under ``artifact_path`` in the run."""
        local_path = Path(local_path)
        if not local_path.exists():
            raise InvalidInputError(f"cannot log artifact {local_path}: no such file or folder")
        prefix = (artifact_path or "").strip("/")
        if local_path.is_dir():
            files = sorted(p for p in local_path.rglob("*") if p.is_file())
            base = f"{prefix}/{local_path.name}" if prefix else local_path.name
            named = [(p, f"{base}/{p.relative_to(local_path).as_posix()}") for p in files]
        else:
            named = [(local_path, f"{prefix}/{local_path.name}" if prefix else local_path.name)]
        # Blobs first, rows after: a crash in between leaves an unreferenced blob, never
        # a row pointing at bytes that are not there.
        rows = []
        for path, name in named:
            blob = self.blobs.put_file(path)
            rows.append({"run_id": run_id, "path": name, "digest": blob.digest, "size": blob.size})
        with self.store.session() as session:
            upsert(session, RunArtifactRow, ["run_id", "path"], rows)
        return [name for _, name in named]

    def log_artifact_bytes(self, run_id: str, data: bytes, artifact_path: str) -> str:
        blob = self.blobs.put_bytes(data)
        row = {
            "run_id": run_id,
            "path": artifact_path.strip("/"),
            "digest": blob.digest,
            "size": blob.size,
        }
        with self.store.session() as session:
            upsert(session, RunArtifactRow, ["run_id", "path"], [row])
        return artifact_path.strip("/")

    def download_artifacts(self, run_id: str, path: str, destination: Path) -> Path:
        """Copy a run's artifact file, or every file under a folder path, to ``destination``."""
        path = path.strip("/")
        run = self.get_run(run_id)
        matches = [
            a for a in run.artifacts if a.path == path or a.path.startswith(f"{path}/") or not path
        ]
        if not matches:
            known = ", ".join(a.path for a in run.artifacts[:10]) or "none"
            raise NotFoundError(f"run {run_id} has no artifact {path!r}; it has: {known}")
        destination = Path(destination)
        if len(matches) == 1 and matches[0].path == path:
            return self.blobs.get_file(matches[0].digest, destination / Path(path).name)
        for artifact in matches:
            relative = artifact.path[len(path) :].lstrip("/") if path else artifact.path
            self.blobs.get_file(artifact.digest, destination / relative)
        return destination

    # queries ---------------------------------------------------------------------

    def search_runs(
        self,
        experiments: Sequence[str] | None = None,
        filter: str | None = None,
        order_by: Sequence[str] = (),
        max_results: int | None = None,
        view_type: ViewType | str = ViewType.ACTIVE_ONLY,
    ) -> pd.DataFrame:
        """Runs as a DataFrame: one column per param, metric (latest value) and tag.

        The filter is translated into SQL (see ``driftloop.tracking._filter``); values
        still buffered in the writer are stored first, so the result includes them.
        Deleted runs are left out unless ``view_type`` is "deleted_only" or "all".
        """
        from driftloop.tracking._search import search_runs

        return self._search(search_runs, experiments, filter, order_by, max_results, view_type)

    def search_run_records(
        self,
        experiments: Sequence[str] | None = None,
        filter: str | None = None,
        order_by: Sequence[str] = (),
        max_results: int | None = None,
        view_type: ViewType | str = ViewType.ACTIVE_ONLY,
    ) -> list[dict[str, Any]]:
        """:meth:`search_runs` as one dict per run (what the CLI and JSON show), without
        pandas; a param, metric or tag a run never logged is ``None``, not NaN."""
        from driftloop.tracking._search import search_run_records

        return self._search(
            search_run_records, experiments, filter, order_by, max_results, view_type
        )

    def _search(
        self,
        search: Callable[..., T],
        experiments: Sequence[str] | None,
        filter: str | None,
        order_by: Sequence[str],
        max_results: int | None,
        view_type: ViewType | str,
    ) -> T:
        self.sweep_stale_runs()
        self.writer.flush()
        with self.store.read() as session:
            return search(
                session,
                list(experiments) if experiments else None,
                filter,
                list(order_by),
                max_results,
                view_type,
            )

    def compare_runs(self, run_ids: Sequence[str]) -> RunComparison:
        """The params that differ between runs, and each metric with its delta to the first."""
        if len(run_ids) < 2:
            raise InvalidInputError(f"give at least two runs to compare, got {len(run_ids)}")
        return compare_runs(self.get_runs([self.resolve_run_id(r) for r in run_ids]))

    def metric_history(self, run_id: str, key: str) -> list[Metric]:
        self.writer.flush()
        with self.store.read() as session:
            rows = session.execute(
                select(MetricRow.key, MetricRow.value, MetricRow.step, MetricRow.timestamp_ms)
                .where(MetricRow.run_id == run_id, MetricRow.key == key)
                .order_by(MetricRow.step, MetricRow.timestamp_ms, MetricRow.id)
            ).all()
        if not rows:
            self.get_run(run_id)  # raises NotFoundError for an unknown run
        return [Metric(k, float(v), int(s), int(t)) for k, v, s, t in rows]


def _param_text(value: Any) -> str:
    text = str(value)
    if len(text) > 6000:
        raise InvalidInputError(
            f"param value of {len(text)} characters is too long (limit 6000); log it as an "
            "artifact with dl.log_dict or dl.log_artifact instead"
        )
    return text
