"""Executors by name: ``"local"`` (``"local:4"`` for four workers), ``"ray"``, ``"ray://host:port"``.

The Ray executor lives in ``_ray.py`` and is imported only when asked for, so Ray is
an optional dependency (``pip install 'driftloop[ray]'``).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from driftloop.errors import InvalidInputError, require_extra
from driftloop.pipelines._protocols import StepExecutor

EXECUTORS = ("local", "local:N", "ray", "ray://host:port")


def check_executor(spec: str) -> str:
    """``spec`` if it names an executor, else an error listing the valid ones."""
    if spec == "local" or spec == "ray" or spec.startswith("ray://"):
        return spec
    if spec.startswith("local:") and spec[6:].isdigit() and int(spec[6:]) > 0:
        return spec
    raise InvalidInputError(f"executor {spec!r} is not known; use one of: {', '.join(EXECUTORS)}")


def open_executor(
    spec: str, local: Callable[[int | None], StepExecutor]
) -> tuple[StepExecutor, Callable[[], None]]:
    """The executor ``spec`` names and what to call once the run is over.

    ``local(workers)`` gives the process's shared local pool (kept between runs). A run
    has the pool to itself: a second run at the same time in this process (two threads)
    gets a pool of its own, closed after it, rather than mixing the two runs' results.
    """
    check_executor(spec)
    if spec == "local" or spec.startswith("local:"):
        workers = None if spec == "local" else int(spec[6:])
        shared = local(workers)
        lease = getattr(shared, "lease", None)
        if lease is None or lease.acquire(blocking=False):
            return shared, (lease.release if lease is not None else _nothing)
        from driftloop.pipelines._local import LocalExecutor

        own = LocalExecutor(workers)
        return own, own.close
    require_extra("ray", "ray", "The Ray executor")
    try:
        module = importlib.import_module("driftloop.pipelines._ray")
    except ModuleNotFoundError as exc:
        raise InvalidInputError(f"the Ray executor is not part of this driftloop ({exc})") from exc
    executor: StepExecutor = module.RayExecutor(None if spec == "ray" else spec)
    return executor, executor.close


def _nothing() -> None:
    return None
