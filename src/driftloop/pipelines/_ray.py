"""The Ray executor: each step attempt is a Ray task, on a local Ray or a cluster.

Only the transport differs from the local executor: the task runs
:func:`driftloop.pipelines._worker.execute_task` inside a Ray worker, so records,
caching, logs and outputs are the same, and the orchestrator keeps the retries (Ray's
own are turned off, so an attempt is counted once). A step's ``cpus``, ``memory`` and
``gpus`` become the task's ``num_cpus``, ``memory`` and ``num_gpus``; a request the
cluster can never meet fails the step at once instead of waiting forever.

``RayExecutor(None)`` joins the Ray this process already joined, or starts a small
local one on demand (2 CPUs, a 100 MB object store, no dashboard) and keeps it for the
next runs of the process; ``RayExecutor("ray://host:port")`` connects to a cluster
(Ray Client; install ``ray[client]`` there). Ray's errors are translated here.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import threading
import time
from typing import Any

from driftloop.errors import BackendUnavailableError, InvalidInputError, require_extra
from driftloop.pipelines._models import StepResult, StepTask

__all__ = ["LOCAL_NUM_CPUS", "LOCAL_OBJECT_STORE_BYTES", "RayExecutor", "connect_ray"]

LOCAL_NUM_CPUS = 2
LOCAL_OBJECT_STORE_BYTES = 100 * 1024 * 1024

# A ray:// handshake the server side failed is tried once more, a second later. Ray
# reports such a failure only after about a minute, so a lasting one (a broken runtime
# env on the cluster) costs about two minutes, not one per attempt of a longer series.
CLIENT_CONNECT_ATTEMPTS = 2
CLIENT_RETRY_DELAY_S = 1.0

log = logging.getLogger("driftloop.pipelines.ray")

_connect_lock = threading.Lock()


def _ray() -> Any:
    return require_extra("ray", "ray", "The Ray executor")


def connect_ray(address: str | None = None) -> Any:
    """Join Ray (``address`` or a new small local instance) once per process; the module.

    Raises:
        MissingExtraError: Ray is not installed (``pip install 'driftloop[ray]'``).
        BackendUnavailableError: Ray at ``address`` cannot be reached or started.
    """
    ray = _ray()
    if address is not None and not address.startswith("ray://"):
        raise InvalidInputError(
            f"Ray address {address!r} is not allowed; give 'ray://host:port' or none for a "
            "local Ray"
        )
    with _connect_lock:
        if ray.is_initialized():
            return ray  # a Ray this process joined already (a notebook, a test fixture)
        options: dict[str, Any] = {
            "include_dashboard": False,
            "log_to_driver": False,  # each step's output is captured into its own log
            "configure_logging": False,
        }
        if address is None:
            options.update(num_cpus=LOCAL_NUM_CPUS, object_store_memory=LOCAL_OBJECT_STORE_BYTES)
        for attempt in range(1, CLIENT_CONNECT_ATTEMPTS + 1):
            try:
                # "local" starts a new instance: never joins a cluster found on this machine.
                ray.init(address=address or "local", **options)
                break
            except Exception as exc:  # Ray raises ConnectionError, RuntimeError, ValueError...
                last = address is None or attempt == CLIENT_CONNECT_ATTEMPTS
                if last or not _server_init_failed(exc):
                    raise _unreachable(address, exc, attempt) from exc
                log.warning("Ray at %s refused the handshake on its side; trying again: %s",
                            address, exc)  # fmt: skip
                with contextlib.suppress(Exception):
                    ray.shutdown()  # drop the half-made client before the next handshake
                time.sleep(CLIENT_RETRY_DELAY_S)
    return ray


def _server_init_failed(exc: Exception) -> bool:
    """Whether a Ray Client handshake failed on the server's side, worth one more try.

    The cluster's client proxy starts a new server process for each connecting client;
    that start can fail once (the forked process crashes before it runs, seen under
    load), and the next connection gets a new one. Ray reports it as this error.
    """
    return isinstance(exc, ConnectionAbortedError)


def _unreachable(address: str | None, exc: Exception, attempts: int) -> BackendUnavailableError:
    where = address or "a new local instance"
    tries = f" after {attempts} attempts" if attempts > 1 else ""
    return BackendUnavailableError(
        f"could not start or reach Ray ({where}){tries}: {type(exc).__name__}: {exc}; check "
        "the address and that the cluster runs the same Ray and Python versions "
        "(ray:// needs `pip install 'ray[client]'`)"
    )


def run_on_worker(task: StepTask, path: list[str]) -> StepResult:
    """The Ray task: run one attempt as the local executor's worker does."""
    # The driver's import path (pipeline modules outside site-packages) where it exists.
    sys.path[:0] = [entry for entry in path if entry not in sys.path]
    from driftloop.pipelines._worker import execute_task

    return execute_task(task)


class RayExecutor:
    """Runs step tasks as Ray tasks (see the module docstring for where).

    Example::

        executor = RayExecutor()            # or RayExecutor("ray://head:10001")
        executor.submit(task); results = executor.wait(1.0); executor.close()
    """

    def __init__(self, address: str | None = None) -> None:
        self._ray = connect_ray(address)
        self.address = address
        self._remote = self._ray.remote(run_on_worker)
        self._resources = self._cluster_resources()
        self._running: dict[str, tuple[Any, StepTask]] = {}
        self._done: list[StepResult] = []

    def _cluster_resources(self) -> dict[str, float]:
        try:
            return {str(k): float(v) for k, v in self._ray.cluster_resources().items()}
        except Exception as exc:
            raise BackendUnavailableError(f"Ray did not report its resources: {exc}") from exc

    @property
    def capacity(self) -> int:
        return max(1, int(self._resources.get("CPU", 1)))

    def submit(self, task: StepTask) -> None:
        problem = self._infeasible(task)
        if problem is not None:
            self._done.append(_failed(task, "ResourcesUnavailable", problem))
            return
        options: dict[str, Any] = {
            "num_cpus": 1 if task.cpus is None else task.cpus,
            "max_retries": 0,  # the orchestrator retries, and counts each attempt
            "retry_exceptions": False,
        }
        if task.memory is not None:
            options["memory"] = task.memory
        if task.gpus is not None:
            options["num_gpus"] = task.gpus
        try:
            ref = self._remote.options(**options).remote(task, list(sys.path))
        except Exception as exc:  # the task's arguments could not be serialised
            self._done.append(
                _failed(
                    task,
                    type(exc).__name__,
                    f"the arguments of step {task.step_name!r} cannot be sent to Ray: {exc}",
                    is_user_error=True,
                )
            )
            return
        self._running[task.step_run_id] = (ref, task)

    def _infeasible(self, task: StepTask) -> str | None:
        asked = {"CPU": task.cpus, "memory": task.memory, "GPU": task.gpus}
        for resource, amount in asked.items():
            have = self._resources.get(resource, 0.0)
            if amount is not None and amount > have:
                return (
                    f"step {task.step_name!r} asks for {_amount(resource, amount)} but the "
                    f"Ray cluster has {_amount(resource, have)} in all; lower the step's "
                    "request or add nodes"
                )
        return None

    def wait(self, timeout_s: float) -> list[StepResult]:
        if self._done:
            done, self._done = self._done, []
            return done
        if not self._running:
            time.sleep(timeout_s)
            return []
        by_ref = {ref: step_id for step_id, (ref, _) in self._running.items()}
        ready, _ = self._ray.wait(list(by_ref), num_returns=1, timeout=timeout_s)
        if ready:  # collect every other task that is done too, without waiting
            ready, _ = self._ray.wait(list(by_ref), num_returns=len(by_ref), timeout=0)
        results = [self._collect(by_ref[ref]) for ref in ready]
        return [r for r in results if r is not None]

    def _collect(self, step_run_id: str) -> StepResult | None:
        ref, task = self._running.pop(step_run_id)
        errors = self._ray.exceptions
        try:
            result: StepResult = self._ray.get(ref)
            return result
        except errors.TaskCancelledError:
            return None
        except errors.RayTaskError as exc:  # raised outside the step: the worker's setup
            cause = getattr(exc, "cause", None) or exc
            return _failed(task, type(cause).__name__, f"the Ray worker failed: {cause}")
        except errors.RayError as exc:  # worker or node died, out of memory, object lost
            return _failed(task, "WorkerLost", f"step {task.step_name!r} did not finish: {exc}")

    def cancel(self, step_run_id: str) -> None:
        found = self._running.pop(step_run_id, None)
        if found is not None:
            # A task that ended meanwhile has nothing left to stop.
            with contextlib.suppress(Exception):
                self._ray.cancel(found[0], force=True)

    def close(self) -> None:
        """Stop this executor's unfinished tasks; the Ray instance stays for the process."""
        for step_run_id in list(self._running):
            self.cancel(step_run_id)


def _amount(resource: str, amount: float) -> str:
    if resource == "memory":
        return f"{amount / 1024**3:.2f} GB of memory"
    return f"{amount:g} {resource}{'s' if amount != 1 else ''}"


def _failed(
    task: StepTask, error_type: str, message: str, *, is_user_error: bool = False
) -> StepResult:
    return StepResult(
        task.step_run_id,
        False,
        error_type=error_type,
        error_message=message,
        is_user_error=is_user_error,
    )
