"""Applying Alembic migrations, and refusing databases written by a newer driftloop."""

from __future__ import annotations

from pathlib import Path

from alembic.command import upgrade
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text

from driftloop.errors import ConflictError

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None, "driftloop ships at least one migration"
    return head


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def check_revision_known(revision: str | None, where: str) -> None:
    """Refuse a schema revision this driftloop does not know (a newer release wrote it)."""
    if revision is None:
        return
    script = ScriptDirectory.from_config(_config())
    try:
        script.get_revision(revision)
    except Exception as exc:  # alembic raises several types for an unknown id
        raise ConflictError(
            f"the metadata store at {where} has schema revision {revision!r}, written by a "
            "newer driftloop than this one; it was left untouched. Upgrade with "
            "`pip install -U driftloop` to open it."
        ) from exc


def migrate(engine: Engine, where: str) -> None:
    """Bring the schema to head. Safe when many processes open a new workspace at once."""
    head = head_revision()
    with engine.connect() as conn:
        revision = current_revision(conn)
        conn.rollback()
    if revision == head:
        return
    check_revision_known(revision, where)
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # Serialise concurrent upgrades; SQLite's BEGIN IMMEDIATE already does.
            conn.execute(text("SELECT pg_advisory_xact_lock(727274)"))
        check_revision_known(current_revision(conn), where)
        config = _config()
        config.attributes["connection"] = conn
        upgrade(config, "head")
