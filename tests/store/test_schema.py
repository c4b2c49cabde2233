"""The SQLAlchemy models and the Alembic migrations describe the same schema."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from driftloop.store import MetadataStore
from driftloop.store._tables import metadata

VERSIONS = Path(__file__).parents[2] / "src" / "driftloop" / "store" / "migrations" / "versions"


def _differences(store: MetadataStore) -> list[object]:
    with store.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, metadata)
    # ix_params_key_value is created by migration 0001 on SQLite only (see ParamRow).
    return [d for d in diff if not (d[0] == "remove_index" and d[1].name == "ix_params_key_value")]


def test_models_and_migrations_agree(db_url: str) -> None:
    store = MetadataStore(db_url).open()
    try:
        assert _differences(store) == []
    finally:
        store.dispose()


def test_revision_files_name_no_private_driftloop_class() -> None:
    for path in sorted(VERSIONS.glob("*.py")):
        text = path.read_text()
        assert "driftloop." not in text, f"{path.name} refers to driftloop code"


def test_the_shared_helpers_are_public() -> None:
    import driftloop.store as store

    helpers = {"upsert", "insert_ignore", "next_version", "retry_on_conflict"}
    assert helpers <= set(store.__all__)
    assert {"RunRow", "DatasetVersionRow", "FeatureViewRow", "ModelVersionRow"} <= set(
        store.__all__
    )
    assert all(getattr(store, name) is not None for name in store.__all__)
