"""Deleting and restoring endpoints, and what live deployments use (for the registry's and
the feature store's refusals).

Deleting an endpoint stamps every deployment of it: running servers stop answering it
at their next poll (404), lists skip it, and its name stays taken until ``driftloop gc``
purges it with its prediction log. It is refused while a monitor watches it or a loop
policy drives it. A restore serves its last deployment again, unless a model version it
routes to was deleted since (restore that first).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from driftloop.errors import ConflictError, DriftloopError
from driftloop.serving import _deployments as rows
from driftloop.store import DeploymentRow, MetadataStore
from driftloop.store._deletable import Deletable, delete_object, restore_object
from driftloop.store._lifecycle import LifecycleEvent, UsageCheck, Usages, deleted_message

ENDPOINT = Deletable(
    kind="endpoint",
    noun="endpoint",
    row_type=DeploymentRow,
    rows=lambda name: [DeploymentRow.endpoint == name],
    listing="driftloop endpoints list --deleted",
    counted="deployment(s)",
)


def delete_endpoint(
    store: MetadataStore, endpoint: str, user: str, now: datetime, usages: Usages
) -> LifecycleEvent:
    """Delete the endpoint (every deployment of it); refused while a monitor or loop uses it."""
    rows.check_endpoint_name(endpoint)
    return delete_object(
        store, ENDPOINT, endpoint, user, now, uses=lambda row: usages.of("endpoint", endpoint)
    )


def restore_endpoint(
    store: MetadataStore,
    endpoint: str,
    user: str,
    now: datetime,
    check_version: Callable[[str, int], Any],
) -> LifecycleEvent:
    """Restore a deleted endpoint; refused while its last deployment routes to a deleted
    model version (``check_version(name, version)`` raises for one)."""
    rows.check_endpoint_name(endpoint)

    def servable(session: Session, row: DeploymentRow) -> None:
        deployment = rows.to_deployment(rows.history_rows(session, endpoint)[-1])
        for route in deployment.routes:
            try:
                check_version(route.model_name, route.model_version)
            except DriftloopError as exc:
                raise ConflictError(
                    f"endpoint {endpoint!r} was not restored: its deployment "
                    f"{deployment.version} routes {route.kind.value} traffic to "
                    f"{route.model_name}@{route.model_version}, which cannot be served ({exc})"
                ) from None

    return restore_object(store, ENDPOINT, endpoint, user, now, check=servable)


def refuse_deleted_endpoint(session: Session, endpoint: str) -> None:
    """A new deployment of a deleted endpoint: the name is taken until it is purged."""
    row = session.scalar(select(DeploymentRow).where(DeploymentRow.endpoint == endpoint).limit(1))
    if row is not None and row.deleted_at is not None:
        restore = f"driftloop endpoints restore {endpoint}"
        raise ConflictError(deleted_message(f"endpoint {endpoint!r}", row, restore))


def _newest_rows(session: Session, deleted: bool = False) -> list[DeploymentRow]:
    """The newest deployment of every live endpoint (of every deleted one if ``deleted``)."""
    stamp = DeploymentRow.deleted_at
    newest = (
        select(DeploymentRow.endpoint, func.max(DeploymentRow.version).label("v"))
        .where(stamp.is_not(None) if deleted else stamp.is_(None))
        .group_by(DeploymentRow.endpoint)
        .subquery()
    )
    query = select(DeploymentRow).join(
        newest,
        (DeploymentRow.endpoint == newest.c.endpoint) & (DeploymentRow.version == newest.c.v),
    )
    return list(session.scalars(query.order_by(DeploymentRow.endpoint)))


def model_version_users(store: MetadataStore) -> UsageCheck:
    """A usage check for model versions, keyed (model, version or None for every one):
    the live deployments that route traffic to them."""

    def check(key: tuple[str, int | None]) -> list[str]:
        name, version = key
        with store.read() as session:
            live = [rows.to_deployment(r) for r in _newest_rows(session)]
        return [
            f"endpoint {d.endpoint!r} serves {name}@{r.model_version} as its {r.kind.value} "
            f"(deployment {d.version}; deploy another version, roll back or delete the endpoint)"
            for d in live
            for r in d.routes
            if r.model_name == name and (version is None or r.model_version == version)
        ]

    return check


def feature_view_users(store: MetadataStore) -> UsageCheck:
    """A usage check for feature views, keyed by view name: the live deployments that look
    their features up online for entity-key requests."""

    def check(view: str) -> list[str]:
        with store.read() as session:
            live = [rows.to_deployment(r) for r in _newest_rows(session)]
        return [
            f"endpoint {d.endpoint!r} looks up {ref} online (deployment {d.version}; deploy "
            "it without that feature or delete the endpoint)"
            for d in live
            for ref in d.features
            if ref.split(":", 1)[0].split("@", 1)[0] == view
        ]

    return check


def deleted_endpoints(store: MetadataStore) -> list[Any]:
    """Every deleted endpoint with its last deployment, who deleted it and when."""
    from driftloop.serving._models import Endpoint

    with store.read() as session:
        return [
            Endpoint(r.endpoint, rows.to_deployment(r), r.deleted_at, r.deleted_by)
            for r in _newest_rows(session, deleted=True)
        ]
