"""Deleting and restoring one named object, written once for the contexts whose objects
are a name and the rows under it (a feature view's versions, an endpoint's deployments,
a monitor and its rules, a trigger, a loop policy and its triggers).

Each context describes its kind as a :class:`Deletable`; :func:`delete_object` refuses a
second delete and any use the caller found, stamps the object's rows and the parts that
go with it, and logs the change, in one transaction; :func:`restore_object` clears that
one stamp again, so parts deleted on their own before stay deleted.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from driftloop.errors import ConflictError, NotFoundError
from driftloop.store._lifecycle import (
    LifecycleEvent,
    mark_deleted,
    not_deleted,
    record_event,
    unmark_deleted,
)
from driftloop.store._metadata_store import MetadataStore

# Rows that go and come back with an object: (table, WHERE, what they are, e.g. "rule(s)").
Parts = list[tuple[Any, list[ColumnElement[bool]], str]]
Hook = Callable[[Session, Any], None]


@dataclass(frozen=True, slots=True)
class Deletable:
    """One kind of named object, as :func:`delete_object` and :func:`restore_object` see it.

    ``rows(name)`` is the WHERE of the object's own rows in ``row_type``; ``parts(row)``
    the rows deleted and restored with it; ``listing`` the command that lists them.
    """

    kind: str  # in the lifecycle log: "feature_view"
    noun: str  # in messages: "feature view"
    row_type: Any
    rows: Callable[[str], list[ColumnElement[bool]]]
    listing: str
    counted: str = ""  # what the object's own rows are, when a delete counts them: "version(s)"
    parts: Callable[[Any], Parts] = field(default=lambda row: [])

    def find(self, session: Session, name: str, lock: bool = False) -> Any:
        """A row of the object (they share one state); NotFoundError if it has none."""
        query = select(self.row_type).where(*self.rows(name)).limit(1)
        row = session.scalar(query.with_for_update() if lock else query)
        if row is None:
            raise NotFoundError(f"there is no {self.noun} {name!r}; see `{self.listing}`")
        return row


def delete_object(
    store: MetadataStore,
    spec: Deletable,
    name: str,
    user: str,
    now: datetime,
    *,
    uses: Callable[[Any], Sequence[str]] = lambda row: (),
    check: Hook | None = None,
    after: Hook | None = None,
) -> LifecycleEvent:
    """Delete ``name`` and its parts; refused if already deleted, if ``uses(row)`` names
    anything, or by ``check``; ``after`` writes more in the same transaction."""
    what = f"{spec.noun} {name!r}"
    with store.read() as session:
        row = spec.find(session, name)
        if row.deleted_at is not None:
            raise ConflictError(f"{what} is already deleted ({row.deleted_by})")
        found = list(uses(row))
    if found:
        raise ConflictError(f"{what} is in use, so it was not deleted: {'; '.join(found)}")
    with store.session() as session:
        row = spec.find(session, name, lock=True)
        if check is not None:
            check(session, row)
        counts = [(mark_deleted(session, spec.row_type, spec.rows(name), user, now), spec.counted)]
        for row_type, where, noun in spec.parts(row):
            counts.append((mark_deleted(session, row_type, where, user, now), noun))
        if after is not None:
            after(session, row)
        reason = ", ".join(f"{n} {noun}" for n, noun in counts if noun)
        return record_event(
            session, spec.kind, name, "delete", user, now, f"with {reason}" if reason else ""
        )


def restore_object(
    store: MetadataStore,
    spec: Deletable,
    name: str,
    user: str,
    now: datetime,
    *,
    check: Hook | None = None,
    after: Hook | None = None,
) -> LifecycleEvent:
    """Restore ``name`` and the parts deleted with it; ``check`` may refuse first."""
    with store.session() as session:
        row = spec.find(session, name, lock=True)
        if row.deleted_at is None:
            raise not_deleted(f"{spec.noun} {name!r}")
        if check is not None:
            check(session, row)
        stamp = row.deleted_at
        unmark_deleted(session, spec.row_type, spec.rows(name), stamp)
        for row_type, where, _ in spec.parts(row):
            unmark_deleted(session, row_type, where, stamp)
        if after is not None:
            after(session, row)
        return record_event(session, spec.kind, name, "restore", user, now)
