"""Pipeline and step run rows: written by the orchestrator, read as records.

Reads apply the stale check: a run or step still ``running`` whose process stopped
beating more than ``stale_after`` ago is marked ``failed`` (abandoned) on the spot,
so a SIGKILLed run never shows a step running forever, and ``resume`` can finish it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update

from driftloop.errors import ConflictError, NotFoundError
from driftloop.pipelines._models import OutputRef, PipelineRun, StepRun, StepStatus
from driftloop.store import (
    MetadataStore,
    PipelineRow,
    PipelineRunRow,
    StepLinkRow,
    StepRunRow,
    insert_ignore,
    upsert,
)
from driftloop.store._lifecycle import LifecycleEvent, record_event

Clock = Callable[[], datetime]
_ACTIVE = (StepStatus.PENDING.value, StepStatus.RUNNING.value)


def new_id() -> str:
    return uuid.uuid4().hex


class RunRecords:
    """Rows of pipeline runs and their steps on one metadata store."""

    def __init__(self, store: MetadataStore, clock: Clock, stale_after: timedelta) -> None:
        self.store = store
        self.clock = clock
        self.stale_after = stale_after

    # writes -----------------------------------------------------------------------

    def create_run(self, values: dict[str, Any], steps: Sequence[dict[str, Any]]) -> str:
        run_id = new_id()
        now = self.clock()
        with self.store.session() as session:
            upsert(
                session,
                PipelineRow,
                ["name"],
                [{"name": values["pipeline"], "target": values["target"], "updated_at": now}],
            )
            session.add(
                PipelineRunRow(
                    id=run_id,
                    status=StepStatus.PENDING.value,
                    created_at=now,
                    heartbeat_at=now,
                    **values,
                )
            )
            session.flush()
            for position, step in enumerate(steps):
                session.add(self._step_row(run_id, position, step))
        return run_id

    def _step_row(self, run_id: str, position: int, step: dict[str, Any]) -> StepRunRow:
        return StepRunRow(
            id=new_id(),
            pipeline_run_id=run_id,
            position=position,
            status=StepStatus.PENDING.value,
            attempt=0,
            inputs={},
            **step,
        )

    def reset_for_resume(self, run_id: str, steps: Sequence[dict[str, Any]]) -> None:
        """Steps not done go back to pending (attempts kept); steps new to the code are added."""
        now = self.clock()
        with self.store.session() as session:
            rows = {r.name: r for r in session.scalars(_steps_of(run_id))}
            for position, step in enumerate(steps):
                row = rows.get(step["name"])
                if row is None:
                    session.add(self._step_row(run_id, position, step))
                elif not StepStatus(row.status).is_done:
                    row.status = StepStatus.PENDING.value
                    row.heartbeat_at = None
                    row.function, row.upstream = step["function"], step["upstream"]
            run = session.get(PipelineRunRow, run_id)
            assert run is not None
            run.status, run.error, run.ended_at, run.heartbeat_at = "pending", None, None, now
            # A resumed cancelled run runs again: the cancel was of the run before.
            run.cancel_requested_at = run.cancel_requested_by = None

    def start_run(self, run_id: str) -> None:
        now = self.clock()
        with self.store.session() as session:
            run = session.get(PipelineRunRow, run_id)
            assert run is not None
            run.status = StepStatus.RUNNING.value
            run.started_at = run.started_at or now
            run.heartbeat_at = now

    def finish_run(self, run_id: str, status: StepStatus, error: str | None) -> None:
        with self.store.session() as session:
            run = session.get(PipelineRunRow, run_id)
            assert run is not None
            run.status, run.error, run.ended_at = status.value, error, self.clock()

    def update_step(self, step_id: str, **values: Any) -> None:
        with self.store.session() as session:
            session.execute(update(StepRunRow).where(StepRunRow.id == step_id).values(**values))

    def step_running(
        self, step_id: str, attempt: int, cache_key: str, inputs: dict[str, Any]
    ) -> None:
        now = self.clock()
        self.update_step(
            step_id,
            status=StepStatus.RUNNING.value,
            attempt=attempt,
            cache_key=cache_key,
            inputs=inputs,
            started_at=now,
            ended_at=None,
            heartbeat_at=now,
            error=None,
        )

    def step_cached(
        self, step_id: str, cache_key: str, inputs: dict[str, Any], source: StepRunRow
    ) -> None:
        now = self.clock()
        self.update_step(
            step_id,
            status=StepStatus.CACHED.value,
            cache_key=cache_key,
            cached_from=source.cached_from or source.id,
            inputs=inputs,
            output=source.output,
            stdout_digest=source.stdout_digest,
            stderr_digest=source.stderr_digest,
            started_at=now,
            ended_at=now,
            duration_s=0.0,
            error=None,
        )

    def add_links(self, step_id: str, links: Iterable[tuple[str, str, str]]) -> None:
        rows = [
            {"step_run_id": step_id, "kind": k, "ref": r[:512], "role": role}
            for k, r, role in dict.fromkeys(links)
        ]
        if not rows:
            return
        with self.store.session() as session:
            for row in rows:
                insert_ignore(session, StepLinkRow, row)

    def skip(self, step_ids: Iterable[str], reason: str) -> None:
        ids = list(step_ids)
        if not ids:
            return
        with self.store.session() as session:
            session.execute(
                update(StepRunRow)
                .where(StepRunRow.id.in_(ids))
                .values(status=StepStatus.SKIPPED.value, error=reason)
            )

    def request_cancel(self, run_id: str, user: str) -> LifecycleEvent:
        """Ask, from any process, that the run stop; a run nobody started yet stops here.

        Raises:
            ConflictError: the run has ended, or a cancel was asked already.
        """
        now = self.clock()
        with self.store.session() as session:
            run = session.get(PipelineRunRow, run_id, with_for_update=True)
            assert run is not None
            if run.status not in _ACTIVE:
                raise ConflictError(
                    f"pipeline run {run_id} has ended ({run.status}); there is nothing to cancel"
                )
            if run.cancel_requested_at is not None:
                raise ConflictError(
                    f"pipeline run {run_id} is being cancelled already (asked by "
                    f"{run.cancel_requested_by} at {run.cancel_requested_at:%Y-%m-%d %H:%M:%S} "
                    "UTC); it stops at its orchestrator's next check, within seconds"
                )
            run.cancel_requested_at, run.cancel_requested_by = now, user
            if run.status == StepStatus.PENDING.value:  # no orchestrator runs it (yet)
                _end_cancelled(session, run, now)
            return record_event(session, "pipeline_run", run_id, "cancel", user, now)

    def cancel_requested(self, run_id: str) -> str | None:
        """``who at when`` once a cancel of the run was asked, else None."""
        with self.store.read() as session:
            run = session.get(PipelineRunRow, run_id)
            if run is None or run.cancel_requested_at is None:
                return None
            return f"{run.cancel_requested_by} at {run.cancel_requested_at:%Y-%m-%d %H:%M:%S} UTC"

    def cancel_steps(self, step_ids: Iterable[str], why: str) -> None:
        """Mark the steps cancelled (the running ones were stopped by the executor)."""
        ids = list(step_ids)
        if not ids:
            return
        now = self.clock()
        with self.store.session() as session:
            session.execute(
                update(StepRunRow)
                .where(StepRunRow.id.in_(ids))
                .values(status=StepStatus.CANCELLED.value, error=why, ended_at=now)
            )

    def beat(self, run_id: str, step_ids: Iterable[str]) -> None:
        now = self.clock()
        ids = list(step_ids)
        with self.store.session() as session:
            session.execute(
                update(PipelineRunRow).where(PipelineRunRow.id == run_id).values(heartbeat_at=now)
            )
            if ids:
                session.execute(
                    update(StepRunRow).where(StepRunRow.id.in_(ids)).values(heartbeat_at=now)
                )

    # reads ------------------------------------------------------------------------

    def find_cached(self, cache_key: str) -> StepRunRow | None:
        """The latest step run that computed (or reused) the outputs for ``cache_key``."""
        with self.store.read() as session:
            return session.scalar(
                select(StepRunRow)
                .where(
                    StepRunRow.cache_key == cache_key,
                    StepRunRow.status.in_([StepStatus.SUCCEEDED.value, StepStatus.CACHED.value]),
                    StepRunRow.output.is_not(None),
                )
                .order_by(StepRunRow.ended_at.desc())
                .limit(1)
            )

    def target_of(self, name: str) -> str | None:
        with self.store.read() as session:
            row = session.get(PipelineRow, name)
            return None if row is None else row.target

    def pipelines(self) -> list[tuple[str, str, datetime]]:
        with self.store.read() as session:
            rows = session.scalars(select(PipelineRow).order_by(PipelineRow.name))
            return [(r.name, r.target, r.updated_at) for r in rows]

    def step_rows(self, run_id: str) -> list[StepRunRow]:
        with self.store.read() as session:
            return list(session.scalars(_steps_of(run_id)))

    def resolve_id(self, ref: str) -> str:
        """A run from its id, a unique id prefix of 4 or more characters, or the name
        of a pipeline (its newest run)."""
        with self.store.read() as session:
            ids = list(
                session.scalars(
                    select(PipelineRunRow.id).where(PipelineRunRow.id.startswith(ref)).limit(2)
                )
            )
            newest = session.scalars(
                select(PipelineRunRow.id)
                .where(PipelineRunRow.pipeline == ref)
                .order_by(PipelineRunRow.created_at.desc(), PipelineRunRow.id)
                .limit(1)
            ).first()
        if ref in ids:
            return ref
        if newest is not None:
            return newest
        if len(ids) == 1 and len(ref) >= 4:
            return ids[0]
        if len(ids) > 1:
            raise NotFoundError(f"pipeline run id {ref!r} is ambiguous; give more characters")
        raise NotFoundError(
            f"there is no pipeline run or pipeline {ref!r}; see `driftloop pipelines runs`"
        )

    def get_run(self, run_id: str) -> PipelineRun:
        self.mark_stale(run_id)
        with self.store.read() as session:
            row = session.get(PipelineRunRow, run_id)
            if row is None:
                raise NotFoundError(
                    f"there is no pipeline run {run_id!r}; see `driftloop pipelines runs`"
                )
            steps = list(session.scalars(_steps_of(run_id)))
            links = _links_of(session, [s.id for s in steps])
        return _to_run(row, [_to_step(s, links.get(s.id, ())) for s in steps])

    def list_runs(self, pipeline: str | None, limit: int) -> list[PipelineRun]:
        query = select(PipelineRunRow.id).order_by(PipelineRunRow.created_at.desc()).limit(limit)
        if pipeline is not None:
            query = query.where(PipelineRunRow.pipeline == pipeline)
        with self.store.read() as session:
            ids = list(session.scalars(query))
        return [self.get_run(run_id) for run_id in ids]

    def mark_stale(self, run_id: str) -> bool:
        """Mark the run and its running steps failed if its heartbeat is stale; True if so."""
        cutoff = self.clock() - self.stale_after
        with self.store.read() as session:
            row = session.get(PipelineRunRow, run_id)
            if row is None or row.status not in _ACTIVE:
                return False
            beat = row.heartbeat_at or row.created_at
            if beat >= cutoff:
                return False
        note = (
            f"abandoned: no heartbeat since {beat.isoformat(timespec='seconds')} (the process "
            f"running it died); finish it with `driftloop pipelines resume {run_id}`"
        )
        with self.store.session() as session:
            changed = session.execute(  # type: ignore[attr-defined]
                update(PipelineRunRow)
                .where(
                    PipelineRunRow.id == run_id,
                    PipelineRunRow.status.in_(_ACTIVE),
                    or_(
                        PipelineRunRow.heartbeat_at.is_(None), PipelineRunRow.heartbeat_at < cutoff
                    ),
                )
                .values(status=StepStatus.FAILED.value, error=note, ended_at=beat)
            ).rowcount
            if changed:
                session.execute(
                    update(StepRunRow)
                    .where(
                        StepRunRow.pipeline_run_id == run_id,
                        StepRunRow.status == StepStatus.RUNNING.value,
                    )
                    .values(status=StepStatus.FAILED.value, error=note, ended_at=beat)
                )
        return bool(changed)

    def steps_linked_to(self, kind: str, ref: str) -> list[tuple[StepRunRow, str, str]]:
        """(step row, pipeline name, role) of every step that made or read ``kind:ref``."""
        with self.store.read() as session:
            rows = session.execute(
                select(StepRunRow, PipelineRunRow.pipeline, StepLinkRow.role)
                .join(StepLinkRow, StepLinkRow.step_run_id == StepRunRow.id)
                .join(PipelineRunRow, PipelineRunRow.id == StepRunRow.pipeline_run_id)
                .where(StepLinkRow.kind == kind, StepLinkRow.ref == ref)
            ).all()
        return [(r[0], r[1], r[2]) for r in rows]


def _end_cancelled(session: Any, run: PipelineRunRow, now: datetime) -> None:
    why = f"cancelled by {run.cancel_requested_by} before it started"
    run.status, run.error, run.ended_at = StepStatus.CANCELLED.value, why, now
    session.execute(
        update(StepRunRow)
        .where(StepRunRow.pipeline_run_id == run.id, StepRunRow.status.in_(_ACTIVE))
        .values(status=StepStatus.CANCELLED.value, error=why, ended_at=now)
    )


def _steps_of(run_id: str) -> Any:
    return (
        select(StepRunRow).where(StepRunRow.pipeline_run_id == run_id).order_by(StepRunRow.position)
    )


def _links_of(session: Any, step_ids: list[str]) -> dict[str, list[tuple[str, str, str]]]:
    found: dict[str, list[tuple[str, str, str]]] = {}
    if not step_ids:
        return found
    for link in session.scalars(select(StepLinkRow).where(StepLinkRow.step_run_id.in_(step_ids))):
        found.setdefault(link.step_run_id, []).append((link.kind, link.ref, link.role))
    return found


def _to_step(row: StepRunRow, links: Iterable[tuple[str, str, str]]) -> StepRun:
    return StepRun(
        id=row.id,
        name=row.name,
        function=row.function,
        status=StepStatus(row.status),
        attempt=row.attempt,
        upstream=tuple(row.upstream),
        started_at=row.started_at,
        ended_at=row.ended_at,
        duration_s=row.duration_s,
        cache_key=row.cache_key,
        cached_from=row.cached_from,
        inputs=dict(row.inputs),
        output=OutputRef.from_json(row.output) if row.output else None,
        stdout_digest=row.stdout_digest,
        stderr_digest=row.stderr_digest,
        error=row.error,
        heartbeat_at=row.heartbeat_at,
        links=tuple(sorted(links)),
    )


def _to_run(row: PipelineRunRow, steps: list[StepRun]) -> PipelineRun:
    return PipelineRun(
        id=row.id,
        pipeline=row.pipeline,
        target=row.target,
        status=StepStatus(row.status),
        params=dict(row.params),
        executor=row.executor,
        no_cache=row.no_cache,
        trigger_event_id=row.trigger_event_id,
        error=row.error,
        created_by=row.created_by,
        created_at=row.created_at,
        started_at=row.started_at,
        ended_at=row.ended_at,
        heartbeat_at=row.heartbeat_at,
        steps=tuple(steps),
        cancel_requested_by=row.cancel_requested_by,
        cancel_requested_at=row.cancel_requested_at,
    )
