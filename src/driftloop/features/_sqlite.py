"""The embedded online store: one SQLite file, one row per (view, entity key)."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from itertools import islice
from pathlib import Path

from driftloop.errors import BackendUnavailableError
from driftloop.features._protocols import OnlineRow, OnlineValue

_SCHEMA = """
CREATE TABLE IF NOT EXISTS online_features (
    view TEXT NOT NULL,
    key TEXT NOT NULL,
    event_time REAL,
    payload TEXT NOT NULL,
    PRIMARY KEY (view, key)
) WITHOUT ROWID
"""

# Newer-or-equal wins; static rows (NULL time) always replace.
_UPSERT = """
INSERT INTO online_features (view, key, event_time, payload) VALUES (?, ?, ?, ?)
ON CONFLICT (view, key) DO UPDATE SET event_time = excluded.event_time, payload = excluded.payload
WHERE excluded.event_time IS NULL OR online_features.event_time IS NULL
   OR excluded.event_time >= online_features.event_time
"""
_READ_ONE = "SELECT event_time, payload FROM online_features WHERE view = ? AND key = ?"
_BATCH = 50_000


class SqliteOnlineStore:
    """Online features in a SQLite file (WAL), one connection per thread.

    Example::

        store = SqliteOnlineStore("sqlite:///.driftloop/online.db")
        store.read("weather", ['["JFK"]'])
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self.path = Path(url.removeprefix("sqlite:///"))
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._ready = False

    @contextmanager
    def _translated(self) -> Iterator[None]:
        """An unreadable, damaged or unwritable file as BackendUnavailableError."""
        try:
            yield
        except (sqlite3.DatabaseError, OSError) as exc:
            raise BackendUnavailableError(
                f"the online store at {self.url} is unavailable: {exc}; check "
                "DRIFTLOOP_ONLINE_URL and that the file and its folder are readable, writable "
                "and not damaged (delete a damaged file and run `driftloop features "
                "materialize` to rebuild it)"
            ) from exc

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            with self._translated():
                conn = self._connect()
        return conn

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA synchronous=NORMAL")
        with self._lock:
            if not self._ready:
                _initialise(conn)
                self._ready = True
        self._local.conn = conn
        with self._lock:
            self._connections.append(conn)
        return conn

    def write(self, view: str, rows: Iterable[OnlineRow]) -> int:
        with self._translated():
            return self._write(self._conn(), view, rows)

    def _write(self, conn: sqlite3.Connection, view: str, rows: Iterable[OnlineRow]) -> int:
        total = 0
        for batch in _batches(((view, k, t, p) for k, t, p in rows), _BATCH):
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.executemany(_UPSERT, batch)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            total += len(batch)
        return total

    def read(self, view: str, keys: Sequence[str]) -> list[OnlineValue | None]:
        conn = self._conn()
        with self._translated():
            return _read(conn, view, keys)

    def delete_view(self, view: str) -> None:
        with self._translated():
            self._conn().execute("DELETE FROM online_features WHERE view = ?", (view,))

    def close(self) -> None:
        with self._lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()
        self._local = threading.local()


def _read(conn: sqlite3.Connection, view: str, keys: Sequence[str]) -> list[OnlineValue | None]:
    if len(keys) == 1:
        found = conn.execute(_READ_ONE, (view, keys[0])).fetchone()
        return [None if found is None else (found[0], found[1])]
    values: dict[str, OnlineValue] = {}
    unique = list(dict.fromkeys(keys))
    for start in range(0, len(unique), 500):
        chunk = unique[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for key, event_time, payload in conn.execute(
            f"SELECT key, event_time, payload FROM online_features "
            f"WHERE view = ? AND key IN ({marks})",
            (view, *chunk),
        ):
            values[key] = (event_time, payload)
    return [values.get(k) for k in keys]


def _initialise(conn: sqlite3.Connection) -> None:
    # Switching to WAL does not wait on the busy timeout: another process setting up the
    # same file at the same moment gets "database is locked" at once, so retry briefly.
    for attempt in range(50):
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(_SCHEMA)
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == 49:
                raise
            time.sleep(0.02 * (attempt + 1))


def _batches(rows: Iterable[tuple[str, str, float | None, str]], size: int) -> Iterator[list]:  # type: ignore[type-arg]
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch
