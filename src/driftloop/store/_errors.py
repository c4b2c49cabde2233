"""Translating SQLAlchemy and driver errors at the metadata store's edge.

A database that cannot be reached, was dropped, or whose file is unreadable becomes a
:class:`BackendUnavailableError` naming the URL (password hidden) and what to check.
Collisions between concurrent writers (unique violations, serialization failures,
deadlocks, a busy SQLite file) pass through untranslated: the services retry them
(:func:`driftloop.store.retry_on_conflict`) or turn them into their own errors.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import DatabaseError, DBAPIError, IntegrityError, InterfaceError

from driftloop.errors import BackendUnavailableError

# PostgreSQL SQLSTATEs that mean "try again", not "the database is gone".
_TRANSIENT_STATES = {"40001", "40P01"}


def is_unavailable(exc: BaseException) -> bool:
    """True when ``exc`` says the database is unreachable, gone or unreadable."""
    if isinstance(exc, IntegrityError) or not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated or isinstance(exc, InterfaceError):
        return True
    if getattr(exc.orig, "sqlstate", None) in _TRANSIENT_STATES:
        return False
    if "database is locked" in str(exc.orig):
        return False  # SQLite's busy timeout: a collision, retried by the callers
    # OperationalError (server down, database dropped, disk I/O) and DatabaseError
    # ("file is not a database") both subclass DatabaseError.
    return isinstance(exc, DatabaseError)


def unavailable(exc: DBAPIError, where: str) -> BackendUnavailableError:
    reason = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else str(exc)
    return BackendUnavailableError(
        f"the metadata store at {where} is unavailable: {reason}; check DRIFTLOOP_DB_URL, "
        "that the database server is running and the database exists (or that the SQLite "
        "file is readable and not damaged), then try again"
    )


@contextmanager
def translated(where: str) -> Iterator[None]:
    """Re-raise an unavailable database as :class:`BackendUnavailableError`, cause kept."""
    try:
        yield
    except DBAPIError as exc:
        if is_unavailable(exc):
            raise unavailable(exc, where) from exc
        raise
