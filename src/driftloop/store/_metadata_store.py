"""The metadata store: one SQLAlchemy engine, migrated on open, used by every context."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from driftloop.store._engine import make_engine
from driftloop.store._errors import translated
from driftloop.store._migrate import migrate


class MetadataStore:
    """SQLite or PostgreSQL behind one SQLAlchemy code path.

    The constructor only stores the URL; :meth:`open` connects and migrates. Every
    session translates a database that is unreachable, dropped or unreadable into
    :class:`~driftloop.errors.BackendUnavailableError` (URL shown without password).

    Example::

        store = MetadataStore("sqlite:///ws/.driftloop/driftloop.db").open()
        with store.session() as s:
            s.add(row)
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self._engine: Engine | None = None

    @property
    def display_url(self) -> str:
        return make_url(self.url).render_as_string(hide_password=True)

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = make_engine(self.url)
        return self._engine

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def open(self) -> MetadataStore:
        try:
            with translated(self.display_url):
                migrate(self.engine, self.display_url)
        except BaseException:
            self.dispose()  # a refused store keeps no pooled connections behind
            raise
        return self

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A write transaction: commits on success, rolls back on error."""
        with (
            translated(self.display_url),
            Session(self.engine, expire_on_commit=False) as session,
            session.begin(),
        ):
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only session that takes no write lock on SQLite."""
        with translated(self.display_url), self.engine.connect() as conn:
            conn = conn.execution_options(sqlite_begin="DEFERRED")
            with Session(bind=conn, expire_on_commit=False) as session:
                yield session

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """A write transaction on a core connection, for bulk inserts."""
        with translated(self.display_url), self.engine.begin() as conn:
            yield conn

    def dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
