"""Alias writes inside a transaction: move the pointer and append the history event together."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from driftloop.errors import NotFoundError
from driftloop.registry import _rows
from driftloop.registry._models import AliasEvent
from driftloop.store import utcnow
from driftloop.store._registry_rows import ModelAliasEventRow, ModelAliasRow, RegisteredModelRow


def point_alias(
    session: Session, model: RegisteredModelRow, alias: str, version: int, user: str
) -> AliasEvent:
    """Set (new alias) or move (existing one) ``alias`` to ``version``; return the event."""
    row = session.get(ModelAliasRow, (model.id, alias))
    previous = row.version if row else None
    now = utcnow()
    if row is None:
        session.add(
            ModelAliasRow(
                model_id=model.id, alias=alias, version=version, updated_by=user, updated_at=now
            )
        )
    else:
        row.version, row.updated_by, row.updated_at = version, user, now
    return _record(session, model, alias, "set" if row is None else "move", previous, version, user)


def drop_alias(session: Session, model: RegisteredModelRow, alias: str, user: str) -> AliasEvent:
    row = session.get(ModelAliasRow, (model.id, alias))
    if row is None:
        raise NotFoundError(f"model {model.name!r} has no alias {alias!r}")
    session.delete(row)
    return _record(session, model, alias, "remove", row.version, None, user)


def _record(
    session: Session,
    model: RegisteredModelRow,
    alias: str,
    action: str,
    before: int | None,
    after: int | None,
    user: str,
) -> AliasEvent:
    event = ModelAliasEventRow(
        model_id=model.id,
        alias=alias,
        action=action,
        from_version=before,
        to_version=after,
        user=user,
        at=utcnow(),
    )
    session.add(event)
    session.flush()
    return _rows.to_event(model.name, event)


def alias_events(
    session: Session, model: RegisteredModelRow, alias: str | None
) -> list[AliasEvent]:
    query = select(ModelAliasEventRow).where(ModelAliasEventRow.model_id == model.id)
    if alias is not None:
        query = query.where(ModelAliasEventRow.alias == alias)
    rows = session.scalars(query.order_by(ModelAliasEventRow.id))
    return [_rows.to_event(model.name, r) for r in rows]
