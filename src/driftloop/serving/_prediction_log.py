"""The prediction-log writer: requests go to a bounded queue, segments out in batches.

The request path only calls :meth:`PredictionLogWriter.submit`, which never blocks:
it appends the record to a bounded queue, or, when the queue is full, drops it and
counts the drop (``stats().dropped``, exposed as a metric by the server). One
background thread takes the queue's records in batches, keeps one buffer per
(endpoint, model name, model version, route) and turns a buffer into a Parquet segment
in the artifact store when it holds ``segment_rows`` rows or its oldest record is
``max_age`` old. Segments written in one pass are indexed in the metadata store in one
transaction, after their blobs are complete: a crash between the two leaves an
unreferenced blob (reclaimed by ``driftloop gc``), never an index row without its bytes.

The writer shares the GIL with the server's event loop, and every moment it holds the
GIL while the loop wants it is added to requests' latency (up to the 5 ms switch
interval each time; the loop releases the GIL on every socket call). Hence:

- ``submit`` does not wake the thread. A thread woken per record (``queue.Queue``)
  took the GIL from the loop about 1,500 times a second at 1,500 requests/s; the loop
  stalled for over 15 ms 178 times in 10 s and p99 was 124 ms, p50 10 ms. The thread
  wakes every ``poll_interval`` (or when the queue is half full, a flush or a close)
  and takes everything queued at once.
- Records become Arrow as they are taken, one table per batch and buffer, not all
  of a segment's at once when it is cut: one 10-second segment of 15,000 one-row
  records took about 220 ms of GIL time to build, stalling the loop that long.

:meth:`~PredictionLogWriter.close` drains the queue and every buffer, so a clean
shutdown (SIGTERM in a server's lifespan) loses nothing that was accepted.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pyarrow as pa
import pyarrow.compute as pc

from driftloop.artifacts import BlobWriter
from driftloop.errors import DriftloopError, InvalidInputError
from driftloop.serving._prediction_record import PredictionLogStats, PredictionRecord
from driftloop.serving._segment import concat_segments, parquet_bytes, segment_table
from driftloop.store import MetadataStore, utcnow
from driftloop.store._prediction_rows import PredictionSegmentRow

log = logging.getLogger("driftloop.serving.prediction_log")

Clock = Callable[[], datetime]
SegmentKey = tuple[str, str, int, str]  # endpoint, model name, model version, route

DEFAULT_QUEUE_SIZE = 10_000
DEFAULT_SEGMENT_ROWS = 50_000
DEFAULT_MAX_AGE = timedelta(seconds=10)
INDEX_RETRY = timedelta(seconds=1)  # a store that is away is tried again this often


@dataclass(slots=True)
class _Buffer:
    started: datetime
    tables: list[pa.Table] = field(default_factory=list)  # one per batch taken
    rows: int = 0


@dataclass(frozen=True, slots=True)
class _Flush:
    """A request to write every buffer now; ``done`` is set once that was tried."""

    done: threading.Event
    indexed: list[bool] = field(default_factory=list)  # [True]: nothing left unindexed


class PredictionLogWriter:
    """Writes prediction records as Parquet segments, off the request path.

    Args:
        blobs: the artifact store the segments go to.
        store: the metadata store that indexes them (table ``prediction_segments``).
        max_queue: records the queue holds; beyond it :meth:`submit` drops and counts.
        segment_rows: a buffer is written once it holds this many rows.
        max_age: ... or once its oldest record waited this long (by ``clock``).
        poll_interval: seconds between the thread's takes from the queue (and checks
            of the buffers' age).
        clock: the time used for ages and ``created_at`` (inject one in tests).

    Example::

        writer = PredictionLogWriter(ws.blobs, ws.store).start()
        writer.submit(record)       # never blocks
        writer.close()              # drains: every accepted record is written
    """

    def __init__(
        self,
        blobs: BlobWriter,
        store: MetadataStore,
        *,
        max_queue: int = DEFAULT_QUEUE_SIZE,
        segment_rows: int = DEFAULT_SEGMENT_ROWS,
        max_age: timedelta = DEFAULT_MAX_AGE,
        poll_interval: float = 0.25,
        clock: Clock = utcnow,
    ) -> None:
        if max_queue < 1 or segment_rows < 1:
            raise InvalidInputError(
                f"max_queue ({max_queue}) and segment_rows ({segment_rows}) must be at least 1"
            )
        self._blobs = blobs
        self._store = store
        self._segment_rows = segment_rows
        self._max_age = max_age
        self._poll = poll_interval
        self._clock = clock
        self._max_queue = max_queue
        # Guarded by _lock: records submitted and not yet taken (with their arrival),
        # flushes asked for, and whether close() asked the thread to stop.
        self._queue: list[tuple[datetime, PredictionRecord]] = []
        self._flushes: list[_Flush] = []
        self._stop = False
        self._wake = threading.Event()
        self._buffers: dict[SegmentKey, _Buffer] = {}
        self._unindexed: list[dict[str, object]] = []
        self._lock = threading.Lock()
        self._counts = dict.fromkeys(
            ("accepted", "dropped", "written", "segments", "failed", "pending"), 0
        )
        self._next_index_try: datetime | None = None
        self._closing = False
        self._thread: threading.Thread | None = None

    # the request path --------------------------------------------------------------

    def submit(self, record: PredictionRecord) -> bool:
        """Queue ``record`` for the log; never blocks. False: dropped (queue full or closed)."""
        with self._lock:
            if self._closing or len(self._queue) >= self._max_queue:
                self._counts["dropped"] += 1
                return False
            # Stamped here: a buffer's age counts from when its oldest record came.
            self._queue.append((self._clock(), record))
            self._counts["accepted"] += 1
            if len(self._queue) == self._max_queue // 2 + 1:
                self._wake.set()  # a burst: take it before the queue fills and drops
            return True

    def stats(self) -> PredictionLogStats:
        """The counters: queue depth, drops, rows and segments written, rows pending."""
        with self._lock:
            counts = dict(self._counts)
            depth = len(self._queue)
        return PredictionLogStats(
            queue_depth=depth,
            dropped=counts["dropped"],
            written_rows=counts["written"],
            segments=counts["segments"],
            accepted=counts["accepted"],
            pending_rows=counts["pending"],
            failed_rows=counts["failed"],
        )

    # lifecycle ---------------------------------------------------------------------

    def start(self) -> PredictionLogWriter:
        """Start the background thread (once); returns self."""
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="driftloop-prediction-log", daemon=True
                )
                self._thread.start()
        return self

    def flush(self, timeout: float | None = 30.0) -> bool:
        """Write and index every record accepted before this call.

        False when that did not finish within ``timeout`` or the metadata store is away
        (the segments are kept, indexed by a later pass once it is back).
        """
        self.start()
        request = _Flush(threading.Event())
        with self._lock:  # after every record accepted so far: the thread takes both at once
            self._flushes.append(request)
        self._wake.set()
        return request.done.wait(timeout) and request.indexed == [True]

    def close(self, timeout: float | None = 30.0) -> None:
        """Stop accepting, write every accepted record, and stop the thread.

        Records submitted from now on are dropped and counted. Waits up to ``timeout``
        seconds for the drain (a clean SIGTERM); records still unwritten then are
        counted in ``stats().failed_rows`` and logged.
        """
        with self._lock:
            if self._closing:
                return
            self._closing = self._stop = True
        self.start()
        self._wake.set()
        assert self._thread is not None
        self._thread.join(timeout)
        if self._thread.is_alive():
            log.error("prediction log: writing did not finish within %ss on close", timeout)

    @property
    def is_running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # the background thread ---------------------------------------------------------

    def _run(self) -> None:
        while True:
            self._wake.wait(self._poll)
            self._wake.clear()  # before taking: a wake-up set after this is not lost
            with self._lock:
                taken, self._queue = self._queue, []
                flushes, self._flushes = self._flushes, []
                stop = self._stop
            self._take(taken)
            if stop:
                self._write_all(final=True)
                return
            if flushes:
                self._write_all(final=False)
                for request in flushes:
                    request.indexed.append(not self._unindexed)
                    request.done.set()
            self._write_due()

    def _take(self, taken: list[tuple[datetime, PredictionRecord]]) -> None:
        """Add records to their buffers; a buffer reaching ``segment_rows`` is written."""
        runs: dict[SegmentKey, list[PredictionRecord]] = {}
        self._count("pending", sum(r.num_rows for _, r in taken))
        for arrived, record in taken:
            key: SegmentKey = (
                record.endpoint,
                record.model_name,
                record.model_version,
                record.route,
            )
            buffer = self._buffers.get(key)
            if buffer is None:
                buffer = self._buffers[key] = _Buffer(arrived)
            run = runs.setdefault(key, [])
            run.append(record)
            buffer.rows += record.num_rows
            if buffer.rows >= self._segment_rows:
                self._convert(key, runs.pop(key))
                self._write_buffer(key)
        for key, run in runs.items():
            self._convert(key, run)

    def _convert(self, key: SegmentKey, records: list[PredictionRecord]) -> None:
        """``records`` as Arrow, appended to their buffer (the buffer's rows already count them)."""
        try:
            tables = [segment_table(records)]
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            # Records disagreeing on a column's type: one table per record instead.
            tables = [segment_table([r]) for r in records]
        self._buffers[key].tables.extend(tables)

    def _write_due(self) -> None:
        if not self._buffers and not self._unindexed:
            return
        now = self._clock()
        due = [k for k, b in self._buffers.items() if now - b.started >= self._max_age]
        for key in due:
            self._write_buffer(key)
        if self._unindexed and (self._next_index_try is None or now >= self._next_index_try):
            self._index()

    def _write_all(self, *, final: bool) -> None:
        for key in list(self._buffers):
            self._write_buffer(key)
        self._index()
        if final and self._unindexed:
            lost = sum(int(str(r["row_count"])) for r in self._unindexed)
            self._count("failed", lost)
            self._count("pending", -lost)
            log.error("prediction log: %d rows written but never indexed", lost)
            self._unindexed.clear()

    def _write_buffer(self, key: SegmentKey) -> None:
        buffer = self._buffers.pop(key)
        try:
            tables = [concat_segments(buffer.tables)]
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            # Batches disagreeing on a column's type: one segment per batch instead.
            tables = buffer.tables
        for table in tables:
            self._write_segment(key, table)

    def _write_segment(self, key: SegmentKey, table: pa.Table) -> None:
        try:
            blob = self._blobs.put_bytes(parquet_bytes(table))
        except (DriftloopError, OSError) as exc:
            self._count("failed", table.num_rows)
            self._count("pending", -table.num_rows)
            log.error("prediction log: a segment of %d rows was lost: %s", table.num_rows, exc)
            return
        ts = table.column("ts")
        endpoint, model_name, model_version, route = key
        self._unindexed.append(
            {
                "endpoint": endpoint,
                "model_name": model_name,
                "model_version": model_version,
                "route": route,
                "digest": blob.digest,
                "row_count": table.num_rows,
                "min_ts": pc.min(ts).as_py(),
                "max_ts": pc.max(ts).as_py(),
                "created_at": self._clock(),
            }
        )

    def _index(self) -> None:
        """Index every written segment in one transaction; kept for the next pass on error."""
        if not self._unindexed:
            return
        rows = list(self._unindexed)
        try:
            with self._store.session() as session:
                session.add_all([PredictionSegmentRow(**r) for r in rows])
        except DriftloopError as exc:
            # The store is away: keep the rows, try again after a pause, not per record.
            self._next_index_try = self._clock() + INDEX_RETRY
            log.warning("prediction log: indexing %d segments failed, retrying: %s", len(rows), exc)
            return
        del self._unindexed[: len(rows)]
        written = sum(int(str(r["row_count"])) for r in rows)
        with self._lock:
            self._counts["written"] += written
            self._counts["pending"] -= written
            self._counts["segments"] += len(rows)

    def _count(self, name: str, amount: int) -> None:
        with self._lock:
            self._counts[name] += amount
