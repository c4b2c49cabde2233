"""The feature catalog: registered entities and feature views, versioned in the metadata store.

A view's version is a row keyed by (name, version). ``apply`` inserts the next
version only when the definition's digest changed; two concurrent applies that
number one after another (``driftloop.store.next_version``); one that finds a newer
version than it read compares again, so no change is ever lost or overwritten.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import func, select

from driftloop.errors import ConflictError, InvalidInputError, NotFoundError
from driftloop.features._lifecycle import refuse_deleted_views
from driftloop.features._models import ApplyChange, Entity, FeatureView, FeatureViewVersion
from driftloop.store import MetadataStore, next_version, retry_on_conflict, upsert
from driftloop.store._base import utcnow
from driftloop.store._features_rows import FeatureEntityRow, FeatureViewRow
from driftloop.store._lifecycle import ViewType, deleted_message, visible

_RETRIES = 20


class _Changed(Exception):
    """The view got a new version between reading it and numbering ours."""


def _to_version(row: FeatureViewRow) -> FeatureViewVersion:
    return FeatureViewVersion(
        name=row.name,
        version=row.version,
        digest=row.digest,
        view=FeatureView.from_spec(dict(row.spec)),
        created_at=row.created_at,
        created_by=row.created_by,
        deleted_at=row.deleted_at,
        deleted_by=row.deleted_by,
    )


def breaking_changes(old: FeatureView | None, new: FeatureView) -> list[str]:
    """Removed or retyped features, and changed join keys: changes that can break consumers."""
    if old is None:
        return []
    found = []
    new_types = {f.name: f.dtype.upper() for f in new.features}
    for feature in old.features:
        if feature.name not in new_types:
            found.append(f"{new.name}: feature {feature.name!r} is removed")
        elif new_types[feature.name] != feature.dtype.upper():
            found.append(
                f"{new.name}: feature {feature.name!r} changes type "
                f"{feature.dtype.upper()} -> {new_types[feature.name]}"
            )
    if old.join_keys != new.join_keys:
        found.append(f"{new.name}: join keys change {list(old.join_keys)} -> {list(new.join_keys)}")
    return found


class FeatureCatalog:
    """Entities and versioned feature views of one workspace (the feature definitions)."""

    def __init__(self, store: MetadataStore, user: str) -> None:
        self.store = store
        self.user = user

    def plan(self, views: Sequence[FeatureView]) -> list[ApplyChange]:
        """What :meth:`apply` would do, with warnings for breaking changes; changes nothing."""
        _check_unique(views)
        refuse_deleted_views(self.store, [v.name for v in views])
        changes = []
        for view in views:
            current = self.find(view.name)
            if current is None:
                changes.append(ApplyChange(view.name, "created", 1))
            elif current.digest == view.digest():
                changes.append(ApplyChange(view.name, "unchanged", current.version))
            else:
                warnings = tuple(breaking_changes(current.view, view))
                changes.append(ApplyChange(view.name, "updated", current.version + 1, warnings))
        return changes

    def apply(
        self, views: Sequence[FeatureView], entities: Iterable[Entity] = ()
    ) -> list[ApplyChange]:
        """Register ``views`` (a changed view gets the next version) and their entities.

        A name a deleted view holds is refused (restore it, or purge it with ``driftloop gc``).
        """
        _check_unique(views)
        refuse_deleted_views(self.store, [v.name for v in views])
        all_entities = {e.name: e for v in views for e in v.entities}
        all_entities.update({e.name: e for e in entities})
        self._save_entities(list(all_entities.values()))
        return [self._apply_one(view) for view in views]

    def _apply_one(self, view: FeatureView) -> ApplyChange:
        digest = view.digest()

        def attempt() -> ApplyChange:
            current = self.find(view.name)
            if current is not None and current.digest == digest:
                return ApplyChange(view.name, "unchanged", current.version)
            with self.store.session() as session:
                version = next_version(session, FeatureViewRow.version, name=view.name)
                if version != (1 if current is None else current.version + 1):
                    # Another apply landed between the read and the lock: compare again.
                    raise _Changed
                session.add(
                    FeatureViewRow(
                        name=view.name,
                        version=version,
                        digest=digest,
                        spec=view.to_spec(),
                        created_at=utcnow(),
                        created_by=self.user,
                    )
                )
            warnings = tuple(breaking_changes(current.view if current else None, view))
            return ApplyChange(
                view.name, "created" if current is None else "updated", version, warnings
            )

        for _ in range(_RETRIES):
            try:
                return retry_on_conflict(attempt, what=f"feature view {view.name!r}")
            except _Changed:
                continue
        raise ConflictError(
            f"feature view {view.name!r} kept changing while applying ({_RETRIES} tries); "
            "run `driftloop features apply` again"
        )

    def _save_entities(self, entities: list[Entity]) -> None:
        if not entities:
            return
        now = utcnow()
        with self.store.session() as session:
            upsert(
                session,
                FeatureEntityRow,
                ["name"],
                [
                    {"name": e.name, "join_keys": list(e.join_keys), "updated_at": now}
                    for e in entities
                ],
            )

    def find(self, name: str, version: int | None = None) -> FeatureViewVersion | None:
        """The given (default: latest) version of view ``name``, or None."""
        with self.store.read() as session:
            query = select(FeatureViewRow).where(
                FeatureViewRow.name == name, *visible(FeatureViewRow)
            )
            if version is not None:
                query = query.where(FeatureViewRow.version == version)
            row = session.scalars(query.order_by(FeatureViewRow.version.desc()).limit(1)).first()
            return None if row is None else _to_version(row)

    def get(self, name: str, version: int | None = None) -> FeatureViewVersion:
        """Like :meth:`find`, but raises :class:`NotFoundError` naming what exists."""
        found = self.find(name, version)
        if found is not None:
            return found
        gone = self.find_deleted(name)
        if gone is not None:
            restore = f"driftloop features restore {name}"
            raise NotFoundError(deleted_message(f"feature view {name!r}", gone, restore))
        names = [v.name for v in self.latest()]
        if version is not None and name in names:
            raise NotFoundError(
                f"feature view {name!r} has no version {version}; "
                f"see `driftloop features show {name}`"
            )
        raise NotFoundError(
            f"there is no feature view {name!r} (registered: {names or 'none'}); "
            "define it in features.py and run `driftloop features apply`"
        )

    def find_deleted(self, name: str) -> FeatureViewVersion | None:
        """The newest version of view ``name`` if the view is deleted, else None."""
        with self.store.read() as session:
            query = select(FeatureViewRow).where(
                FeatureViewRow.name == name, FeatureViewRow.deleted_at.is_not(None)
            )
            row = session.scalars(query.order_by(FeatureViewRow.version.desc()).limit(1)).first()
            return None if row is None else _to_version(row)

    def versions(self, name: str) -> list[FeatureViewVersion]:
        with self.store.read() as session:
            rows = session.scalars(
                select(FeatureViewRow)
                .where(FeatureViewRow.name == name, *visible(FeatureViewRow))
                .order_by(FeatureViewRow.version)
            ).all()
            return [_to_version(r) for r in rows]

    def latest(self, view_type: ViewType | str = ViewType.ACTIVE_ONLY) -> list[FeatureViewVersion]:
        """The latest version of every view, by name (deleted views only with ``view_type``)."""
        with self.store.read() as session:
            newest = (
                select(FeatureViewRow.name, func.max(FeatureViewRow.version).label("v"))
                .where(*visible(FeatureViewRow, view_type))
                .group_by(FeatureViewRow.name)
                .subquery()
            )
            rows = session.scalars(
                select(FeatureViewRow)
                .join(
                    newest,
                    (FeatureViewRow.name == newest.c.name) & (FeatureViewRow.version == newest.c.v),
                )
                .order_by(FeatureViewRow.name)
            ).all()
            return [_to_version(r) for r in rows]

    def entities(self) -> list[Entity]:
        with self.store.read() as session:
            rows = session.scalars(select(FeatureEntityRow).order_by(FeatureEntityRow.name)).all()
            return [Entity(r.name, list(r.join_keys)) for r in rows]


def _check_unique(views: Sequence[FeatureView]) -> None:
    names = [v.name for v in views]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise InvalidInputError(f"feature view(s) {duplicated} defined more than once")
