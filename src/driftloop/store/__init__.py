"""Metadata store: every arrow of the loop is a row here.

One SQLAlchemy code path over SQLite (embedded default, WAL mode) and PostgreSQL
(``DRIFTLOOP_DB_URL=postgresql+psycopg://...``). Schema changes go through the one
Alembic tree in ``migrations/``; a workspace is migrated when it is opened, and a
database written by a newer driftloop is refused, never altered. ORM rows stay
inside this package's callers' services and are never returned to users.

This is the layer the contexts share: the row classes of every table, and the SQL
helpers written once for both backends (:func:`upsert`, :func:`insert_ignore`,
:func:`next_version` to number versions under concurrent writers, and
:func:`retry_on_conflict`), and the lifecycle every deletable object shares (soft delete,
restore, the lifecycle log: ``_lifecycle.py``).
"""

from typing import TYPE_CHECKING

from driftloop._lazy import lazy_exports

if TYPE_CHECKING:
    from driftloop.store._base import Base, SoftDeleted, UTCDateTime, utcnow
    from driftloop.store._data_rows import DatasetRow, DatasetValidationRow, DatasetVersionRow
    from driftloop.store._features_rows import FeatureEntityRow, FeatureViewRow, FeatureViewStateRow
    from driftloop.store._lifecycle import LifecycleEvent, ViewType
    from driftloop.store._lifecycle_rows import LifecycleEventRow, PurgedVersionRow
    from driftloop.store._metadata_store import MetadataStore
    from driftloop.store._pipeline_rows import PipelineRow, PipelineRunRow, StepLinkRow, StepRunRow
    from driftloop.store._registry_rows import (
        ModelAliasEventRow,
        ModelAliasRow,
        ModelVersionRow,
        RegisteredModelRow,
    )
    from driftloop.store._serving_rows import DeploymentRow
    from driftloop.store._sql import insert_ignore, next_version, retry_on_conflict, upsert
    from driftloop.store._tracking_rows import (
        EnvironmentRow,
        ExperimentRow,
        LatestMetricRow,
        MetricRow,
        ParamRow,
        RunArtifactRow,
        RunInputRow,
        RunRow,
        TagRow,
    )
    from driftloop.store._trigger_rows import SchedulerHeartbeatRow, TriggerEventRow, TriggerRow

# Imported on first use (see driftloop/_lazy.py), so importing the package is cheap.
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "driftloop.store._base": (
            "Base",
            "SoftDeleted",
            "UTCDateTime",
            "utcnow",
        ),
        "driftloop.store._data_rows": (
            "DatasetRow",
            "DatasetValidationRow",
            "DatasetVersionRow",
        ),
        "driftloop.store._features_rows": (
            "FeatureEntityRow",
            "FeatureViewRow",
            "FeatureViewStateRow",
        ),
        "driftloop.store._lifecycle": (
            "LifecycleEvent",
            "ViewType",
        ),
        "driftloop.store._lifecycle_rows": (
            "LifecycleEventRow",
            "PurgedVersionRow",
        ),
        "driftloop.store._metadata_store": ("MetadataStore",),
        "driftloop.store._pipeline_rows": (
            "PipelineRow",
            "PipelineRunRow",
            "StepLinkRow",
            "StepRunRow",
        ),
        "driftloop.store._registry_rows": (
            "ModelAliasEventRow",
            "ModelAliasRow",
            "ModelVersionRow",
            "RegisteredModelRow",
        ),
        "driftloop.store._serving_rows": ("DeploymentRow",),
        "driftloop.store._sql": (
            "insert_ignore",
            "next_version",
            "retry_on_conflict",
            "upsert",
        ),
        "driftloop.store._tracking_rows": (
            "EnvironmentRow",
            "ExperimentRow",
            "LatestMetricRow",
            "MetricRow",
            "ParamRow",
            "RunArtifactRow",
            "RunInputRow",
            "RunRow",
            "TagRow",
        ),
        "driftloop.store._trigger_rows": (
            "SchedulerHeartbeatRow",
            "TriggerEventRow",
            "TriggerRow",
        ),
    },
    globals(),
)

__all__ = [
    "Base",
    "DatasetRow",
    "DatasetValidationRow",
    "DatasetVersionRow",
    "DeploymentRow",
    "EnvironmentRow",
    "ExperimentRow",
    "FeatureEntityRow",
    "FeatureViewRow",
    "FeatureViewStateRow",
    "LatestMetricRow",
    "LifecycleEvent",
    "LifecycleEventRow",
    "MetadataStore",
    "MetricRow",
    "ModelAliasEventRow",
    "ModelAliasRow",
    "ModelVersionRow",
    "ParamRow",
    "PipelineRow",
    "PipelineRunRow",
    "PurgedVersionRow",
    "RegisteredModelRow",
    "RunArtifactRow",
    "RunInputRow",
    "RunRow",
    "SchedulerHeartbeatRow",
    "SoftDeleted",
    "StepLinkRow",
    "StepRunRow",
    "TagRow",
    "TriggerEventRow",
    "TriggerRow",
    "UTCDateTime",
    "ViewType",
    "insert_ignore",
    "next_version",
    "retry_on_conflict",
    "upsert",
    "utcnow",
]
