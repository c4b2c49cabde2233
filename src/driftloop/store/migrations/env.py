"""Alembic environment: driftloop passes an open connection; no alembic.ini is needed."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext

from driftloop.store._base import UTCDateTime
from driftloop.store._tables import metadata


def _render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Render driftloop's column types as the plain SQLAlchemy type they store.

    A revision file must not name a private driftloop class: renaming the class would
    break every database migrated before. ``UTCDateTime`` is a ``DateTime`` on disk.
    """
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime()"
    return False


config = context.config
connection = config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    # SQLite cannot ALTER most things in place; batch mode rebuilds tables instead.
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    render_item=_render_item,
)
with context.begin_transaction():
    context.run_migrations()
