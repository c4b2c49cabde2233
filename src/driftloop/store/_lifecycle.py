"""Soft delete, restore and the lifecycle log, written once for every context.

Deleting an object (an experiment, a dataset version, an endpoint, ...) stamps its rows
with ``deleted_at``/``deleted_by`` instead of removing them, as MLflow marks a run
``deleted``: reads, lists and searches skip the row unless asked (``view_type``), its
name stays taken until ``driftloop gc`` purges it, and a restore clears the stamp.
Objects deleted together share one stamp, so restoring the experiment brings back the
runs that went with it and not a run deleted on its own the week before. Every delete,
restore, disable, enable, cancel, abandon and purge is also a row of the lifecycle log
(who, when, why), written in the same transaction as the change.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.orm import Session

from driftloop.errors import ConflictError, InvalidInputError
from driftloop.store._lifecycle_rows import LifecycleEventRow

__all__ = [
    "LifecycleEvent",
    "UsageCheck",
    "Usages",
    "ViewType",
    "check_view_type",
    "deleted_among",
    "deleted_message",
    "deleted_note",
    "lifecycle_events",
    "mark_deleted",
    "not_deleted",
    "record_event",
    "unmark_deleted",
    "visible",
]


class ViewType(StrEnum):
    """Which objects a list or search shows, as MLflow's ``ViewType``."""

    ACTIVE_ONLY = "active_only"
    DELETED_ONLY = "deleted_only"
    ALL = "all"


def check_view_type(value: ViewType | str) -> ViewType:
    """``value`` as a :class:`ViewType`, or an error listing the allowed values."""
    try:
        return ViewType(value)
    except ValueError:
        allowed = ", ".join(repr(v.value) for v in ViewType)
        raise InvalidInputError(f"view_type {value!r} is not known; use one of {allowed}") from None


def visible(row_type: Any, view_type: ViewType | str = ViewType.ACTIVE_ONLY) -> list[Any]:
    """WHERE terms selecting the rows of ``row_type`` that ``view_type`` shows."""
    view = check_view_type(view_type)
    if view is ViewType.ALL:
        return []
    column = row_type.deleted_at
    return [column.is_(None) if view is ViewType.ACTIVE_ONLY else column.is_not(None)]


@dataclass(frozen=True, slots=True)
class LifecycleEvent:
    """One change of an object's life: ``action`` of ``kind`` ``name`` by ``actor`` at ``at``."""

    kind: str
    name: str
    action: str
    actor: str
    at: datetime
    reason: str = ""


def record_event(
    session: Session,
    kind: str,
    name: str,
    action: str,
    actor: str,
    at: datetime,
    reason: str = "",
) -> LifecycleEvent:
    """Append one change to the lifecycle log in ``session`` (the change's transaction)."""
    session.add(
        LifecycleEventRow(
            kind=kind, name=name[:512], action=action, actor=actor, at=at, reason=reason
        )
    )
    return LifecycleEvent(kind, name, action, actor, at, reason)


def mark_deleted(
    session: Session,
    row_type: Any,
    where: Sequence[ColumnElement[bool]],
    actor: str,
    at: datetime,
) -> int:
    """Stamp the not yet deleted rows of ``row_type`` matching ``where``; how many."""
    result = session.execute(
        update(row_type)
        .where(*where, row_type.deleted_at.is_(None))
        .values(deleted_at=at, deleted_by=actor)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def unmark_deleted(
    session: Session, row_type: Any, where: Sequence[ColumnElement[bool]], stamp: datetime
) -> int:
    """Clear the stamp of the rows matching ``where`` deleted at ``stamp`` (together)."""
    result = session.execute(
        update(row_type)
        .where(*where, row_type.deleted_at == stamp)
        .values(deleted_at=None, deleted_by=None)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def deleted_among(store: Any, column: Any, keys: Sequence[str]) -> set[str]:
    """Which of ``keys`` (values of ``column``, a name) belong to deleted objects."""
    with store.read() as session:
        query = select(column).where(column.in_(list(keys)), column.class_.deleted_at.is_not(None))
        return set(session.scalars(query))


def deleted_note(row: Any) -> str:
    """``deleted by ana at 2026-12-01 10:00:00 UTC``: who and when, for messages."""
    at: datetime = row.deleted_at
    return f"deleted by {row.deleted_by} at {at:%Y-%m-%d %H:%M:%S} UTC"


def deleted_message(what: str, row: Any, restore: str) -> str:
    """``flights@2 is deleted by ana at ...; restore it with `...```, for any error class."""
    return (
        f"{what} is {deleted_note(row)}; restore it with `{restore}`, or purge it for good "
        "with `driftloop gc`"
    )


def not_deleted(what: str) -> ConflictError:
    """The error of restoring an object that is not deleted."""
    return ConflictError(f"{what} is not deleted; there is nothing to restore")


def lifecycle_events(
    session: Session, kind: str | None = None, name: str | None = None, limit: int = 200
) -> list[LifecycleEvent]:
    """The latest changes (of ``kind`` and ``name`` if given), oldest first."""
    query = select(LifecycleEventRow).order_by(LifecycleEventRow.id.desc()).limit(limit)
    if kind is not None:
        query = query.where(LifecycleEventRow.kind == kind)
    if name is not None:
        query = query.where(LifecycleEventRow.name == name)
    rows = list(session.scalars(query))
    return [LifecycleEvent(r.kind, r.name, r.action, r.actor, r.at, r.reason) for r in rows[::-1]]


# What still uses an object, as phrases that say how to free it ("alias 'champion'
# points at it: move it with ..."); empty when nothing does. The key is the object's:
# a run id, (dataset, version or None), (model, version or None), an endpoint name.
UsageCheck = Callable[[Any], list[str]]


class Usages:
    """The checks the contexts above one register for the objects below them.

    A context cannot look up who uses its objects without importing the contexts above
    it (a model version is served by serving, challenged by the loop); the workspace
    wires their checks here by object kind, as it wires lineage providers.
    """

    def __init__(
        self,
        checks: Mapping[str, Sequence[UsageCheck]]
        | Callable[[], Mapping[str, Sequence[UsageCheck]]]
        | None = None,
    ) -> None:
        # A callable is called at the first question: the checks import the contexts above
        # (pandas, DuckDB), which a workspace opened for `driftloop runs list` must not load.
        self._load = checks if callable(checks) else lambda: checks or {}
        self._checks: dict[str, list[UsageCheck]] | None = None

    def of(self, kind: str, key: Any) -> list[str]:
        """Every use of the object ``kind`` ``key`` that the registered checks find."""
        if self._checks is None:
            self._checks = {kind: list(found) for kind, found in self._load().items()}
        return [use for check in self._checks.get(kind, ()) for use in check(key)]

    def refuse_if_used(self, kind: str, key: Any, what: str, also: Sequence[str] = ()) -> None:
        """Raise :class:`ConflictError` naming every use (``also``: found by the caller)."""
        uses = [*also, *self.of(kind, key)]
        if uses:
            raise ConflictError(f"{what} is in use, so it was not deleted: {'; '.join(uses)}")
