"""Metadata store: every arrow of the loop is a row here.

One SQLAlchemy code path over SQLite (embedded default, WAL mode) and PostgreSQL
(``DRIFTLOOP_DB_URL=postgresql+psycopg://...``). Schema changes go through the one
Alembic tree in ``migrations/``; a workspace is migrated when it is opened, and a
database written by a newer driftloop is refused, never altered. ORM rows stay
inside this package's callers' services and are never returned to users.
"""

from driftloop.store._base import Base, UTCDateTime, utcnow
from driftloop.store._metadata_store import MetadataStore

__all__ = ["Base", "MetadataStore", "UTCDateTime", "utcnow"]
