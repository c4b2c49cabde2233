"""Background writer: metric values are buffered and written in batches.

``log_metric`` only appends a tuple to a list, so a training loop never waits on
the database. A daemon thread writes the buffer every ``interval_s`` or as soon as
it holds ``batch_size`` values; ``flush()`` writes everything now. The owner calls
``flush()`` when a run ends, and the writer flushes at interpreter exit.

A failed write never poisons the writer: when the store refuses a batch, the values
it accepts are stored and the refused ones dropped with a warning; only an unreachable
store (:class:`BackendUnavailableError`) keeps the values for the next flush.
"""

from __future__ import annotations

import atexit
import threading
import weakref
from collections.abc import Callable, Sequence

from driftloop.errors import BackendUnavailableError, MetricWriteWarning, warn

MetricTuple = tuple[str, str, float, int, int]  # run_id, key, value, step, timestamp_ms
WriteBatch = Callable[[Sequence[MetricTuple]], None]


class MetricWriter:
    def __init__(self, write: WriteBatch, *, interval_s: float = 0.5, batch_size: int = 20_000):
        self._write = write
        self._interval_s = interval_s
        self._batch_size = batch_size
        self._buffer: list[MetricTuple] = []
        self._lock = threading.Lock()
        # Serialises writes so flush() returns only after every earlier value is stored.
        self._write_lock = threading.Lock()
        self._wake = threading.Event()
        self._closed = False
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None
        atexit.register(_flush_at_exit, weakref.ref(self))

    def append(self, item: MetricTuple) -> None:
        with self._lock:
            self._buffer.append(item)
            size = len(self._buffer)
        if size >= self._batch_size:
            self._wake.set()
        if self._thread is None:
            self._start()

    def _start(self) -> None:
        with self._lock:
            if self._thread is not None:
                return
            self._thread = threading.Thread(target=self._run, name="driftloop-metrics", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while not self._closed:
            self._wake.wait(self._interval_s)
            self._wake.clear()
            try:
                self._drain()
            except BaseException as exc:  # kept and re-raised to the caller on flush()
                self._error = exc

    def _drain(self) -> None:
        with self._write_lock:
            with self._lock:
                batch, self._buffer = self._buffer, []
            if not batch:
                return
            try:
                self._write(batch)
            except BackendUnavailableError:
                with self._lock:  # the store is away: keep the values for the next flush
                    self._buffer[:0] = batch
                raise
            except Exception as exc:  # the store refused some rows: keep the others
                self._write_isolating(batch, exc)

    def _write_isolating(self, batch: Sequence[MetricTuple], first: Exception) -> None:
        """Write what the store accepts, one run at a time, halving a refused group.

        A refused value is dropped with a :class:`MetricWriteWarning`, never put back:
        a batch that can never be written must not block every later value.
        """
        by_run: dict[str, list[MetricTuple]] = {}
        for item in batch:
            by_run.setdefault(item[0], []).append(item)
        pending = list(by_run.values())
        dropped: list[MetricTuple] = []
        try:
            while pending:
                group = pending.pop()
                try:
                    self._write(group)
                except BackendUnavailableError:
                    pending.append(group)
                    raise
                except Exception:
                    if len(group) == 1:
                        dropped.extend(group)
                    else:
                        pending += [group[len(group) // 2 :], group[: len(group) // 2]]
        except BackendUnavailableError:
            with self._lock:  # the store went away meanwhile: keep what is unwritten
                self._buffer[:0] = [item for group in pending for item in group]
            raise
        finally:
            if dropped:
                self._warn_dropped(dropped, len(batch), first)

    def _warn_dropped(self, dropped: list[MetricTuple], total: int, first: Exception) -> None:
        runs = sorted({item[0] for item in dropped})
        reason = getattr(first, "orig", None) or first  # the driver's words, not the SQL
        warn(
            MetricWriteWarning,
            f"the metadata store refused {len(dropped)} metric value(s) of run(s) "
            f"{', '.join(runs[:3])} ({reason}); they were dropped and "
            f"the other {total - len(dropped)} stored. Check that the runs exist.",
            stacklevel=2,
        )

    def flush(self) -> None:
        """Write every buffered value now; raise the error of a failed background write."""
        error, self._error = self._error, None
        self._drain()
        if error is not None:
            raise error

    @property
    def pending(self) -> int:
        return len(self._buffer)

    def close(self) -> None:
        self.flush()
        self._closed = True
        self._wake.set()


def _flush_at_exit(ref: weakref.ReferenceType[MetricWriter]) -> None:
    writer = ref()
    if writer is not None and writer.pending:
        writer.flush()
