"""The contract of a step executor: where and how one attempt of a step runs.

The orchestrator (``_orchestrator.py``) owns the DAG, the records, caching, retries and
timeouts; an executor only runs :class:`~driftloop.pipelines._models.StepTask` objects
and hands back :class:`~driftloop.pipelines._models.StepResult` objects. A worker runs a
task by calling :func:`driftloop.pipelines._worker.execute_task`, which loads the inputs,
calls the step with its output captured, and stores the output; so the local process
pool and Ray share everything but the transport.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from driftloop.pipelines._models import StepResult, StepTask


class StepExecutor(Protocol):
    """Runs step tasks, several at once.

    - ``capacity``: how many tasks it runs at once (the orchestrator never submits more).
    - ``submit(task)``: start the task and return at once.
    - ``wait(timeout_s)``: block up to ``timeout_s`` seconds until at least one submitted
      task finished; return the results of all finished tasks (possibly none). A task
      whose worker died (killed, crashed, out of memory) comes back as a result with
      ``ok=False`` and ``is_user_error=False``, never lost.
    - ``cancel(step_run_id)``: stop a running task now (a timeout); it yields no result.
    - ``close()``: stop the workers; idempotent.
    """

    @property
    def capacity(self) -> int: ...

    def submit(self, task: StepTask) -> None: ...

    def wait(self, timeout_s: float) -> list[StepResult]: ...

    def cancel(self, step_run_id: str) -> None: ...

    def close(self) -> None: ...


@runtime_checkable
class ReportsStart(Protocol):
    """Optional ability: say when a worker actually began a task.

    With it, a step's timeout counts from that moment (a worker that is still starting
    up, or a task queued in a cluster, does not eat into it); without it, from submit.
    """

    def started_at(self, step_run_id: str) -> float | None:
        """``time.monotonic()`` when the task began, or None while it has not."""
        ...
