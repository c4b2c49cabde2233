"""Batch scoring on Ray: each chunk is a Ray task, at most a few in flight at once.

The model is put in Ray's object store once and shared by every task; chunks go in
as Arrow tables and come back scored. Results are taken in submission order, so the
output parts keep the input's row order. A Ray already initialised in this process
is used as it is; otherwise ``executor="ray"`` starts a local one (stopped again
afterwards) and ``"ray://host:port"`` connects to a cluster.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Iterator
from typing import Any

import pyarrow as pa

from driftloop.errors import (
    BackendUnavailableError,
    DriftloopError,
    UserCodeError,
    require_extra,
)
from driftloop.registry._package import LoadedModel
from driftloop.serving._scoring import score_chunk

IN_FLIGHT_PER_CPU = 2  # enough to keep every worker busy, few enough to bound memory


def _start(ray: Any, executor: str) -> bool:
    """Initialise Ray for ``executor`` unless it already is; True if started here."""
    if ray.is_initialized():
        return False
    # "local": start a Ray of our own, even when another is running on this machine.
    address = executor if executor.startswith("ray://") else "local"
    try:
        ray.init(
            address=address,
            include_dashboard=False,
            log_to_driver=False,
            configure_logging=False,
        )
    except (ConnectionError, RuntimeError) as exc:
        where = address or "a local Ray"
        raise BackendUnavailableError(f"could not start or reach {where}: {exc}") from exc
    return True


def _in_flight(ray: Any) -> int:
    cpus = int(ray.cluster_resources().get("CPU", os.cpu_count() or 1))
    return max(1, cpus * IN_FLIGHT_PER_CPU)


def score_on_ray(
    model: LoadedModel, chunks: Iterator[pa.Table], executor: str
) -> Iterator[pa.Table]:
    """Score ``chunks`` as Ray tasks; yields the scored tables in input order."""
    ray = require_extra("ray", "ray", "Batch scoring with --executor ray")
    started = _start(ray, executor)
    try:
        task = ray.remote(score_chunk)
        shared = ray.put(model)
        pending: deque[Any] = deque()
        window = _in_flight(ray)
        for chunk in chunks:
            pending.append(task.remote(shared, chunk))
            if len(pending) >= window:
                yield _get(ray, pending.popleft())
        while pending:
            yield _get(ray, pending.popleft())
    finally:
        if started:
            ray.shutdown()


def _get(ray: Any, ref: Any) -> pa.Table:
    try:
        table: pa.Table = ray.get(ref)
    except ray.exceptions.RayTaskError as exc:
        cause = getattr(exc, "cause", None)
        if isinstance(cause, DriftloopError):
            raise cause from exc  # e.g. input the signature refused, as it was raised
        raise UserCodeError("batch scoring on Ray", cause or exc) from exc
    return table
