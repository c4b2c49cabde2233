"""Profiles computed after a version is registered, by one daemon thread per service.

Registering a version needs its files checked and stored, not its statistics; the
profile scan is the slow part of a log (a full DuckDB pass), so it follows here. A
job that has not finished when the service closes is abandoned: its scan is
interrupted, nothing is written, and the profile is computed on first use instead.
"""

from __future__ import annotations

import atexit
import contextlib
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# Computes and stores one profile on the DuckDB connection it is given.
Job = Callable[[Any], None]


@dataclass(slots=True)
class _Pending:
    run: Job
    done: threading.Event = field(default_factory=threading.Event)


class ProfileWorker:
    """Runs profile jobs one at a time, in submission order, off the caller's thread."""

    def __init__(self, connect: Callable[[], Any]) -> None:
        self._connect = connect
        self._queue: queue.Queue[int | None] = queue.Queue()
        self._pending: dict[int, _Pending] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._closed = False
        self._con: Any = None

    def submit(self, version_id: int, run: Job) -> None:
        """Queue ``run`` for version ``version_id``; ignored once the worker is closed."""
        with self._lock:
            if self._closed or version_id in self._pending:
                return
            self._pending[version_id] = _Pending(run)
            if self._thread is None:
                # A daemon: a process that exits (a CLI command) never waits for a profile.
                self._thread = threading.Thread(
                    target=self._loop, name="driftloop-profile", daemon=True
                )
                self._thread.start()
                # A DuckDB scan still running while the interpreter finalizes aborts the
                # process: interrupt it at exit (atexit runs before that, after main).
                atexit.register(self.close)
        self._queue.put(version_id)

    def wait(self, version_id: int, timeout: float | None = None) -> bool:
        """Wait for the job of ``version_id`` if one is queued or running; False if none."""
        with self._lock:
            pending = self._pending.get(version_id)
        if pending is None:
            return False
        pending.done.wait(timeout)
        return True

    def is_pending(self, version_id: int) -> bool:
        with self._lock:
            return version_id in self._pending

    def close(self, timeout: float = 5.0) -> None:
        """Abandon queued jobs, interrupt the running scan and wait for the thread to end."""
        with self._lock:
            self._closed = True
            thread, con = self._thread, self._con
        atexit.unregister(self.close)
        if con is not None:
            # The connection may be closing already; an interrupt is then moot.
            with contextlib.suppress(Exception):
                con.interrupt()
        self._queue.put(None)
        if thread is not None:
            thread.join(timeout)

    def _loop(self) -> None:
        while (version_id := self._queue.get()) is not None:
            with self._lock:
                pending = self._pending.get(version_id)
                closed = self._closed
            if pending is None:
                continue
            try:
                if not closed:
                    self._run(pending.run)
            finally:
                with self._lock:
                    del self._pending[version_id]
                pending.done.set()
        self._release_all()

    def _run(self, run: Job) -> None:
        con = self._connect()
        with self._lock:
            self._con = con
        try:
            run(con)
        except Exception:
            # The version stays without a profile; the first use computes it and reports
            # whatever went wrong to a caller who can act on it.
            pass
        finally:
            with self._lock:
                self._con = None
            con.close()

    def _release_all(self) -> None:
        with self._lock:
            left = list(self._pending.values())
            self._pending.clear()
        for pending in left:
            pending.done.set()

    @property
    def closed(self) -> bool:
        return self._closed
