"""The local executor: a pool of worker processes, started once and reused.

Each step attempt runs in a worker process, so a step that crashes, leaks or hangs
takes down only its worker: the pool starts another and the run carries on. Workers
are started on demand (a fully cached run starts none) and kept for the next run of
the same process, so a step costs a message round trip, not a Python start-up.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any

from driftloop.errors import InvalidInputError
from driftloop.pipelines._models import StepResult, StepTask


def serve(fd: int) -> None:
    """A worker's loop: run each task it is sent until the pool closes the connection.

    The first message is the pool's ``sys.path``, so the worker imports what it imports.
    """
    from driftloop.pipelines._worker import close_workspaces, execute_task

    conn = Connection(fd)
    try:
        sys.path[:] = conn.recv()
        while (task := conn.recv()) is not None:
            # Said first, so a timeout counts from here, not from this worker's start-up.
            conn.send(("started", task.step_run_id))
            conn.send(("result", execute_task(task)))
    except (EOFError, OSError):
        pass
    finally:
        close_workspaces()


@dataclass
class _Worker:
    process: subprocess.Popen[bytes]
    conn: Connection
    task: StepTask | None = None

    def is_alive(self) -> bool:
        return self.process.poll() is None


class LocalExecutor:
    """Runs steps in up to ``workers`` processes of this machine (default: its CPU count).

    Example::

        executor = LocalExecutor(workers=2)
        executor.submit(task); results = executor.wait(1.0); executor.close()
    """

    def __init__(self, workers: int | None = None) -> None:
        count = workers if workers is not None else (os.cpu_count() or 1)
        if count < 1:
            raise InvalidInputError(f"the local executor needs at least 1 worker; got {count}")
        self._capacity = count
        self._idle: list[_Worker] = []
        self._busy: dict[str, _Worker] = {}
        self._lost: list[StepResult] = []
        # Held by the one run using this pool (see ``open_executor``).
        self.lease = threading.Lock()
        self._started: dict[str, float] = {}
        # Workers stop when the pool closes: at the latest when this interpreter exits.
        atexit.register(self.close)

    @property
    def capacity(self) -> int:
        return self._capacity

    def _spawn(self) -> _Worker:
        # A fresh interpreter (not multiprocessing's spawn, which re-runs the caller's
        # main script, nor fork, unsafe with the store's threads); the connection is a
        # socket of its own, so the step's stdout and stderr stay free to capture.
        parent, child = socket.socketpair()
        command = f"from driftloop.pipelines._local import serve; serve({child.fileno()})"
        process = subprocess.Popen(
            [sys.executable, "-c", command], pass_fds=(child.fileno(),), stdin=subprocess.DEVNULL
        )
        child.close()
        conn = Connection(parent.detach())
        conn.send(list(sys.path))
        return _Worker(process, conn)

    def warm_up(self, count: int | None = None) -> None:
        """Start workers ahead of the first step (they start on demand otherwise)."""
        while len(self._idle) + len(self._busy) < min(count or self._capacity, self._capacity):
            self._idle.append(self._spawn())

    def submit(self, task: StepTask) -> None:
        worker = self._idle.pop() if self._idle else self._spawn()
        if not worker.is_alive():
            worker = self._spawn()
        worker.task = task
        self._busy[task.step_run_id] = worker
        try:
            worker.conn.send(task)
        except (OSError, EOFError) as exc:
            self._retire(task.step_run_id)
            self._lost.append(_lost(task, f"could not reach its worker process ({exc})"))
        except Exception as exc:  # pickling a literal argument failed
            self._busy.pop(task.step_run_id)
            worker.task = None
            self._idle.append(worker)
            self._lost.append(
                StepResult(
                    task.step_run_id,
                    False,
                    error_type=type(exc).__name__,
                    error_message=f"the arguments of step {task.step_name!r} cannot be sent to "
                    f"a worker process: {exc}",
                )
            )

    def wait(self, timeout_s: float) -> list[StepResult]:
        if self._lost:
            lost, self._lost = self._lost, []
            return lost
        if not self._busy:
            time.sleep(timeout_s)
            return []
        # A dead worker's socket reads as end-of-file: its connection is ready too.
        waitables: dict[Any, str] = {w.conn: step_id for step_id, w in self._busy.items()}
        results: list[StepResult] = []
        for ready in wait(list(waitables), timeout_s):
            step_id = waitables[ready]
            worker = self._busy.get(step_id)
            if worker is None:
                continue
            result = self._receive(worker)
            if result is not None:
                results.append(result)
        return results

    def _receive(self, worker: _Worker) -> StepResult | None:
        """The worker's result if it sent it; a lost-worker result if it died; else None."""
        assert worker.task is not None
        task = worker.task
        try:
            while worker.conn.poll():
                kind, payload = worker.conn.recv()
                if kind == "started":
                    self._started[task.step_run_id] = time.monotonic()
                    continue
                self._busy.pop(task.step_run_id)
                self._started.pop(task.step_run_id, None)
                worker.task = None
                self._idle.append(worker)
                result: StepResult = payload
                return result
            return None
        except (EOFError, OSError):
            pass
        code = worker.process.poll()
        if code is None:
            worker.process.kill()
            code = worker.process.wait()
        self._retire(task.step_run_id)
        return _lost(task, f"its worker process died (exit code {code})")

    def started_at(self, step_run_id: str) -> float | None:
        """When (``time.monotonic()``) a worker began the task; None while it has not."""
        return self._started.get(step_run_id)

    def _retire(self, step_run_id: str) -> None:
        self._started.pop(step_run_id, None)
        worker = self._busy.pop(step_run_id, None)
        if worker is None:
            return
        if worker.is_alive():
            worker.process.kill()
        worker.process.wait(5)
        worker.conn.close()

    def cancel(self, step_run_id: str) -> None:
        self._retire(step_run_id)

    def close(self) -> None:
        for worker in self._idle:
            with contextlib.suppress(OSError, EOFError):
                worker.conn.send(None)
        for worker in self._idle:
            try:
                worker.process.wait(5)
            except subprocess.TimeoutExpired:
                worker.process.kill()
                worker.process.wait()
            worker.conn.close()
        for step_id in list(self._busy):
            self._retire(step_id)
        self._idle = []
        atexit.unregister(self.close)


def _lost(task: StepTask, why: str) -> StepResult:
    return StepResult(
        task.step_run_id,
        False,
        error_type="WorkerLost",
        error_message=f"step {task.step_name!r} did not finish: {why}",
        is_user_error=False,
    )
