"""Registry use cases: models, versions, status, aliases with history, loading by URI."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError as SqlIntegrityError
from sqlalchemy.orm import Session

from driftloop._observe import created
from driftloop.artifacts import BlobStore
from driftloop.errors import (
    AlreadyExistsError,
    ConflictError,
    DriftloopError,
    InvalidInputError,
    NotFoundError,
)
from driftloop.registry import _lifecycle, _rows
from driftloop.registry._aliases import alias_events, drop_alias, point_alias
from driftloop.registry._card import render_card
from driftloop.registry._logging import log_model_files
from driftloop.registry._manifest import ModelManifest
from driftloop.registry._models import (
    AliasEvent,
    Lineage,
    LineageNode,
    LoggedModel,
    ModelStatus,
    ModelVersion,
    RegisteredModel,
    RunLinks,
)
from driftloop.registry._package import (
    MANIFEST,
    LoadedModel,
    load_package,
    read_manifest,
    verify_files,
)
from driftloop.registry._uri import (
    ModelRef,
    RunModelRef,
    check_alias,
    check_model_name,
    parse_model_uri,
)
from driftloop.store import MetadataStore, next_version, retry_on_conflict, utcnow
from driftloop.store._lifecycle import LifecycleEvent, Usages, ViewType, deleted_message, visible
from driftloop.store._registry_rows import (
    ModelAliasRow,
    ModelVersionRow,
    RegisteredModelRow,
)
from driftloop.tracking import TrackingService


def _restore_model(name: str) -> str:
    return f"driftloop models restore {name}"


# Later contexts (serving) add functions here that name what a version feeds: each
# returns (node, relation) pairs for the lineage graph, e.g. a deployment.
DownstreamProvider = Callable[[ModelVersion], Iterable[tuple[LineageNode, str]]]


class AliasGuard(Protocol):
    """Checks an alias move inside its transaction (governance's protections)."""

    def check_alias(
        self, session: Session, model: str, alias: str, version: int | None, user: str
    ) -> None:
        """Raise if ``alias`` of ``model`` may not move to ``version`` (None: be removed)."""
        ...


class RegistryService:
    """Registered models over the metadata store; model bytes in the blob store.

    Acts for ``user`` (recorded as who registered or moved what); stateless, so one
    instance serves many threads. ``downstream`` is the process's list of lineage
    providers that later contexts (serving) register; it is read, never changed, here.
    """

    def __init__(
        self,
        store: MetadataStore,
        blobs: BlobStore,
        tracking: TrackingService,
        user: str,
        *,
        downstream: Sequence[DownstreamProvider] = (),
        usages: Usages | None = None,
        guard: AliasGuard | None = None,
    ) -> None:
        self.store = store
        self.blobs = blobs
        self.tracking = tracking
        self.user = user
        self.downstream = downstream
        # what else uses a version (a live deployment, the loop), asked before deleting it
        self.usages = usages or Usages()
        self.guard = guard

    # logging models ---------------------------------------------------------------

    def log_model(
        self,
        run_id: str,
        model: Any,
        name: str | None = None,
        *,
        register: bool = False,
        artifact_path: str = "model",
        input_example: Any = None,
        training_data: Any = None,
        code_paths: Sequence[str | Path] = (),
        onnx: bool = False,
        flavor: str | None = None,
        extra_requirements: Sequence[str] = (),
        description: str = "",
        tags: dict[str, Any] | None = None,
    ) -> LoggedModel:
        """Store ``model`` in run ``run_id`` and, with ``register=True``, register it as ``name``.

        See ``dl.log_model`` for the arguments.

        Raises:
            InvalidInputError: ``register=True`` without a name, an unknown flavor, no predict.
        """
        if register and not name:
            raise InvalidInputError(
                "register=True needs a model name: dl.log_model(model, name='churn', ...)"
            )
        logged = log_model_files(
            self.tracking,
            run_id,
            model,
            artifact_path=artifact_path,
            input_example=input_example,
            training_data=training_data,
            code_paths=code_paths,
            onnx=onnx,
            flavor=flavor,
            extra_requirements=extra_requirements,
        )
        if not register or name is None:
            return logged
        version = self.register(logged, name, description=description, tags=tags)
        return replace(logged, version=version)

    # registered models ----------------------------------------------------------

    def create_model(
        self, name: str, description: str = "", tags: dict[str, Any] | None = None
    ) -> RegisteredModel:
        """Create an empty registered model; ``AlreadyExistsError`` if the name is taken."""
        check_model_name(name)
        try:
            with self.store.session() as session:
                found = session.scalar(
                    select(RegisteredModelRow).where(RegisteredModelRow.name == name)
                )
                if found is not None:
                    _lifecycle.refuse_deleted_model(found)
                self._insert_model(session, name, description, tags)
        except SqlIntegrityError:
            raise AlreadyExistsError(f"a registered model named {name!r} exists already") from None
        return self.get_model(name)

    def _insert_model(
        self, session: Session, name: str, description: str, tags: dict[str, Any] | None
    ) -> RegisteredModelRow:
        now = utcnow()
        row = RegisteredModelRow(
            name=name,
            description=description,
            tags={k: str(v) for k, v in (tags or {}).items()},
            created_by=self.user,
            created_at=now,
            updated_at=now,
        )
        session.add(row)
        session.flush()
        return row

    def _model_row(self, session: Session, name: str, lock: bool = False) -> RegisteredModelRow:
        # lock: alias writers of one model take turns (FOR UPDATE; a no-op on SQLite,
        # whose write transactions are exclusive anyway).
        query = select(RegisteredModelRow).where(RegisteredModelRow.name == name)
        row = session.scalar(query.with_for_update() if lock else query)
        if row is None:
            raise NotFoundError(f"no registered model named {name!r}; see `driftloop models list`")
        if row.deleted_at is not None:
            raise NotFoundError(deleted_message(f"model {name!r}", row, _restore_model(name)))
        return row

    def get_model(self, name: str) -> RegisteredModel:
        with self.store.read() as session:
            return self._to_model(session, self._model_row(session, name))

    def _to_model(self, session: Session, row: RegisteredModelRow) -> RegisteredModel:
        latest = session.scalar(
            select(func.max(ModelVersionRow.version)).where(
                ModelVersionRow.model_id == row.id, *visible(ModelVersionRow)
            )
        )
        aliases = dict(
            session.execute(
                select(ModelAliasRow.alias, ModelAliasRow.version).where(
                    ModelAliasRow.model_id == row.id
                )
            ).all()
        )
        return _rows.to_model(row, latest, aliases)

    def list_models(
        self, view_type: ViewType | str = ViewType.ACTIVE_ONLY
    ) -> list[RegisteredModel]:
        """Registered models by name; deleted ones with ``view_type`` "deleted_only" or "all"."""
        query = select(RegisteredModelRow).where(*visible(RegisteredModelRow, view_type))
        with self.store.read() as session:
            rows = session.scalars(query.order_by(RegisteredModelRow.name)).all()
            return [self._to_model(session, row) for row in rows]

    def delete_model(self, name: str) -> LifecycleEvent:
        """Delete a model and its versions; refused while an alias or a deployment uses one."""
        return _lifecycle.delete_model(self.store, name, self.user, utcnow(), self.usages)

    def restore_model(self, name: str) -> LifecycleEvent:
        """Restore a deleted model and the versions deleted with it."""
        return _lifecycle.restore_model(self.store, name, self.user, utcnow())

    def delete_version(self, name: str, version: int) -> LifecycleEvent:
        """Delete one version; refused naming the alias, endpoint or loop that uses it.

        Example::

            ws.registry.delete_version("churn", 2)   # restore_version("churn", 2) undoes it
        """
        return _lifecycle.delete_version(
            self.store, name, version, self.user, utcnow(), self.usages
        )

    def restore_version(self, name: str, version: int) -> LifecycleEvent:
        return _lifecycle.restore_version(self.store, name, version, self.user, utcnow())

    def update_model(
        self, name: str, description: str | None = None, tags: dict[str, Any] | None = None
    ) -> RegisteredModel:
        """Change the description and/or merge ``tags`` into the model's tags."""
        with self.store.session() as session:
            row = self._model_row(session, name)
            if description is not None:
                row.description = description
            if tags:
                row.tags = {**(row.tags or {}), **{k: str(v) for k, v in tags.items()}}
            row.updated_at = utcnow()
        return self.get_model(name)

    # versions -----------------------------------------------------------------------

    def register(
        self,
        source: LoggedModel | str,
        name: str,
        description: str = "",
        tags: dict[str, Any] | None = None,
    ) -> ModelVersion:
        """Make a new version of ``name`` (created if needed) from a logged model or ``runs:/`` URI.

        The version starts ``pending``; it becomes ``ready`` once every file is verified
        in the artifact store, or ``failed`` with the reason.

        Example::

            version = ws.registry.register("runs:/3f2a.../model", "churn")
        """
        check_model_name(name)
        run_id, path, digest = self._locate(source)
        where = f"runs:/{run_id}/{path}"
        manifest = read_manifest(self.blobs, digest, where)
        values = {
            "run_id": run_id,
            "artifact_path": path,
            "model_digest": digest,
            "flavor": manifest.flavor,
            "signature": manifest.signature.to_dict() if manifest.signature else None,
            "requirements": manifest.requirements,
            "description": description,
            "tags": {k: str(v) for k, v in (tags or {}).items()},
        }
        version = self._insert_version(name, values)
        created("model_version", f"{name}@{version}")
        try:
            verify_files(self.blobs, manifest, where)
        except DriftloopError as exc:
            self._set_status(name, version, ModelStatus.FAILED, str(exc))
            raise
        return self._set_status(name, version, ModelStatus.READY, "")

    def _locate(self, source: LoggedModel | str) -> tuple[str, str, str]:
        if isinstance(source, LoggedModel):
            return source.run_id, source.artifact_path, source.model_digest
        ref = parse_model_uri(source)
        if not isinstance(ref, RunModelRef):
            raise InvalidInputError(
                f"register a model from a run (runs:/<run_id>/model), not {source!r}"
            )
        run = self.tracking.get_run(self.tracking.resolve_run_id(ref.run_id))
        wanted = f"{ref.artifact_path}/{MANIFEST}"
        for artifact in run.artifacts:
            if artifact.path == wanted:
                return run.id, ref.artifact_path, artifact.digest
        raise NotFoundError(
            f"run {run.id} has no model at {ref.artifact_path!r}; log one with "
            "dl.log_model(model) inside the run"
        )

    def _insert_version(self, name: str, values: dict[str, Any]) -> int:
        # Two writers creating the same new model collide on the unique name; the
        # loser retries with fresh reads and numbers after the winner.
        def attempt() -> int:
            with self.store.session() as session:
                model = session.scalar(
                    select(RegisteredModelRow).where(RegisteredModelRow.name == name)
                )
                if model is None:
                    model = self._insert_model(session, name, "", None)
                _lifecycle.refuse_deleted_model(model)
                number = next_version(session, ModelVersionRow.version, model_id=model.id)
                now = utcnow()
                session.add(
                    ModelVersionRow(
                        model_id=model.id,
                        version=number,
                        status=ModelStatus.PENDING.value,
                        status_message="",
                        created_by=self.user,
                        created_at=now,
                        updated_at=now,
                        **values,
                    )
                )
                model.updated_at = now
            return number

        return retry_on_conflict(attempt, what=f"a new version of model {name!r}")

    def _version_row(
        self, session: Session, name: str, version: int
    ) -> tuple[RegisteredModelRow, ModelVersionRow]:
        model = self._model_row(session, name)
        row = session.scalar(
            select(ModelVersionRow).where(
                ModelVersionRow.model_id == model.id, ModelVersionRow.version == version
            )
        )
        if row is None:
            latest = session.scalar(
                select(func.max(ModelVersionRow.version)).where(
                    ModelVersionRow.model_id == model.id, *visible(ModelVersionRow)
                )
            )
            raise NotFoundError(
                f"registry has no version {version} of model {name!r} (latest is {latest}); "
                f"see `driftloop models versions {name}`"
            )
        if row.deleted_at is not None:
            restore = f"driftloop models restore {name}@{version}"
            raise NotFoundError(deleted_message(f"model version {name}@{version}", row, restore))
        return model, row

    def _aliases_of(self, session: Session, model_id: int) -> dict[int, list[str]]:
        found: dict[int, list[str]] = {}
        for alias, version in session.execute(
            select(ModelAliasRow.alias, ModelAliasRow.version).where(
                ModelAliasRow.model_id == model_id
            )
        ):
            found.setdefault(version, []).append(alias)
        return found

    def get_version(self, name: str, version: int) -> ModelVersion:
        with self.store.read() as session:
            model, row = self._version_row(session, name, version)
            return _rows.to_version(name, row, self._aliases_of(session, model.id).get(version, []))

    def list_versions(
        self, name: str, view_type: ViewType | str = ViewType.ACTIVE_ONLY
    ) -> list[ModelVersion]:
        """Versions of ``name``, oldest first; deleted ones only with ``view_type``."""
        with self.store.read() as session:
            model = self._model_row(session, name)
            aliases = self._aliases_of(session, model.id)
            rows = session.scalars(
                select(ModelVersionRow)
                .where(ModelVersionRow.model_id == model.id, *visible(ModelVersionRow, view_type))
                .order_by(ModelVersionRow.version)
            )
            return [_rows.to_version(name, r, aliases.get(r.version, [])) for r in rows]

    def _set_status(
        self, name: str, version: int, status: ModelStatus, message: str
    ) -> ModelVersion:
        with self.store.session() as session:
            _, row = self._version_row(session, name, version)
            row.status, row.status_message, row.updated_at = status.value, message, utcnow()
        return self.get_version(name, version)

    def archive(self, name: str, version: int) -> ModelVersion:
        """Archive a version; refused while an alias points at it."""
        current = self.get_version(name, version)
        if current.aliases:
            raise ConflictError(
                f"version {version} of {name!r} holds alias {current.aliases[0]!r}; move or "
                f"remove it first (`driftloop models unalias {name} {current.aliases[0]}`)"
            )
        return self._set_status(name, version, ModelStatus.ARCHIVED, "")

    def resolve(self, uri: str | ModelRef) -> ModelVersion:
        """The version a ``models:/`` URI (or ``name/3``, ``name@alias``, ``name``) points at."""
        ref = parse_model_uri(uri) if isinstance(uri, str) else uri
        if isinstance(ref, RunModelRef):
            raise InvalidInputError(f"{uri!r} is a run's model, not a registered version")
        if ref.version is not None:
            return self.get_version(ref.name, ref.version)
        with self.store.read() as session:
            model = self._model_row(session, ref.name)
            if ref.alias is not None:
                number = session.scalar(
                    select(ModelAliasRow.version).where(
                        ModelAliasRow.model_id == model.id, ModelAliasRow.alias == ref.alias
                    )
                )
                if number is None:
                    known = ", ".join(sorted(self.get_model(ref.name).aliases)) or "none"
                    raise NotFoundError(
                        f"model {ref.name!r} has no alias {ref.alias!r} (aliases: {known}); "
                        f"set it with `driftloop models alias {ref.name} VERSION {ref.alias}`"
                    )
            else:
                number = session.scalar(
                    select(func.max(ModelVersionRow.version)).where(
                        ModelVersionRow.model_id == model.id,
                        ModelVersionRow.status == ModelStatus.READY.value,
                        *visible(ModelVersionRow),
                    )
                )
                if number is None:
                    raise NotFoundError(f"model {ref.name!r} has no ready version")
        return self.get_version(ref.name, number)

    # aliases ---------------------------------------------------------------------------

    def set_alias(self, name: str, alias: str, version: int) -> AliasEvent:
        """Point ``alias`` at ``version`` (set or move), recording who did it and when."""
        with self.store.session() as session:
            return self.set_alias_in(session, name, alias, version)

    def set_alias_in(self, session: Session, name: str, alias: str, version: int) -> AliasEvent:
        """:meth:`set_alias` inside the caller's write transaction: the alias moves exactly
        when the caller's change commits (a promotion moves ``champion`` with its deployment)."""
        check_alias(alias)
        model = self._model_row(session, name, lock=True)
        _, row = self._version_row(session, name, version)
        if row.status != ModelStatus.READY.value:
            raise ConflictError(
                f"version {version} of {name!r} is {row.status}; only ready versions can "
                "hold an alias"
            )
        if self.guard is not None:  # a protected alias moves only with its approvals
            self.guard.check_alias(session, name, alias, version, self.user)
        return point_alias(session, model, alias, version, self.user)

    def remove_alias(self, name: str, alias: str) -> AliasEvent:
        """Remove ``alias``; the removal is recorded."""
        with self.store.session() as session:
            model = self._model_row(session, name, lock=True)
            if self.guard is not None:
                self.guard.check_alias(session, name, alias, None, self.user)
            return drop_alias(session, model, alias, self.user)

    def alias_history(self, name: str, alias: str | None = None) -> list[AliasEvent]:
        """Every alias change of ``name`` (or of one alias), oldest first."""
        with self.store.read() as session:
            return alias_events(session, self._model_row(session, name), alias)

    # loading -----------------------------------------------------------------------------

    def locate(self, uri: str) -> tuple[str, str, ModelVersion | None]:
        """``(display uri, manifest digest, version or None)`` for any model URI."""
        ref = parse_model_uri(uri)
        if isinstance(ref, RunModelRef):
            run_id, path, digest = self._locate(str(ref))
            return f"runs:/{run_id}/{path}", digest, None
        version = self.resolve(ref)
        return version.uri, version.model_digest, version

    def manifest(self, uri: str) -> ModelManifest:
        """The manifest of the model at ``uri``: its files, flavor, signature, requirements."""
        where, digest, _ = self.locate(uri)
        return read_manifest(self.blobs, digest, where)

    def load(self, uri: str, *, onnx: bool = False) -> LoadedModel:
        """Verify and load the model at ``uri``; see :func:`driftloop.load_model`."""
        where, digest, version = self.locate(uri)
        if version is not None and version.status == ModelStatus.FAILED:
            raise ConflictError(f"{where} failed registration: {version.status_message}")
        return load_package(self.blobs, digest, where, onnx=onnx)

    # what a version came from --------------------------------------------------------

    def lineage(self, uri: str) -> Lineage:
        """The graph from a model version back to its run, code, params and data, and forward."""
        from driftloop.registry._lineage import build_lineage

        return build_lineage(self, uri)

    def model_card(self, uri: str) -> str:
        """The Markdown model card of a registered version."""
        version = self.resolve(uri)
        graph = self.lineage(version.uri)
        description = self.get_model(version.name).description
        return render_card(version, graph, self.manifest(version.uri), description)

    def run_links(self, version: ModelVersion) -> RunLinks:
        """What the version's run says about it: code commit, params, metrics, input datasets."""
        if version.run_id is None:
            return RunLinks(None, {}, {}, ())
        run = self.tracking.get_run(version.run_id)
        datasets = tuple(i.ref for i in run.inputs if i.kind == "dataset")
        return RunLinks(run.git_commit, dict(run.params), dict(run.metrics), datasets)
