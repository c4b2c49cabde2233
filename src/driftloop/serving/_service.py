"""Serving use cases: deploy, change, promote and roll back endpoints; history and lineage.

A deployment pins each route to a model version when it is made (``churn@champion``
is resolved then, and kept as given for the record), so rolling back means serving
exactly what was served before, whatever the aliases say now.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy.orm import Session

from driftloop.errors import ConflictError, InvalidInputError, NotFoundError
from driftloop.registry import LineageNode, ModelStatus, ModelVersion, RegistryService
from driftloop.serving import _deployments as rows
from driftloop.serving import _lifecycle
from driftloop.serving._models import (
    BatchingOptions,
    Deployment,
    DeploymentRoute,
    Endpoint,
    RouteKind,
)
from driftloop.store import DeploymentRow, MetadataStore, next_version, retry_on_conflict
from driftloop.store._lifecycle import LifecycleEvent, Usages, ViewType, check_view_type

Clock = Callable[[], datetime]
_UNSET: object = object()


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _check_weight(weight: float, has_canary: bool) -> float:
    if not isinstance(weight, int | float) or math.isnan(weight) or not 0.0 <= weight <= 1.0:
        raise InvalidInputError(f"canary_weight must be between 0 and 1, got {weight!r}")
    if weight > 0 and not has_canary:
        raise InvalidInputError(f"canary_weight {weight} given without a canary model")
    return float(weight)


def _check_batching(max_batch_size: int, max_wait_ms: float) -> BatchingOptions:
    if not isinstance(max_batch_size, int) or not 1 <= max_batch_size <= 4096:
        raise InvalidInputError(f"max_batch_size must be 1..4096, got {max_batch_size!r}")
    if not isinstance(max_wait_ms, int | float) or not 0.0 <= max_wait_ms <= 1000.0:
        raise InvalidInputError(f"max_batch_wait_ms must be 0..1000, got {max_wait_ms!r}")
    return BatchingOptions(max_batch_size, float(max_wait_ms))


class DeploymentGuard(Protocol):
    """Checks a deployment inside its transaction (governance's protected endpoints)."""

    def check_routes(
        self, session: Session, endpoint: str, routes: Sequence[tuple[str, int]], user: str
    ) -> None:
        """Raise if ``endpoint`` may not send live traffic to ``routes`` (model, version)."""
        ...


class ServingService:
    """Endpoints and their deployments over the metadata store; acts for ``user``.

    Stateless (one instance serves many threads); servers pick changes up by watching
    the live deployment versions, so a change made here reaches every running server.
    """

    def __init__(
        self,
        store: MetadataStore,
        registry: RegistryService,
        user: str,
        *,
        clock: Clock = _utcnow,
        usages: Usages | None = None,
        guard: DeploymentGuard | None = None,
    ) -> None:
        self.store = store
        self.registry = registry
        self.user = user
        self.clock = clock
        # what uses an endpoint (a monitor, a loop policy), asked before deleting it
        self.usages = usages or Usages()
        self.guard = guard

    # reading -------------------------------------------------------------------------

    def get_deployment(self, endpoint: str, version: int | None = None) -> Deployment:
        """The live deployment of ``endpoint`` (or its deployment ``version``)."""
        rows.check_endpoint_name(endpoint)
        with self.store.read() as session:
            if version is not None:
                return rows.to_deployment(rows.get_row(session, endpoint, version))
            row = rows.live_row(session, endpoint)
            if row is None:
                raise NotFoundError(
                    f"no endpoint named {endpoint!r}; create it with "
                    f"`driftloop endpoints deploy {endpoint} MODEL@VERSION`"
                )
            return rows.to_deployment(row)

    def find_deployment(self, endpoint: str) -> Deployment | None:
        with self.store.read() as session:
            row = rows.live_row(session, endpoint)
            return rows.to_deployment(row) if row is not None else None

    def live_versions(self) -> dict[str, int]:
        """Endpoint -> live deployment version (what servers poll to see changes)."""
        with self.store.read() as session:
            return rows.live_versions(session)

    def list_endpoints(self, view_type: ViewType | str = ViewType.ACTIVE_ONLY) -> list[Endpoint]:
        """Endpoints and what they serve; deleted ones with ``view_type`` (their last one)."""
        view = check_view_type(view_type)
        live = sorted(self.live_versions()) if view is not ViewType.DELETED_ONLY else []
        found = [Endpoint(name, self.get_deployment(name)) for name in live]
        if view is not ViewType.ACTIVE_ONLY:
            found += _lifecycle.deleted_endpoints(self.store)
        return sorted(found, key=lambda e: e.name)

    def delete_endpoint(self, endpoint: str) -> LifecycleEvent:
        """Delete an endpoint: servers stop answering it; restorable until ``driftloop gc``.

        Refused while a monitor watches it or a loop policy drives it (delete those first).
        """
        return _lifecycle.delete_endpoint(
            self.store, endpoint, self.user, self.clock(), self.usages
        )

    def restore_endpoint(self, endpoint: str) -> LifecycleEvent:
        """Serve a deleted endpoint's last deployment again (its model versions must exist)."""
        return _lifecycle.restore_endpoint(
            self.store, endpoint, self.user, self.clock(), self.registry.get_version
        )

    def history(self, endpoint: str) -> list[Deployment]:
        """Every deployment of ``endpoint``, oldest first: who changed what, and when."""
        rows.check_endpoint_name(endpoint)
        with self.store.read() as session:
            found = [rows.to_deployment(r) for r in rows.history_rows(session, endpoint)]
        if not found:
            raise NotFoundError(f"no endpoint named {endpoint!r}; see `driftloop endpoints list`")
        return found

    def deployments_serving(self, model: str, version: int) -> list[Deployment]:
        """Every deployment that routed (or routes) traffic to ``model`` version ``version``."""
        with self.store.read() as session:
            return [rows.to_deployment(r) for r in rows.rows_serving(session, model, version)]

    # changing ------------------------------------------------------------------------

    def deploy(
        self,
        endpoint: str,
        primary: str,
        canary: str | None = None,
        canary_weight: float = 0.0,
        shadow: str | None = None,
        sticky_key: str | None = None,
        *,
        features: Sequence[str] = (),
        max_batch_size: int = 1,
        max_batch_wait_ms: float = 2.0,
    ) -> Deployment:
        """Make a new deployment of ``endpoint`` (created if new); running servers pick it up.

        ``primary``, ``canary`` and ``shadow`` are model references (``churn@champion``,
        ``models:/churn/3``), resolved and pinned now. ``canary_weight`` is the share of
        requests the canary answers; ``sticky_key`` names the request header (or input
        column) whose value keeps one caller on one side. ``features`` are feature refs
        (``weather:temp``) looked up online when a request gives entity keys instead.

        Raises:
            NotFoundError: a model or version does not exist.
            ConflictError: a version is not ready (failed its integrity check, archived).
            InvalidInputError: a bad name, weight or batching option.

        Example::

            ws.serving.deploy("churn", "churn@champion", canary="churn@4", canary_weight=0.1)
        """
        rows.check_endpoint_name(endpoint)
        weight = _check_weight(canary_weight, canary is not None)
        spec = Deployment(
            endpoint=endpoint,
            version=0,
            action="deploy",
            primary=self._route(RouteKind.PRIMARY, primary),
            canary=self._route(RouteKind.CANARY, canary) if canary else None,
            canary_weight=weight,
            shadow=self._route(RouteKind.SHADOW, shadow) if shadow else None,
            sticky_key=_check_sticky_key(sticky_key),
            batching=_check_batching(max_batch_size, max_batch_wait_ms),
            features=tuple(features),
            source_version=0,
            changes="",
            created_by=self.user,
            created_at=self.clock(),
        )
        return self._write(spec)

    def update(
        self,
        endpoint: str,
        *,
        primary: str | None = None,
        canary: str | object | None = _UNSET,
        canary_weight: float | None = None,
        shadow: str | object | None = _UNSET,
        sticky_key: str | object | None = _UNSET,
        max_batch_size: int | None = None,
        max_batch_wait_ms: float | None = None,
    ) -> Deployment:
        """Change some routes or options of the live deployment; the rest stays as it is.

        ``canary=None`` removes the canary (its weight goes to 0), ``shadow=None`` the shadow.
        """
        live = self.get_deployment(endpoint)
        new_canary = live.canary if canary is _UNSET else self._optional(RouteKind.CANARY, canary)
        weight = live.canary_weight if canary_weight is None else canary_weight
        if new_canary is None:
            weight = 0.0 if canary_weight is None else weight
        batching = live.batching
        if max_batch_size is not None or max_batch_wait_ms is not None:
            batching = _check_batching(
                batching.max_batch_size if max_batch_size is None else max_batch_size,
                batching.max_wait_ms if max_batch_wait_ms is None else max_batch_wait_ms,
            )
        spec = replace(
            live,
            action="deploy",
            primary=self._route(RouteKind.PRIMARY, primary) if primary else live.primary,
            canary=new_canary,
            canary_weight=_check_weight(weight, new_canary is not None),
            shadow=live.shadow if shadow is _UNSET else self._optional(RouteKind.SHADOW, shadow),
            sticky_key=live.sticky_key if sticky_key is _UNSET else _check_sticky_key(sticky_key),  # type: ignore[arg-type]
            batching=batching,
            created_by=self.user,
            created_at=self.clock(),
        )
        return self._write(spec)

    def promote_canary(self, endpoint: str) -> Deployment:
        """Make the canary the primary (the old primary stops answering); no canary after."""
        live = self.get_deployment(endpoint)
        if live.canary is None:
            raise ConflictError(f"endpoint {endpoint!r} has no canary to promote")
        return self._write(self._promoted(live, live.canary))

    def promote_version(
        self, endpoint: str, model: str, version: int, *, alias: str | None = None
    ) -> Deployment:
        """Make ``model`` version ``version`` the primary of ``endpoint``, with no canary after,
        and with ``alias`` point that alias of the model at it in the same transaction: no
        one ever sees the endpoint serve the version while the alias names another.

        Idempotent, so a step that died halfway can be run again: when the primary already
        is that version, only the alias is moved (unless it names the version already).

        Raises:
            NotFoundError: no such endpoint, model or version.
            ConflictError: the version is not ready.

        Example::

            ws.serving.promote_version("churn", "churn", 4, alias="champion")
        """
        live = self.get_deployment(endpoint)
        target = (model, version)

        def move_alias(session: Session) -> None:
            if alias is not None:
                self.registry.set_alias_in(session, model, alias, version)

        if (live.primary.model_name, live.primary.model_version) == target:
            if alias is not None and self.registry.get_model(model).aliases.get(alias) != version:
                with self.store.session() as session:
                    move_alias(session)
            return live
        canary = live.canary
        if canary is not None and (canary.model_name, canary.model_version) == target:
            route = canary
        else:
            route = self._route(RouteKind.PRIMARY, f"models:/{model}/{version}")
        return self._write(self._promoted(live, route), also=move_alias)

    def _promoted(self, live: Deployment, route: DeploymentRoute) -> Deployment:
        return replace(
            live,
            action="promote",
            primary=replace(route, kind=RouteKind.PRIMARY),
            canary=None,
            canary_weight=0.0,
            created_by=self.user,
            created_at=self.clock(),
        )

    def rollback(self, endpoint: str, to_version: int | None = None) -> Deployment:
        """Serve the deployment before the live one again (or deployment ``to_version``).

        The rollback is itself a new deployment (copying the earlier one), so history
        keeps every step; rolling back again walks further back.
        """
        live = self.get_deployment(endpoint)
        if to_version is not None and (
            not isinstance(to_version, int) or not 1 <= to_version <= live.version
        ):
            raise InvalidInputError(
                f"to_version must be a deployment of {endpoint!r} (1..{live.version}), "
                f"got {to_version!r}"
            )
        target = to_version if to_version is not None else live.source_version - 1
        if target < 1:
            raise ConflictError(
                f"endpoint {endpoint!r} has no deployment before version {live.source_version} "
                "to roll back to; see `driftloop endpoints history " + endpoint + "`"
            )
        earlier = self.get_deployment(endpoint, target)
        for route in earlier.routes:  # a deleted version is refused, naming how to restore it
            self.registry.get_version(route.model_name, route.model_version)
        spec = replace(
            earlier,
            action="rollback",
            source_version=earlier.version,
            created_by=self.user,
            created_at=self.clock(),
        )
        return self._write(spec, rollback_of=live)

    def _write(
        self,
        spec: Deployment,
        rollback_of: Deployment | None = None,
        also: Callable[[Session], None] | None = None,
    ) -> Deployment:
        """Write ``spec`` as the next deployment; ``also`` writes in the same transaction."""

        def attempt() -> Deployment:
            with self.store.session() as session:
                live_row = rows.live_row(session, spec.endpoint)
                if live_row is None:
                    _lifecycle.refuse_deleted_endpoint(session, spec.endpoint)
                before = rows.to_deployment(live_row) if live_row else None
                number = next_version(session, DeploymentRow.version, endpoint=spec.endpoint)
                source = spec.source_version if spec.action == "rollback" else number
                changes = rows.describe_changes(before, spec)
                if rollback_of is not None:
                    changes = f"rolled back to {spec.source_version}: {changes}"
                record = replace(spec, version=number, source_version=source, changes=changes)
                # A rollback serves again what was served before: never held for approvals.
                if self.guard is not None and rollback_of is None:
                    routes = newly_live(before, record)
                    self.guard.check_routes(session, spec.endpoint, routes, self.user)
                session.add(DeploymentRow(**rows.row_values(record)))
                if also is not None:
                    also(session)
            return record

        return retry_on_conflict(attempt, what=f"a new deployment of endpoint {spec.endpoint!r}")

    def _optional(self, kind: RouteKind, ref: object) -> DeploymentRoute | None:
        if ref is None:
            return None
        if not isinstance(ref, str):
            raise InvalidInputError(f"{kind.value} must be a model reference, got {ref!r}")
        return self._route(kind, ref)

    def _route(self, kind: RouteKind, ref: str) -> DeploymentRoute:
        version = self.registry.resolve(ref)
        if version.status != ModelStatus.READY:
            reason = f": {version.status_message}" if version.status_message else ""
            raise ConflictError(
                f"{version.uri} is {version.status.value}{reason}; only ready versions can be "
                f"deployed (see `driftloop models versions {version.name}`)"
            )
        return DeploymentRoute(kind, version.name, version.version, ref)


def newly_live(before: Deployment | None, after: Deployment) -> list[tuple[str, int]]:
    """The (model, version) pairs ``after`` sends live traffic to (primary, canary) that
    ``before`` did not in that role; a shadow answers no one."""

    def live(d: Deployment | None) -> set[tuple[RouteKind, str, int]]:
        routes = (d.primary, d.canary) if d is not None else ()
        return {(r.kind, r.model_name, r.model_version) for r in routes if r is not None}

    return sorted({(m, v) for _, m, v in live(after) - live(before)})


def version_key(version: ModelVersion) -> tuple[str, int]:
    return version.name, version.version


def _check_sticky_key(key: str | None) -> str | None:
    if key is None:
        return None
    if not isinstance(key, str) or not key.strip() or len(key) > 128:
        raise InvalidInputError(f"sticky_key must be a header or column name, got {key!r}")
    return key


def deployment_lineage(
    store: MetadataStore,
) -> Callable[[ModelVersion], Iterable[tuple[LineageNode, str]]]:
    """A registry lineage provider: the deployments that served a model version."""

    def provide(version: ModelVersion) -> Iterable[tuple[LineageNode, str]]:
        with store.read() as session:
            found = [
                rows.to_deployment(r) for r in rows.rows_serving(session, *version_key(version))
            ]
        for d in found:
            kinds = [
                r.kind.value
                for r in d.routes
                if (r.model_name, r.model_version) == version_key(version)
            ]
            yield (
                LineageNode(
                    f"deployment:{d.endpoint}@{d.version}",
                    "deployment",
                    f"endpoint {d.endpoint} deployment {d.version} ({', '.join(kinds)})",
                    {
                        "endpoint": d.endpoint,
                        "deployment_version": d.version,
                        "routes": kinds,
                        "created_by": d.created_by,
                        "created_at": d.created_at.isoformat(),
                    },
                ),
                "deployed_as",
            )

    return provide
