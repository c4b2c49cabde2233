"""Autogenerate an Alembic migration from the current tables (developer tool).

Usage: python tools/new_migration.py "add registry tables" --rev 0002

It builds a temporary SQLite database at the current head, compares it with the
tables declared in ``driftloop.store._tables`` and writes the difference as a new
revision under ``src/driftloop/store/migrations/versions/``. Review the file.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from alembic.command import revision, upgrade
from alembic.script import ScriptDirectory

from driftloop.store._engine import make_engine
from driftloop.store._migrate import _config


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("message")
    parser.add_argument("--rev", required=True, help="revision id, e.g. 0002")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'gen.db'}")
        config = _config()
        has_head = ScriptDirectory.from_config(config).get_current_head() is not None
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            if has_head:
                upgrade(config, "head")
            revision(config, message=args.message, autogenerate=True, rev_id=args.rev)
        engine.dispose()


if __name__ == "__main__":
    main()
