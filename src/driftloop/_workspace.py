"""The workspace: settings, the per-process resources, and the services of each context.

A :class:`Workspace` is shared by every thread and request of a process, like an
httpx client or a SQLAlchemy engine: the resources behind it (metadata engine, blob
store, online store, metric writer, caches) are built once, lazily where they cost
something, and closed once. Services are cheap, stateless views over those resources
for one acting user; ``ws.acting_as(user)`` gives a view for another user (a REST
server does this per request) without building anything again.

The module-level API (``dl.start_run`` and friends) uses one default workspace, the
only global, found from the current folder or created there on first use.
"""

from __future__ import annotations

import functools
import sys
import threading
from collections.abc import Callable
from datetime import timedelta
from functools import cached_property
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from driftloop.artifacts import FsspecBlobStore, open_blob_store
from driftloop.config import CONFIG_FILE, STATE_DIR, Settings, find_workspace_root, load_settings
from driftloop.errors import InvalidInputError, NotFoundError
from driftloop.store import MetadataStore, utcnow
from driftloop.store._lifecycle import UsageCheck, Usages
from driftloop.store._purge import Trash
from driftloop.tracking._heartbeat import Heartbeat
from driftloop.tracking._service import TrackingService, open_metric_writer
from driftloop.tracking._writer import MetricWriter

if TYPE_CHECKING:
    from driftloop._duckdb import DuckDB
    from driftloop.automation._service import LoopService
    from driftloop.data._background import ProfileWorker
    from driftloop.data._service import DatasetService
    from driftloop.features._offline import DatasetResolver
    from driftloop.features._protocols import OnlineStore
    from driftloop.features._service import FeatureService, ViewDefinitionCache
    from driftloop.governance._approvals import ApprovalService
    from driftloop.governance._authenticator import TokenAuthenticator
    from driftloop.governance._service import GovernanceService
    from driftloop.monitoring._service import MonitoringService
    from driftloop.pipelines._protocols import StepExecutor
    from driftloop.pipelines._service import PipelineService
    from driftloop.pipelines._triggers import TriggerService
    from driftloop.registry._service import DownstreamProvider, RegistryService
    from driftloop.serving._batch import BatchScoringService
    from driftloop.serving._log_reader import PredictionLogService
    from driftloop.serving._service import ServingService

_CONFIG_TEMPLATE = """\
# driftloop workspace. Environment variables (DRIFTLOOP_DB_URL, DRIFTLOOP_ARTIFACT_URL,
# DRIFTLOOP_ONLINE_URL) override these settings; unset ones default to files in .driftloop/.
[workspace]
# db_url = "postgresql+psycopg://postgres@127.0.0.1:5432/driftloop"
# artifact_url = "s3://bucket/driftloop"
# online_url = "redis://127.0.0.1:6379/0"
"""

T = TypeVar("T")


def _usage_checks(store: MetadataStore) -> Usages:
    # Wired now, imported at the first delete: each check imports its context.
    return Usages(lambda: _checks_by_kind(store))


def _checks_by_kind(store: MetadataStore) -> dict[str, list[UsageCheck]]:
    from driftloop.automation import _lifecycle as loop
    from driftloop.features import _lifecycle as features
    from driftloop.monitoring import _lifecycle as monitoring
    from driftloop.pipelines._trigger_lifecycle import alert_rule_users
    from driftloop.registry._lifecycle import run_users
    from driftloop.serving import _lifecycle as serving

    return {
        "run": [run_users(store)],
        "dataset": [
            features.dataset_users(store),
            monitoring.dataset_users(store),
            loop.dataset_users(store),
        ],
        "model_version": [serving.model_version_users(store), loop.model_version_users(store)],
        "feature_view": [serving.feature_view_users(store)],
        "endpoint": [monitoring.endpoint_users(store), loop.endpoint_users(store)],
        "alert_rule": [alert_rule_users(store)],
    }


def _deployment_lineage(store: MetadataStore) -> DownstreamProvider:
    # Serving (and the registry's pandas) is imported when lineage is first walked, not
    # when a workspace opens: `driftloop runs list` needs neither.
    def provide(version: Any) -> Any:
        from driftloop.serving._service import deployment_lineage

        return deployment_lineage(store)(version)

    return provide


class WorkspaceResources:
    """What one process holds for one workspace: built once, shared by all views, closed once.

    Lazy members are built on first use under a lock, so two threads never build two
    online stores or two metric writers. ``close()`` closes what was built, newest first.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        settings.state_dir.mkdir(parents=True, exist_ok=True)
        self.store = MetadataStore(settings.db_url).open()
        self.blobs: FsspecBlobStore = open_blob_store(settings.artifact_url)
        # Later contexts (serving) register what a model version feeds, for lineage.
        self.downstream: list[DownstreamProvider] = [
            self._pipeline_lineage,
            self._scoring_lineage,
            _deployment_lineage(self.store),
            self._loop_lineage,
        ]
        self._built: dict[str, object] = {}
        self._closers: list[Callable[[], None]] = []
        self._lock = threading.RLock()
        self._closed = False

    def _lazy(self, name: str, build: Callable[[], T], close: Callable[[T], None] | None) -> T:
        found = self._built.get(name)
        if found is not None:
            return found  # type: ignore[return-value]
        with self._lock:
            if self._closed:
                raise InvalidInputError("this workspace is closed; open a new dl.Workspace(...)")
            found = self._built.get(name)
            if found is None:
                value = build()
                if close is not None:
                    self._closers.append(lambda: close(value))
                self._built[name] = found = value
            return found  # type: ignore[return-value]

    @property
    def usages(self) -> Usages:
        """What uses an object, asked before deleting it (each context's checks, wired here)."""
        return self._lazy("usages", lambda: _usage_checks(self.store), None)

    @property
    def metric_writer(self) -> MetricWriter:
        return self._lazy(
            "metric_writer", lambda: open_metric_writer(self.store), MetricWriter.close
        )

    @property
    def heartbeat(self) -> Heartbeat:
        return self._lazy("heartbeat", lambda: Heartbeat(self.store), Heartbeat.close)

    @property
    def online_store(self) -> OnlineStore:
        from driftloop.features._online import open_online_store

        return self._lazy(
            "online_store", lambda: open_online_store(self.settings.online_url), lambda s: s.close()
        )

    @property
    def duck(self) -> DuckDB:
        from driftloop._duckdb import DuckDB

        return self._lazy(
            "duck", lambda: DuckDB(self.settings.state_dir / "duckdb-tmp"), DuckDB.close
        )

    @property
    def monitor_references(self) -> dict[Any, Any]:
        """Monitor references prepared in this process (sorted columns, bins), reused."""
        return self._lazy("monitor_references", dict, None)

    @property
    def view_definitions(self) -> ViewDefinitionCache:
        from driftloop.features._service import ViewDefinitionCache

        return self._lazy("view_definitions", ViewDefinitionCache, None)

    @property
    def profile_worker(self) -> ProfileWorker:
        """The thread computing dataset profiles after a log; closing abandons its job."""
        from driftloop.data._background import ProfileWorker

        # DuckDB first: closing goes newest first, so the worker stops before the database.
        duck = self.duck
        return self._lazy("profile_worker", lambda: ProfileWorker(duck.cursor), ProfileWorker.close)

    @property
    def authenticator(self) -> TokenAuthenticator:
        """The process's token authenticator: one cache (of at most a second) for every request."""
        from driftloop.governance._authenticator import TokenAuthenticator

        return self._lazy("authenticator", lambda: TokenAuthenticator(self.store), None)

    def dataset_resolver(self, datasets: DatasetService) -> DatasetResolver:
        from driftloop.features._offline import cached_dataset_resolver

        # Reads only: which user the resolver's service acts for does not matter.
        return self._lazy("dataset_resolver", lambda: cached_dataset_resolver(datasets.get), None)

    def _pipeline_lineage(self, version: Any) -> Any:
        from driftloop.pipelines._lineage import step_lineage
        from driftloop.pipelines._records import RunRecords

        records = RunRecords(self.store, utcnow, timedelta(minutes=2))
        return step_lineage(records)(version)

    def _loop_lineage(self, version: Any) -> Any:
        from driftloop.automation._lineage import loop_lineage

        return loop_lineage(self.store)(version)

    def _scoring_lineage(self, version: Any) -> Any:
        from driftloop.serving._batch_lineage import scored_outputs

        return scored_outputs(self.store)(version)

    def step_executor(self, workers: int | None) -> StepExecutor:
        """The process's pool of step workers (one per worker count), reused by every run."""
        from driftloop.pipelines._local import LocalExecutor

        return self._lazy(
            f"step_executor:{workers}", lambda: LocalExecutor(workers), LocalExecutor.close
        )

    @property
    def is_closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            closers, self._closers = self._closers[::-1], []
        try:
            for close in closers:
                close()
        finally:
            self.store.dispose()


class Workspace:
    """An opened driftloop workspace, safe to share by the threads and requests of a process.

    Use it as a context manager, or call :meth:`close` once; views made with
    :meth:`acting_as` share its resources and need no closing.

    Example::

        with dl.Workspace("path/to/project") as ws:
            ws.tracking.list_experiments()
            ws.acting_as("ana").registry.set_alias("churn", "champion", 3)
    """

    def __init__(
        self,
        root: str | Path | None = None,
        *,
        db_url: str | None = None,
        artifact_url: str | None = None,
        online_url: str | None = None,
        user: str | None = None,
    ) -> None:
        settings = load_settings(
            root, db_url=db_url, artifact_url=artifact_url, online_url=online_url
        )
        self._resources = WorkspaceResources(settings)
        self._user = _check_user(user) if user is not None else settings.user
        self._owns_resources = True

    def acting_as(self, user: str) -> Workspace:
        """A view of this workspace whose services act for ``user`` (recorded as who did what).

        Cheap: nothing is opened; the view shares this workspace's resources and is
        closed with it.
        """
        view = object.__new__(Workspace)
        view._resources = self._resources
        view._user = _check_user(user)
        view._owns_resources = False
        return view

    @property
    def settings(self) -> Settings:
        return self._resources.settings

    @property
    def resources(self) -> WorkspaceResources:
        return self._resources

    @property
    def store(self) -> MetadataStore:
        return self._resources.store

    @property
    def blobs(self) -> FsspecBlobStore:
        return self._resources.blobs

    @property
    def root(self) -> Path:
        return self.settings.root

    @property
    def user(self) -> str:
        return self._user

    @property
    def duck(self) -> DuckDB:
        """The process's DuckDB database for this workspace (built on first use)."""
        return self._resources.duck

    @cached_property
    def tracking(self) -> TrackingService:
        r = self._resources
        return TrackingService(
            r.store,
            r.blobs,
            self._user,
            writer=r.metric_writer,
            heartbeat=r.heartbeat,
            usages=r.usages,
        )

    @cached_property
    def datasets(self) -> DatasetService:
        from driftloop.data._service import DatasetService

        r = self._resources
        return DatasetService(
            r.store,
            r.blobs,
            self._user,
            self.settings.state_dir / "cache",
            duck=r.duck,
            profiler=r.profile_worker,
            usages=r.usages,
        )

    @cached_property
    def registry(self) -> RegistryService:
        from driftloop.governance._guard import ProtectionGuard
        from driftloop.registry._service import RegistryService

        r = self._resources
        return RegistryService(
            r.store,
            r.blobs,
            self.tracking,
            self._user,
            downstream=r.downstream,
            usages=r.usages,
            guard=ProtectionGuard(),
        )

    @cached_property
    def features(self) -> FeatureService:
        from driftloop.features._service import FeatureService

        r = self._resources
        return FeatureService(
            r.store,
            self._user,
            lambda: r.online_store,
            self.settings.state_dir,
            r.dataset_resolver(self.datasets),
            datasets=self.datasets,
            tracking=self.tracking,
            definitions=r.view_definitions,
            duck=r.duck,
            usages=r.usages,
        )

    @cached_property
    def pipelines(self) -> PipelineService:
        from driftloop.pipelines._service import PipelineService

        r, settings = self._resources, self.settings
        opener = functools.partial(
            open_worker_workspace,
            str(settings.root),
            settings.db_url,
            settings.artifact_url,
            settings.online_url,
            self._user,
        )

        def resolve(kind: str, ref: str) -> Any:
            if kind == "dataset_version":
                return self.datasets.get_version(ref)
            return self.registry.resolve(ref)

        return PipelineService(
            r.store,
            r.blobs,
            self._user,
            open_workspace=opener,
            resolve=resolve,
            local_executor=r.step_executor,
            environment={
                "DRIFTLOOP_HOME": str(settings.root),
                "DRIFTLOOP_DB_URL": settings.db_url,
                "DRIFTLOOP_ARTIFACT_URL": settings.artifact_url,
                "DRIFTLOOP_ONLINE_URL": settings.online_url,
            },
            log_dir=settings.state_dir / "logs",
            code_root=settings.root,
        )

    @cached_property
    def predictions(self) -> PredictionLogService:
        """The prediction log and its feedback labels (see ``driftloop.serving``)."""
        from driftloop.serving._log_reader import PredictionLogService

        r = self._resources
        return PredictionLogService(r.store, r.blobs, r.duck, self.settings.state_dir / "cache")

    @cached_property
    def triggers(self) -> TriggerService:
        from driftloop.pipelines._dispatch import dispatcher_for
        from driftloop.pipelines._triggers import TriggerService

        return TriggerService(
            self._resources.store, self._user, lambda kind: dispatcher_for(kind, self)
        )

    @cached_property
    def scoring(self) -> BatchScoringService:
        """Batch scoring of dataset versions with registered models."""
        from driftloop.serving._batch import BatchScoringService

        return BatchScoringService(self.registry, self.datasets, self.tracking)

    @cached_property
    def monitoring(self) -> MonitoringService:
        """Monitors of endpoints, their windows, series and alerts (``driftloop.monitoring``)."""
        from driftloop.monitoring._service import MonitoringService
        from driftloop.monitoring._sources import reference_reader, training_set_finder

        r = self._resources

        def notify(kind: str, source: str, key: str, payload: dict[str, Any]) -> list[Any]:
            return list(self.triggers.notify(kind, source, key, payload))

        return MonitoringService(
            r.store,
            self._user,
            predictions=lambda: self.predictions,
            open_reference=reference_reader(self.datasets),
            training_set_of=training_set_finder(self.registry, self.tracking),
            cursor=r.duck.cursor,
            notify=notify,
            references=r.monitor_references,
            usages=r.usages,
            endpoints=lambda: self.serving.live_versions().keys(),
        )

    @cached_property
    def serving(self) -> ServingService:
        from driftloop.governance._guard import ProtectionGuard
        from driftloop.serving._service import ServingService

        r = self._resources
        return ServingService(
            r.store, self.registry, self._user, usages=r.usages, guard=ProtectionGuard()
        )

    @cached_property
    def trash(self) -> Trash:
        """Deleted objects of every kind, and their purge (what ``driftloop gc`` runs first)."""
        r = self._resources
        forget = {"feature_view": lambda name: r.online_store.delete_view(name)}
        return Trash(r.store, self._user, forget)

    @cached_property
    def governance(self) -> GovernanceService:
        """Users, roles and tokens (``driftloop.governance``), acting as the workspace's
        operator; ``ws.governance.for_principal(p)`` checks every call against p's roles."""
        from driftloop.governance._service import GovernanceService

        r = self._resources
        return GovernanceService(r.store, self._user, authenticator=r.authenticator)

    @cached_property
    def approvals(self) -> ApprovalService:
        """Protected aliases and endpoints, approval requests and decisions, notified
        where alerts go (``driftloop.governance``)."""
        from driftloop.governance._wiring import build_approvals

        return build_approvals(self)

    @cached_property
    def loop(self) -> LoopService:
        """The closed loop of every endpoint with a policy (see ``driftloop.automation``)."""
        from driftloop.automation._wiring import build_loop

        return build_loop(self, utcnow)

    def close(self) -> None:
        """Flush and close the resources (a view made by :meth:`acting_as` closes nothing)."""
        if self._owns_resources:
            self._resources.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Workspace({str(self.root)!r}, user={self._user!r})"


def _check_user(user: str) -> str:
    if not isinstance(user, str) or not user.strip() or len(user) > 250:
        raise InvalidInputError(
            f"user {user!r} is not allowed; give a non-empty name of at most 250 characters"
        )
    return user


def open_worker_workspace(
    root: str, db_url: str, artifact_url: str, online_url: str, user: str
) -> Workspace:
    """Open the workspace in a pipeline worker and make it the worker's default, so the
    fluent calls of a step (``dl.start_run``, ``dl.log_dataset``) record into it."""
    ws = Workspace(root, db_url=db_url, artifact_url=artifact_url, online_url=online_url, user=user)
    set_workspace(ws)
    return ws


def init_workspace(path: str | Path = ".") -> Workspace:
    """Create ``driftloop.toml`` and ``.driftloop/`` in ``path`` (kept if present) and open it."""
    root = Path(path).resolve()
    root.mkdir(parents=True, exist_ok=True)
    config = root / CONFIG_FILE
    if not config.exists():
        config.write_text(_CONFIG_TEMPLATE, encoding="utf-8")
    (root / STATE_DIR).mkdir(exist_ok=True)
    return Workspace(root)


_default: Workspace | None = None
_default_lock = threading.Lock()


def get_workspace(*, create: bool = True) -> Workspace:
    """The default workspace: set, found from the current folder, or created here (said once).

    Raises:
        NotFoundError: ``create`` is false and no workspace is set or found (the CLI's
            reads: `driftloop runs list` in the wrong folder says so, creating nothing).
    """
    global _default
    found = _default
    if found is not None:  # the hot path of every fluent call: no lock
        return found
    with _default_lock:
        if _default is None:
            import os

            if os.environ.get("DRIFTLOOP_HOME") or find_workspace_root() is not None:
                _default = Workspace()
            elif not create:
                raise NotFoundError(
                    f"no driftloop workspace in {Path.cwd()} or its parents; run `driftloop "
                    "init` (or cd into a workspace, or set DRIFTLOOP_HOME)"
                )
            else:
                _default = init_workspace(Path.cwd())
                print(
                    f"driftloop: no workspace found; created one in {_default.root} "
                    f"({CONFIG_FILE} and {STATE_DIR}/)",
                    file=sys.stderr,
                )
        return _default


def set_workspace(workspace: Workspace | str | Path | None) -> Workspace | None:
    """Make ``workspace`` the default (a path opens it); None forgets the current default.

    The previous default is closed unless it is the one being set.
    """
    global _default
    with _default_lock:
        if _default is not None and _default is not workspace:
            _default.close()
        if workspace is None or isinstance(workspace, Workspace):
            _default = workspace
        else:
            _default = Workspace(workspace)
        return _default
