"""Every table of every context, imported so that one MetaData (and Alembic) sees them all."""

from __future__ import annotations

from driftloop.store import (
    _automation_rows,  # noqa: F401
    _data_rows,  # noqa: F401
    _features_rows,  # noqa: F401
    _governance_rows,  # noqa: F401
    _lifecycle_rows,  # noqa: F401
    _monitoring_rows,  # noqa: F401
    _pipeline_rows,  # noqa: F401
    _prediction_rows,  # noqa: F401
    _registry_rows,  # noqa: F401
    _serving_rows,  # noqa: F401
    _tracking_rows,  # noqa: F401
    _trigger_rows,  # noqa: F401
)
from driftloop.store._base import Base

metadata = Base.metadata
