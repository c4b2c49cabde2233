"""Deployment rows in the metadata store: written once per change, read as records.

Every change of an endpoint is a new row numbered per endpoint (``next_version``), so
the table is the history and the newest row is what servers serve. Servers watch
:func:`live_versions` (one small query) and reload only the endpoints that moved.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from driftloop.errors import InvalidInputError, NotFoundError
from driftloop.serving._models import BatchingOptions, Deployment, DeploymentRoute, RouteKind
from driftloop.store import DeploymentRow

_ENDPOINT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,127}$")


def check_endpoint_name(name: str) -> str:
    if not isinstance(name, str) or not _ENDPOINT.match(name):
        raise InvalidInputError(
            f"endpoint name {name!r} is not allowed; use letters, digits, '_', '.', '-' "
            "(at most 128, starting with a letter or digit), e.g. 'flight-delays'"
        )
    return name


def _route(
    kind: RouteKind, name: str | None, version: int | None, ref: str | None
) -> DeploymentRoute | None:
    if name is None or version is None:
        return None
    return DeploymentRoute(kind, name, version, ref or f"{name}@{version}")


def to_deployment(row: DeploymentRow) -> Deployment:
    spec: dict[str, Any] = row.spec or {}
    refs = spec.get("refs", {})
    batching = spec.get("batching", {})
    primary = _route(RouteKind.PRIMARY, row.primary_model, row.primary_version, refs.get("primary"))
    assert primary is not None
    return Deployment(
        endpoint=row.endpoint,
        version=row.version,
        action=row.action,
        primary=primary,
        canary=_route(RouteKind.CANARY, row.canary_model, row.canary_version, refs.get("canary")),
        canary_weight=float(row.canary_weight),
        shadow=_route(RouteKind.SHADOW, row.shadow_model, row.shadow_version, refs.get("shadow")),
        sticky_key=row.sticky_key,
        batching=BatchingOptions(
            int(batching.get("max_batch_size", 1)), float(batching.get("max_wait_ms", 2.0))
        ),
        features=tuple(spec.get("features", ())),
        source_version=row.source_version,
        changes=row.changes,
        created_by=row.created_by,
        created_at=row.created_at,
        spec=spec,
    )


def row_values(deployment: Deployment) -> dict[str, Any]:
    """The columns of a deployment's row (everything but id)."""
    canary, shadow = deployment.canary, deployment.shadow
    return {
        "endpoint": deployment.endpoint,
        "version": deployment.version,
        "action": deployment.action,
        "primary_model": deployment.primary.model_name,
        "primary_version": deployment.primary.model_version,
        "canary_model": canary.model_name if canary else None,
        "canary_version": canary.model_version if canary else None,
        "canary_weight": deployment.canary_weight,
        "shadow_model": shadow.model_name if shadow else None,
        "shadow_version": shadow.model_version if shadow else None,
        "sticky_key": deployment.sticky_key,
        "source_version": deployment.source_version,
        "spec": {
            "refs": {r.kind.value: r.ref for r in deployment.routes},
            "batching": {
                "max_batch_size": deployment.batching.max_batch_size,
                "max_wait_ms": deployment.batching.max_wait_ms,
            },
            "features": list(deployment.features),
        },
        "changes": deployment.changes,
        "created_by": deployment.created_by,
        "created_at": deployment.created_at,
    }


def live_row(session: Session, endpoint: str) -> DeploymentRow | None:
    """The newest deployment of ``endpoint``, unless the endpoint is deleted."""
    return session.scalar(
        select(DeploymentRow)
        .where(DeploymentRow.endpoint == endpoint, DeploymentRow.deleted_at.is_(None))
        .order_by(DeploymentRow.version.desc())
        .limit(1)
    )


def get_row(session: Session, endpoint: str, version: int) -> DeploymentRow:
    row = session.scalar(
        select(DeploymentRow).where(
            DeploymentRow.endpoint == endpoint, DeploymentRow.version == version
        )
    )
    if row is None:
        raise NotFoundError(
            f"endpoint {endpoint!r} has no deployment {version}; see "
            f"`driftloop endpoints history {endpoint}`"
        )
    return row


def live_versions(session: Session) -> dict[str, int]:
    """Endpoint name -> its live deployment version, for every endpoint not deleted."""
    query = (
        select(DeploymentRow.endpoint, func.max(DeploymentRow.version))
        .where(DeploymentRow.deleted_at.is_(None))
        .group_by(DeploymentRow.endpoint)
    )
    return {name: int(version) for name, version in session.execute(query)}


def history_rows(session: Session, endpoint: str) -> list[DeploymentRow]:
    return list(
        session.scalars(
            select(DeploymentRow)
            .where(DeploymentRow.endpoint == endpoint)
            .order_by(DeploymentRow.version)
        )
    )


def rows_serving(session: Session, model: str, version: int) -> list[DeploymentRow]:
    """Every deployment with a route on ``model`` version ``version``, oldest first."""
    query = select(DeploymentRow).where(
        or_(
            (DeploymentRow.primary_model == model) & (DeploymentRow.primary_version == version),
            (DeploymentRow.canary_model == model) & (DeploymentRow.canary_version == version),
            (DeploymentRow.shadow_model == model) & (DeploymentRow.shadow_version == version),
        )
    )
    return list(session.scalars(query.order_by(DeploymentRow.endpoint, DeploymentRow.version)))


def describe_changes(before: Deployment | None, after: Deployment) -> str:
    """What changed between two deployments, in words: ``canary none -> churn@3 (10%)``."""

    def show(route: DeploymentRoute | None, weight: float | None = None) -> str:
        if route is None:
            return "none"
        text = f"{route.model_name}@{route.model_version}"
        return f"{text} ({weight:.0%})" if weight is not None else text

    if before is None:
        parts = [f"primary {show(after.primary)}"]
        if after.canary:
            parts.append(f"canary {show(after.canary, after.canary_weight)}")
        if after.shadow:
            parts.append(f"shadow {show(after.shadow)}")
        return "created: " + "; ".join(parts)
    pairs = [
        ("primary", show(before.primary), show(after.primary)),
        (
            "canary",
            show(before.canary, before.canary_weight if before.canary else None),
            show(after.canary, after.canary_weight if after.canary else None),
        ),
        ("shadow", show(before.shadow), show(after.shadow)),
        ("sticky key", str(before.sticky_key), str(after.sticky_key)),
        ("batching", _batching(before.batching), _batching(after.batching)),
        ("features", ",".join(before.features) or "none", ",".join(after.features) or "none"),
    ]
    changed = [f"{what} {old} -> {new}" for what, old, new in pairs if old != new]
    return "; ".join(changed) or "no change"


def _batching(options: BatchingOptions) -> str:
    if not options.enabled:
        return "off"
    return f"max {options.max_batch_size} / {options.max_wait_ms:g} ms"
