"""Pipeline use cases: run, submit, resume, and read runs, logs and outputs."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from driftloop.artifacts import BlobStore
from driftloop.errors import ConflictError, DriftloopError, InvalidInputError, NotFoundError
from driftloop.pipelines._definition import Graph, Pipeline
from driftloop.pipelines._executors import check_executor, open_executor
from driftloop.pipelines._models import PipelineRun, StepStatus
from driftloop.pipelines._orchestrator import Orchestrator, Progress
from driftloop.pipelines._outputs import load_output
from driftloop.pipelines._params import Resolver, check_params
from driftloop.pipelines._protocols import StepExecutor
from driftloop.pipelines._records import Clock, RunRecords
from driftloop.pipelines._worker import import_fresh
from driftloop.store import MetadataStore
from driftloop.store._lifecycle import LifecycleEvent

Target = Pipeline[Any] | str


def _utcnow() -> datetime:
    return datetime.now(UTC)


class PipelineService:
    """Runs pipelines and reads their records; stateless apart from the shared worker pool.

    Args:
        open_workspace: picklable callable a worker calls to open this workspace.
        resolve: (kind, ref) -> the dataset or model version a reference names.
        local_executor: workers -> the process's shared local pool.
        stale_after: a running run whose heartbeat is older is abandoned (failed).
        code_root: the workspace root, where ``module:attr`` targets are looked for when
            not importable otherwise (after the current folder), as ``python -m`` would.
    """

    def __init__(
        self,
        store: MetadataStore,
        blobs: BlobStore,
        user: str,
        *,
        open_workspace: Callable[[], Any],
        resolve: Resolver,
        local_executor: Callable[[int | None], StepExecutor],
        clock: Clock = _utcnow,
        stale_after: timedelta = timedelta(minutes=2),
        heartbeat_s: float = 15.0,
        environment: Mapping[str, str] | None = None,
        log_dir: Path | None = None,
        code_root: Path | None = None,
    ) -> None:
        self.store = store
        self.blobs = blobs
        self.user = user
        self.records = RunRecords(store, clock, stale_after)
        self._open_workspace = open_workspace
        self._resolve = resolve
        self._local = local_executor
        self._heartbeat_s = heartbeat_s
        self._environment = dict(environment or {})
        self._log_dir = log_dir or Path(tempfile.gettempdir()) / "driftloop-pipelines"
        self._code_roots = [code_root] if code_root is not None else []

    # definition -------------------------------------------------------------------

    def resolve_target(self, target: Target) -> Pipeline[Any]:
        """The pipeline a ``Pipeline``, ``"module:attr"`` or a known pipeline name names."""
        if isinstance(target, Pipeline):
            return target
        if not isinstance(target, str) or not target:
            raise InvalidInputError(
                f"pipeline target {target!r} must be a @dl.pipeline, 'module:attr' or a name"
            )
        ref = target if ":" in target else self.records.target_of(target)
        if ref is None:
            raise NotFoundError(
                f"no pipeline named {target!r} has run in this workspace; give 'module:attr' "
                "(see `driftloop pipelines list`)"
            )
        module_name, _, attr = ref.partition(":")
        try:
            found: Any = import_fresh(module_name, self._code_roots)
            for part in attr.split("."):
                found = getattr(found, part)
        except (ImportError, AttributeError) as exc:
            raise InvalidInputError(f"cannot import pipeline {ref!r}: {exc}") from exc
        if not isinstance(found, Pipeline):
            raise InvalidInputError(
                f"{ref!r} is a {type(found).__name__}, not a pipeline; "
                "decorate it with @dl.pipeline"
            )
        return found

    def check_target(
        self, target: Target, params: Mapping[str, Any] | None = None, *, complete: bool = True
    ) -> Pipeline[Any]:
        """The pipeline ``target`` names, ``params`` checked against it (datasets resolved).

        For declarations (triggers, loop policies), so a target that cannot start is
        refused when declared, not each time it fires. ``complete=False`` lets required
        params be missing, for triggers whose firing may give them (webhook, manual).

        Raises:
            NotFoundError: the module, or a dataset or model a param names, does not exist.
            InvalidInputError: the attribute is no pipeline, or a param is unknown or wrong.
        """
        pipeline = self.resolve_target(target)
        check_params(pipeline.fn, pipeline.name, params, self._resolve, partial=not complete)
        return pipeline

    def _prepare(
        self, target: Target, params: Mapping[str, Any] | None, from_text: bool
    ) -> tuple[Pipeline[Any], Graph, dict[str, Any]]:
        pipeline = self.resolve_target(target)
        values, record = check_params(
            pipeline.fn, pipeline.name, params, self._resolve, from_text=from_text
        )
        return pipeline, pipeline.build(values), record

    def _create(
        self,
        pipeline: Pipeline[Any],
        graph: Graph,
        record: dict[str, Any],
        executor: str,
        no_cache: bool,
        trigger_event_id: str | None,
    ) -> str:
        values = {
            "pipeline": pipeline.name,
            "target": pipeline.target,
            "params": record,
            "executor": check_executor(executor),
            "no_cache": no_cache,
            "trigger_event_id": trigger_event_id,
            "created_by": self.user,
        }
        return self.records.create_run(values, _step_specs(graph))

    # running ----------------------------------------------------------------------

    def run(
        self,
        target: Target,
        params: Mapping[str, Any] | None = None,
        *,
        executor: str = "local",
        no_cache: bool = False,
        trigger_event_id: str | None = None,
        params_as_text: bool = False,
        progress: Progress | None = None,
    ) -> PipelineRun:
        """Run the pipeline to the end here and return its record (failed runs too).

        Parameters are checked before anything runs; ``params_as_text`` converts text
        values (the CLI's ``-p key=value``) to the annotated types.
        """
        pipeline, graph, record = self._prepare(target, params, params_as_text)
        run_id = self._create(pipeline, graph, record, executor, no_cache, trigger_event_id)
        self._execute(run_id, graph, executor, no_cache, progress)
        return self.get_run(run_id)

    def submit(
        self,
        target: Target,
        params: Mapping[str, Any] | None = None,
        *,
        executor: str = "local",
        trigger_event_id: str | None = None,
        no_cache: bool = False,
        params_as_text: bool = False,
    ) -> str:
        """Record the run (pending) and run it in a detached process; return its id at once."""
        pipeline, graph, record = self._prepare(target, params, params_as_text)
        run_id = self._create(pipeline, graph, record, executor, no_cache, trigger_event_id)
        # The detached process imports what this one imports (same sys.path).
        env = {**os.environ, **self._environment, "PYTHONPATH": os.pathsep.join(sys.path)}
        log = self._log_dir / f"pipeline-run-{run_id}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        with open(log, "ab") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "driftloop", "pipeline", "execute", run_id],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        # Reaped in the background: the caller never waits, and no zombie is left behind.
        threading.Thread(target=process.wait, daemon=True, name="driftloop-reaper").start()
        return run_id

    def execute_recorded(self, run_id: str, progress: Progress | None = None) -> PipelineRun:
        """Run a recorded pending run (what a submitted run's process does)."""
        run = self.get_run(run_id)
        if run.status is not StepStatus.PENDING:
            raise ConflictError(f"pipeline run {run_id} is {run.status.value}, not pending")
        try:
            pipeline = self.resolve_target(run.target)
            values, _ = check_params(pipeline.fn, pipeline.name, run.params, self._resolve)
            graph = pipeline.build(values)
        except DriftloopError as exc:
            # Said on the run, which nobody is watching in this detached process.
            self.records.finish_run(run_id, StepStatus.FAILED, f"could not start: {exc}")
            raise
        self._execute(run_id, graph, run.executor, run.no_cache, progress)
        return self.get_run(run_id)

    def resume(
        self, run_id: str, *, executor: str | None = None, progress: Progress | None = None
    ) -> PipelineRun:
        """Run again only what failed, was skipped or never ran; done steps keep their outputs."""
        run = self.get_run(self.records.resolve_id(run_id))
        if run.status in (StepStatus.RUNNING, StepStatus.PENDING):
            raise ConflictError(
                f"pipeline run {run.id} is still {run.status.value} (last heartbeat "
                f"{run.heartbeat_at}); resume it once it has finished or its process died"
            )
        if run.status is StepStatus.SUCCEEDED:
            return run
        pipeline = self.resolve_target(run.target)
        values, _ = check_params(pipeline.fn, pipeline.name, run.params, self._resolve)
        graph = pipeline.build(values)
        self.records.reset_for_resume(run.id, _step_specs(graph))
        self._execute(run.id, graph, executor or run.executor, run.no_cache, progress)
        return self.get_run(run.id)

    def _execute(
        self, run_id: str, graph: Graph, executor: str, no_cache: bool, progress: Progress | None
    ) -> None:
        engine, done = open_executor(executor, self._local)
        try:
            Orchestrator(
                self.records,
                engine,
                self._open_workspace,
                self.blobs,
                heartbeat_s=self._heartbeat_s,
                progress=progress,
            ).execute(run_id, graph, no_cache)
        except BaseException as exc:
            self.records.finish_run(
                run_id, StepStatus.FAILED, f"the run stopped: {type(exc).__name__}: {exc}"
            )
            raise
        finally:
            done()

    def cancel_run(self, run_id: str) -> LifecycleEvent:
        """Cancel a pending or running run (an id, a unique prefix, or a pipeline's name
        for its newest run), from any process: its orchestrator stops the running step
        attempts (their workers are killed, Ray tasks cancelled) within about a second,
        and the run and every step not done end ``cancelled``.

        Raises:
            ConflictError: the run has ended already, or is being cancelled.

        Example::

            ws.pipelines.cancel_run("3f2a9c")   # `driftloop pipelines cancel 3f2a9c`
        """
        full = self.records.resolve_id(run_id)
        self.records.mark_stale(full)
        return self.records.request_cancel(full, self.user)

    # reading ----------------------------------------------------------------------

    def get_run(self, run_id: str) -> PipelineRun:
        """The run ``run_id`` (or a unique prefix of it) with its steps."""
        return self.records.get_run(self.records.resolve_id(run_id))

    def list_runs(self, pipeline: str | None = None, limit: int = 50) -> list[PipelineRun]:
        """The latest runs, newest first, of every pipeline or one."""
        return self.records.list_runs(pipeline, limit)

    def list_pipelines(self) -> list[tuple[str, str, datetime]]:
        """(name, module:attr, last run) of every pipeline run in this workspace."""
        return self.records.pipelines()

    def load_output(self, run_id: str, step: str) -> Any:
        """The value step ``step`` of run ``run_id`` returned (cached steps too)."""
        found = self.get_run(run_id).step(step)
        if found.output is None:
            raise NotFoundError(
                f"step {step!r} of pipeline run {run_id} has no output (it is {found.status.value})"
            )
        return load_output(self.blobs, found.output, self._resolve)

    def step_logs(self, run_id: str, step: str) -> tuple[str, str]:
        """The captured (stdout, stderr) of the step's last attempt."""
        found = self.get_run(run_id).step(step)
        return tuple(  # type: ignore[return-value]
            "" if d is None else self.blobs.read_bytes(d).decode("utf-8", errors="replace")
            for d in (found.stdout_digest, found.stderr_digest)
        )


def _step_specs(graph: Graph) -> list[dict[str, Any]]:
    return [
        {"name": n.name, "function": n.step.function_ref, "upstream": list(n.upstream)}
        for n in graph.nodes.values()
    ]
