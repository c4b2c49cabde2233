"""Run heartbeats: a run whose process died stops beating and reads as ``killed``.

Each process beats for its own active runs from one small daemon thread (started with
the first run, stopped by :meth:`Heartbeat.close`), writing ``runs.heartbeat_at``
every ``interval_s``. A reader sweeps runs still ``running`` whose last beat is older
than :data:`STALE_AFTER`: they become ``killed``, ending at their last beat. A run
whose process was only paused (a suspended laptop) beats again and is ``running``
once more.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Collection
from datetime import datetime, timedelta

from sqlalchemy import select, update

from driftloop.errors import DriftloopError
from driftloop.store import MetadataStore, RunRow, utcnow

Clock = Callable[[], datetime]

HEARTBEAT_INTERVAL_S = 15.0
# Eight missed beats: a busy machine or a long GC pause never looks like a dead process.
STALE_AFTER = timedelta(seconds=HEARTBEAT_INTERVAL_S * 8)

SWEEP_EVERY = timedelta(seconds=5)

SWEEP_EVERY = timedelta(seconds=5)

_RUNNING, _KILLED = "running", "killed"


class Heartbeat:
    """Beats for the runs this process has active; thread-safe.

    Example::

        heartbeat = Heartbeat(store)
        heartbeat.add(run_id)      # starts the thread on the first run
        heartbeat.discard(run_id)  # when the run ends
        heartbeat.close()
    """

    def __init__(
        self, store: MetadataStore, clock: Clock = utcnow, interval_s: float = HEARTBEAT_INTERVAL_S
    ) -> None:
        self._store = store
        self._clock = clock
        self._interval_s = interval_s
        self._runs: set[str] = set()
        self._lock = threading.Lock()
        self._beat_lock = threading.Lock()  # held while a beat is written
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._swept_at: datetime | None = None

    @property
    def active(self) -> frozenset[str]:
        with self._lock:
            return frozenset(self._runs)

    def add(self, run_id: str) -> None:
        with self._lock:
            self._runs.add(run_id)
            if self._thread is None and not self._stop.is_set():
                self._thread = threading.Thread(
                    target=self._loop, name="driftloop-heartbeat", daemon=True
                )
                self._thread.start()

    def discard(self, run_id: str) -> None:
        """Stop beating for ``run_id``; once this returns no beat of it is in flight, so
        a status the caller writes next is never overwritten by a late beat."""
        with self._beat_lock, self._lock:
            self._runs.discard(run_id)

    def beat(self) -> None:
        """Record now as the last sign of life of every active run (revives a swept one)."""
        with self._beat_lock:
            runs = self.active
            if runs:
                self._write_beat(runs)

    def _write_beat(self, runs: frozenset[str]) -> None:
        with self._store.session() as session:
            session.execute(
                update(RunRow)
                .where(RunRow.id.in_(runs), RunRow.status.in_([_RUNNING, _KILLED]))
                .values(heartbeat_at=self._clock(), status=_RUNNING, end_time=None)
            )

    def _loop(self) -> None:
        while not self._stop.wait(self._interval_s):
            # the store is away: the next beat tries again; readers wait STALE_AFTER
            with contextlib.suppress(DriftloopError):
                self.beat()

    def sweep(self, now: datetime) -> None:
        """Sweep stale runs of other processes, at most once per :data:`SWEEP_EVERY`."""
        with self._lock:
            last = self._swept_at
            if last is not None and timedelta(0) <= now - last < SWEEP_EVERY:
                return
            self._swept_at = now
        sweep_stale_runs(self._store, now, keep=self.active)

    def close(self) -> None:
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout=5)


def sweep_stale_runs(
    store: MetadataStore,
    now: datetime,
    keep: Collection[str] = (),
    stale_after: timedelta = STALE_AFTER,
) -> list[str]:
    """Mark ``killed`` the running runs whose last beat is before ``now - stale_after``.

    ``keep`` are this process's own active runs, never swept. Returns the swept ids.
    Reads first, so the common case (nothing stale) takes no write lock.
    """
    cutoff = now - stale_after
    stale = (RunRow.status == _RUNNING) & (RunRow.heartbeat_at < cutoff)
    with store.read() as session:
        ids = [i for i in session.scalars(select(RunRow.id).where(stale)) if i not in keep]
    if ids:
        with store.session() as session:
            session.execute(
                update(RunRow)
                .where(RunRow.id.in_(ids), stale)
                .values(status=_KILLED, end_time=RunRow.heartbeat_at)
            )
    return ids
