"""The native thread pools (OpenMP, BLAS) of a server process, limited once at startup.

A server answers many small requests at once; a one-row predict gains nothing from a
team of OpenMP threads and, on a busy machine, waits for it: idle team threads
spin-wait for cores other processes hold. A HistGradientBoosting one-row predict took
328 ms with the default team on a busy 2-core machine and 13.8 ms on one thread. So
``driftloop serve`` runs predicts on ``ServeSettings.predict_threads`` native threads
(1 unless told otherwise; 0 leaves the libraries' defaults). ``driftloop score``
(batch scoring, one big predict) is not limited.

The limit is set once per process, before models load, never toggled per request:
threadpoolctl's limits are process-wide state for BLAS, and OpenMP's limit belongs to
the calling thread. Hence two levers: ``OMP_NUM_THREADS`` (and the BLAS variables),
which an OpenMP runtime reads when it loads, so every thread of the process, the
event loop's and the pool's that run big requests, starts limited; and threadpoolctl
on the calling thread (the one that runs the event loop, where small requests are
predicted), for runtimes already loaded.
"""

from __future__ import annotations

import os
from typing import Any

from driftloop.errors import InvalidInputError

_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def limit_native_threads(threads: int) -> None:
    """Limit this process's OpenMP and BLAS pools to ``threads`` (0: leave them alone).

    Call it in each server process, in the thread that will run the event loop, before
    models load. It overrides ``OMP_NUM_THREADS`` and friends when ``threads`` is not 0.

    Example::

        limit_native_threads(1)
        uvicorn.Server(config).run()
    """
    if threads < 0:
        raise InvalidInputError(
            f"predict threads must be 0 (the libraries' default) or more; got {threads}"
        )
    if threads == 0:
        return
    for name in _VARIABLES:
        os.environ[name] = str(threads)
    from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

    threadpool_limits(limits=threads)


def native_threads() -> dict[str, int]:
    """The most threads a pool of each loaded API (``openmp``, ``blas``) would use here.

    OpenMP's figure is the calling thread's. Scanning the loaded libraries takes about
    a millisecond: for a scrape, not for the request path.
    """
    from threadpoolctl import threadpool_info

    found: dict[str, int] = {}
    pools: list[dict[str, Any]] = threadpool_info()
    for pool in pools:
        api, count = str(pool["user_api"]), int(pool["num_threads"])
        found[api] = max(found.get(api, 0), count)
    return found
