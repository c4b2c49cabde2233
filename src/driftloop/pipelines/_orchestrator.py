"""Runs a pipeline's DAG on an executor: caching, retries, timeouts, failure isolation.

The orchestrator is the only writer of a run's rows. It starts every step whose
upstream steps are done (as many as the executor takes), reuses the stored outputs
of a step whose cache key is known, retries a failed attempt after an exponential
backoff, stops an attempt past its timeout, and on a final failure skips only the
steps downstream of it: independent branches finish. It beats while it waits, so a
run whose orchestrator was killed is seen as abandoned (``RunRecords.mark_stale``), and
it reads the run's row every ``cancel_check_s`` for a cancel asked from any process: then
the running attempts are stopped and every step not done, and the run, end cancelled.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from driftloop.pipelines._cache import cache_key
from driftloop.pipelines._definition import Graph, Node
from driftloop.pipelines._lineage import versions_reaching
from driftloop.pipelines._models import OutputRef, StepResult, StepStatus, StepTask
from driftloop.pipelines._outputs import output_exists
from driftloop.pipelines._params import _version_kind
from driftloop.pipelines._protocols import ReportsStart, StepExecutor
from driftloop.pipelines._records import RunRecords
from driftloop.pipelines._source import code_digest

# (step name, status, attempt): what a progress display hears
Progress = Callable[[str, StepStatus, int], None]


@dataclass
class _State:
    status: dict[str, StepStatus]
    attempts: dict[str, int]
    row_ids: dict[str, str]
    outputs: dict[str, OutputRef] = field(default_factory=dict)
    deadlines: dict[str, float | None] = field(default_factory=dict)  # running steps
    retry_at: dict[str, float] = field(default_factory=dict)
    started: dict[str, float] = field(default_factory=dict)
    errors: dict[str, StepResult] = field(default_factory=dict)


@dataclass
class Orchestrator:
    records: RunRecords
    executor: StepExecutor
    open_workspace: Callable[[], Any]
    blobs: Any
    heartbeat_s: float = 15.0
    progress: Progress | None = None
    monotonic: Callable[[], float] = time.monotonic
    # How often the run's row is read for a cancel asked from another process.
    cancel_check_s: float = 1.0

    def execute(self, run_id: str, graph: Graph, no_cache: bool) -> StepStatus:
        state = self._load(run_id, graph)
        self.records.start_run(run_id)
        last_beat = last_check = self.monotonic()
        cancelled = self.records.cancel_requested(run_id)
        while cancelled is None and self._advance(run_id, graph, state, no_cache):
            wait_s = min(self._next_wake(graph, state, last_beat), self.cancel_check_s)
            for result in self.executor.wait(wait_s):
                self._finished(graph, state, result)
            self._expire(graph, state)
            if self.monotonic() - last_beat >= self.heartbeat_s:
                running = [state.row_ids[n] for n in state.deadlines]
                self.records.beat(run_id, running)
                last_beat = self.monotonic()
            if self.monotonic() - last_check >= self.cancel_check_s:
                cancelled, last_check = self.records.cancel_requested(run_id), self.monotonic()
        if cancelled is not None:
            return self._cancel(run_id, state, f"cancelled by {cancelled}")
        failed = [n for n, s in state.status.items() if s is StepStatus.FAILED]
        status = StepStatus.FAILED if failed else StepStatus.SUCCEEDED
        self.records.finish_run(run_id, status, _failure_summary(state, failed) if failed else None)
        return status

    def _cancel(self, run_id: str, state: _State, why: str) -> StepStatus:
        """Stop the running attempts (the executor kills their workers or cancels their
        tasks); every step not done is cancelled, and so is the run."""
        for name in list(state.deadlines):
            self.executor.cancel(state.row_ids[name])
        active = (StepStatus.PENDING, StepStatus.RUNNING)
        stopped = [name for name, status in state.status.items() if status in active]
        self.records.cancel_steps([state.row_ids[name] for name in stopped], why)
        for name in stopped:
            self._emit(state, name, StepStatus.CANCELLED)
        self.records.finish_run(run_id, StepStatus.CANCELLED, why)
        return StepStatus.CANCELLED

    def _load(self, run_id: str, graph: Graph) -> _State:
        rows = {r.name: r for r in self.records.step_rows(run_id)}
        state = _State(
            status={n: StepStatus(rows[n].status) for n in graph.nodes},
            attempts={n: rows[n].attempt for n in graph.nodes},
            row_ids={n: rows[n].id for n in graph.nodes},
        )
        for name in graph.nodes:
            row = rows[name]
            if state.status[name].is_done and row.output:
                state.outputs[name] = OutputRef.from_json(row.output)
        return state

    def _emit(self, state: _State, name: str, status: StepStatus) -> None:
        state.status[name] = status
        if self.progress is not None:
            self.progress(name, status, state.attempts[name])

    def _advance(self, run_id: str, graph: Graph, state: _State, no_cache: bool) -> bool:
        """Start what can start; False when nothing is running or waiting any more."""
        now = self.monotonic()
        for name, node in graph.nodes.items():
            if len(state.deadlines) >= self.executor.capacity:
                break
            if state.status[name] is not StepStatus.PENDING or state.retry_at.get(name, 0) > now:
                continue
            if all(state.status[u].is_done for u in node.upstream):
                state.retry_at.pop(name, None)
                self._start(run_id, graph, node, state, no_cache)
        waiting = any(s is StepStatus.PENDING for s in state.status.values())
        return bool(
            state.deadlines or state.retry_at or (waiting and self._can_progress(graph, state))
        )

    def _can_progress(self, graph: Graph, state: _State) -> bool:
        blocked = {StepStatus.FAILED, StepStatus.SKIPPED}
        return any(
            state.status[n] is StepStatus.PENDING
            and not any(state.status[u] in blocked for u in node.upstream)
            for n, node in graph.nodes.items()
        )

    def _start(self, run_id: str, graph: Graph, node: Node, state: _State, no_cache: bool) -> None:
        name, options = node.name, node.step.options
        inputs = {
            arg: state.outputs[up].part(index) for arg, (up, index) in node.upstream_args.items()
        }
        key = cache_key(node.step.function_ref, code_digest(node.step.fn), inputs, node.literals)
        recorded = _recorded_inputs(inputs, node.literals)
        if options.cache and not no_cache and self._reuse(node, state, key, inputs, recorded):
            return
        state.attempts[name] += 1
        self.records.step_running(state.row_ids[name], state.attempts[name], key, recorded)
        self.records.add_links(state.row_ids[name], _input_links(inputs, node.literals))
        task = StepTask(
            step_run_id=state.row_ids[name],
            pipeline_run_id=run_id,
            step_name=name,
            function=node.step.function_ref,
            inputs=inputs,
            literals=dict(node.literals),
            open_workspace=self.open_workspace,
            attempt=state.attempts[name],
            timeout_s=options.timeout_s,
            cpus=options.cpus,
            memory=options.memory,
            gpus=options.gpus,
            outputs=options.outputs,
            lineage=versions_reaching(graph, name, state.outputs),
        )
        now = self.monotonic()
        state.started[name] = now
        state.deadlines[name] = None if options.timeout_s is None else now + options.timeout_s
        self._emit(state, name, StepStatus.RUNNING)
        self.executor.submit(task)

    def _reuse(
        self,
        node: Node,
        state: _State,
        key: str,
        inputs: dict[str, OutputRef],
        recorded: dict[str, Any],
    ) -> bool:
        """Mark the step cached if some run stored outputs under ``key`` that still exist."""
        hit = self.records.find_cached(key)
        if hit is None or not hit.output:
            return False
        output = OutputRef.from_json(hit.output)
        if not output_exists(self.blobs, output):
            return False  # collected by `driftloop gc`: compute it again
        self.records.step_cached(state.row_ids[node.name], key, recorded, hit)
        links = _input_links(inputs, node.literals)
        links += [(p.kind, p.ref, "output") for p in (output, *output.parts) if p.ref]
        self.records.add_links(state.row_ids[node.name], links)
        state.outputs[node.name] = output
        self._emit(state, node.name, StepStatus.CACHED)
        return True

    def _deadline(self, graph: Graph, state: _State, name: str) -> float | None:
        """When the running step ``name`` times out: from when its worker began it, if the
        executor says (``ReportsStart``; None until then), else from its submission."""
        deadline = state.deadlines[name]
        if deadline is None or not isinstance(self.executor, ReportsStart):
            return deadline
        began = self.executor.started_at(state.row_ids[name])
        timeout = graph.nodes[name].step.options.timeout_s or 0.0
        return None if began is None else began + timeout

    def _next_wake(self, graph: Graph, state: _State, last_beat: float) -> float:
        now = self.monotonic()
        moments = [last_beat + self.heartbeat_s]
        moments += [d for n in state.deadlines if (d := self._deadline(graph, state, n))]
        moments += list(state.retry_at.values())
        if not state.deadlines:
            moments.append(min(state.retry_at.values(), default=now))
        return max(0.0, min(moments) - now)

    def _finished(self, graph: Graph, state: _State, result: StepResult) -> None:
        name = next(n for n, i in state.row_ids.items() if i == result.step_run_id)
        if name not in state.deadlines:
            return  # a late result of an attempt already given up (timed out)
        del state.deadlines[name]
        duration = self.monotonic() - state.started.pop(name)
        logs = {"stdout_digest": result.stdout_digest, "stderr_digest": result.stderr_digest}
        self.records.add_links(result.step_run_id, result.links)
        if result.ok:
            assert result.output is not None
            state.outputs[name] = result.output
            self.records.update_step(
                result.step_run_id,
                status=StepStatus.SUCCEEDED.value,
                output=result.output.to_json(),
                ended_at=self.records.clock(),
                duration_s=duration,
                **logs,
            )
            self._emit(state, name, StepStatus.SUCCEEDED)
            return
        self._failed(graph, state, name, result, duration, logs)

    def _failed(
        self,
        graph: Graph,
        state: _State,
        name: str,
        result: StepResult,
        duration: float,
        logs: dict[str, str | None],
    ) -> None:
        options = graph.nodes[name].step.options
        attempt = state.attempts[name]
        error = f"attempt {attempt}: {result.error_text}"
        state.errors[name] = result
        final = attempt > options.retries
        self.records.update_step(
            result.step_run_id,
            status=(StepStatus.FAILED if final else StepStatus.PENDING).value,
            error=error + (f"\n{result.log_tail}" if result.log_tail else ""),
            ended_at=self.records.clock(),
            duration_s=duration,
            **logs,
        )
        if not final:
            state.retry_at[name] = self.monotonic() + options.delay_before(attempt + 1)
            self._emit(state, name, StepStatus.PENDING)
            return
        self._emit(state, name, StepStatus.FAILED)
        self._skip_downstream(graph, state, name)

    def _skip_downstream(self, graph: Graph, state: _State, failed: str) -> None:
        todo, skipped = [failed], []
        while todo:
            for child in graph.dependents(todo.pop()):
                if state.status[child] is StepStatus.PENDING:
                    state.status[child] = StepStatus.SKIPPED
                    skipped.append(child)
                    todo.append(child)
        self.records.skip([state.row_ids[n] for n in skipped], f"upstream step {failed!r} failed")
        for name in skipped:
            self._emit(state, name, StepStatus.SKIPPED)

    def _expire(self, graph: Graph, state: _State) -> None:
        now = self.monotonic()
        for name in list(state.deadlines):
            deadline = self._deadline(graph, state, name)
            if deadline is None or deadline > now:
                continue
            self.executor.cancel(state.row_ids[name])
            timeout = graph.nodes[name].step.options.timeout_s
            result = StepResult(
                state.row_ids[name],
                False,
                error_type="TimeoutError",
                error_message=f"step {name!r} ran longer than its timeout of {timeout:g} s "
                "and was stopped",
                is_user_error=False,
            )
            self._finished(graph, state, result)


def _recorded_inputs(
    inputs: Mapping[str, OutputRef], literals: Mapping[str, Any]
) -> dict[str, Any]:
    from driftloop._serialization import to_jsonable

    recorded: dict[str, Any] = {arg: ref.to_json() for arg, ref in inputs.items()}
    for arg, value in literals.items():
        kind = _version_kind(type(value))
        recorded[arg] = {"kind": kind, "ref": value.ref} if kind else to_jsonable(value)
    return recorded


def _input_links(
    inputs: Mapping[str, OutputRef], literals: Mapping[str, Any]
) -> list[tuple[str, str, str]]:
    links = [(ref.kind, ref.ref, "input") for ref in inputs.values() if ref.ref]
    for value in literals.values():
        kind = _version_kind(type(value))
        if kind:
            links.append((kind, value.ref, "input"))
    return links


def _failure_summary(state: _State, failed: list[str]) -> str:
    parts = []
    for name in failed:
        result = state.errors.get(name)
        if result is None:
            parts.append(f"step {name!r} failed")
            continue
        text = f"step {name!r} failed after {state.attempts[name]} attempt(s): {result.error_text}"
        if result.log_tail:
            text += "\n--- log tail ---\n" + result.log_tail
        parts.append(text)
    return "\n".join(parts)
