"""Declarative base shared by every context's tables, so one Alembic tree sees them all."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime, MetaData, String, TypeDecorator
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Stable constraint names keep Alembic diffs identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored naive in UTC and always returned UTC-aware.

    SQLite has no time zones; storing naive UTC everywhere keeps both backends equal.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; driftloop stores UTC-aware datetimes only")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class SoftDeleted:
    """The two columns of an object that can be deleted and restored (soft delete).

    A deleted row stays, hidden from reads, lists and searches, until ``driftloop gc``
    purges it; ``deleted_at`` (UTC) and ``deleted_by`` say when and who. Objects deleted
    together (an experiment and its runs) share one ``deleted_at``, so a restore brings
    back exactly what went with them (see ``driftloop.store._lifecycle``).
    """

    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    deleted_by: Mapped[str | None] = mapped_column(String(128), default=None)


def utcnow() -> datetime:
    return datetime.now(UTC)
