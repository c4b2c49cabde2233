"""SQL helpers every context shares: upsert, insert-or-ignore, version numbering, retries.

Written once here so that datasets, feature views and model versions number their
versions the same way, and so that SQLite and PostgreSQL behave alike.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError as SqlIntegrityError
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import InstrumentedAttribute, Session

from driftloop.errors import ConflictError
from driftloop.store._lifecycle_rows import PurgedVersionRow

T = TypeVar("T")

DEFAULT_ATTEMPTS = 5


def insert_for(dialect: str) -> Any:
    """The dialect's INSERT construct (it has ON CONFLICT), for ``dialect``'s name."""
    # The dialect imported when first used: a SQLite workspace never loads PostgreSQL's.
    if dialect == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert
    from sqlalchemy.dialects import sqlite

    return sqlite.insert


def insert_ignore(session: Session, row_type: type[Any], values: dict[str, Any]) -> None:
    """Insert one row unless its primary or unique key is taken (then do nothing)."""
    stmt = insert_for(session.get_bind().dialect.name)(row_type).values(**values)
    session.execute(stmt.on_conflict_do_nothing())


def upsert(
    session: Session, row_type: type[Any], keys: list[str], values: list[dict[str, Any]]
) -> None:
    """Insert rows, or update every non-key column of the rows whose ``keys`` exist."""
    if not values:
        return
    stmt = insert_for(session.get_bind().dialect.name)(row_type)
    updates = {c: stmt.excluded[c] for c in values[0] if c not in keys}
    session.execute(stmt.on_conflict_do_update(index_elements=keys, set_=updates), values)


def next_version(session: Session, column: InstrumentedAttribute[int], **scope: Any) -> int:
    """The next version number of ``column`` among the rows matching ``scope``.

    Holds the numbering of that scope until ``session`` commits, so concurrent writers
    number one after another and none loses its number: PostgreSQL takes a transaction
    advisory lock on (table, scope); SQLite write sessions already begin IMMEDIATE, so
    only one writer is ever inside. Call it in the write session that inserts the row.

    Example::

        number = next_version(session, DatasetVersionRow.version, name="flights")
    """
    table = column.class_.__table__
    key = scope_key(scope)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(hashtext(:table), hashtext(:key))"),
            {"table": table.name, "key": key},
        )
    where = [table.c[name] == value for name, value in scope.items()]
    latest = session.scalar(select(func.max(column)).where(*where))
    # A purged newest version keeps its number taken (see PurgedVersionRow).
    purged = session.scalar(
        select(PurgedVersionRow.version).where(
            PurgedVersionRow.table_name == table.name, PurgedVersionRow.scope == key
        )
    )
    return max(int(latest or 0), int(purged or 0)) + 1


def scope_key(scope: dict[str, Any]) -> str:
    """The text naming one numbering scope of :func:`next_version` (``[('name', 'x')]``)."""
    return repr(sorted(scope.items()))


def retry_on_conflict(
    attempt: Callable[[], T], *, what: str, attempts: int = DEFAULT_ATTEMPTS
) -> T:
    """Run ``attempt`` (one whole transaction) again when a concurrent writer collided.

    A unique violation, a PostgreSQL serialization failure or deadlock, or a busy SQLite
    database makes another try with fresh reads; after ``attempts`` tries the last
    collision becomes a :class:`ConflictError` naming ``what`` was being written.
    """
    for number in range(1, attempts + 1):
        try:
            return attempt()
        except (SqlIntegrityError, OperationalError) as exc:
            if isinstance(exc, OperationalError) and not _transient(exc):
                raise
            if number == attempts:
                raise ConflictError(
                    f"could not write {what}: {attempts} tries collided with concurrent "
                    "writers; try again"
                ) from exc
    raise AssertionError("unreachable")


def _transient(exc: OperationalError) -> bool:
    code = getattr(exc.orig, "sqlstate", None)
    return code in {"40001", "40P01"} or "database is locked" in str(exc.orig)
