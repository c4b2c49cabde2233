"""Conversions from registry rows to records (rows never leave the registry service)."""

from __future__ import annotations

from collections.abc import Sequence

from driftloop.registry._models import AliasEvent, ModelStatus, ModelVersion, RegisteredModel
from driftloop.registry._signature import ModelSignature
from driftloop.store._registry_rows import (
    ModelAliasEventRow,
    ModelVersionRow,
    RegisteredModelRow,
)


def to_model(
    row: RegisteredModelRow, latest: int | None, aliases: dict[str, int]
) -> RegisteredModel:
    return RegisteredModel(
        name=row.name,
        description=row.description,
        tags=dict(row.tags or {}),
        created_by=row.created_by,
        created_at=row.created_at,
        updated_at=row.updated_at,
        latest_version=latest,
        aliases=dict(sorted(aliases.items())),
        deleted_at=row.deleted_at,
        deleted_by=row.deleted_by,
    )


def to_version(name: str, row: ModelVersionRow, aliases: Sequence[str] = ()) -> ModelVersion:
    return ModelVersion(
        name=name,
        version=row.version,
        run_id=row.run_id,
        artifact_path=row.artifact_path,
        model_digest=row.model_digest,
        flavor=row.flavor,
        status=ModelStatus(row.status),
        status_message=row.status_message,
        description=row.description,
        tags=dict(row.tags or {}),
        signature=ModelSignature.from_dict(row.signature),
        requirements=dict(row.requirements or {}),
        created_by=row.created_by,
        created_at=row.created_at,
        updated_at=row.updated_at,
        aliases=tuple(sorted(aliases)),
        deleted_at=row.deleted_at,
        deleted_by=row.deleted_by,
    )


def to_event(name: str, row: ModelAliasEventRow) -> AliasEvent:
    return AliasEvent(
        name, row.alias, row.action, row.from_version, row.to_version, row.user, row.at
    )
