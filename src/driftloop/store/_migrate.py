"""Applying Alembic migrations, and refusing databases written by a newer driftloop.

Every command opens the metadata store, and nearly always it is at head already. That
case is told without Alembic, whose import and script scan cost about 0.2 s of CPU (a
third of a `driftloop runs list`): the head is read from the revision files' text and
compared with the stored revision. Anything else (a new database, an older or a
newer schema, a revision file that does not read plainly) goes through Alembic.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, text

from driftloop.errors import ConflictError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
VERSION_TABLE = "alembic_version"
# `revision = "0007"` and `down_revision = "0006"` (or None, or a tuple when branches merge)
_REVISION = re.compile(r"^revision(?:\s*:[^=]*)?\s*=\s*['\"]([^'\"]+)['\"]", re.MULTILINE)
_DOWN_REVISION = re.compile(r"^down_revision(?:\s*:[^=]*)?\s*=\s*(.+)$", re.MULTILINE)


@functools.cache
def head_from_files() -> str | None:
    """The head revision, read from the revision files as text; None if they do not
    read plainly or name more than one head (then Alembic decides)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        if path.name == "__init__.py":
            continue
        source = path.read_text(encoding="utf-8")
        revision, down = _REVISION.search(source), _DOWN_REVISION.search(source)
        if revision is None or down is None:
            return None
        revisions.add(revision.group(1))
        parents.update(re.findall(r"['\"]([^'\"]+)['\"]", down.group(1)))
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def _is_at_head(engine: Engine) -> bool:
    head = head_from_files()
    if head is None:
        return False
    with engine.connect() as conn:
        if not conn.dialect.has_table(conn, VERSION_TABLE):
            return False
        stored = conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all()
        conn.rollback()
    return stored == [head]


def _config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None, "driftloop ships at least one migration"
    return head


def current_revision(connection: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


def check_revision_known(revision: str | None, where: str) -> None:
    """Refuse a schema revision this driftloop does not know (a newer release wrote it)."""
    if revision is None:
        return
    from alembic.script import ScriptDirectory

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
    if _is_at_head(engine):
        return
    from alembic.command import upgrade

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
