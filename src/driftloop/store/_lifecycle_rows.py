"""Tables of the lifecycle: who deleted, restored, disabled, cancelled or purged what, and when.

The state of an object lives on its own row (``deleted_at``/``deleted_by``, see
:class:`~driftloop.store._base.SoftDeleted`); this table keeps every change of it, so a
restore or a purge, which clear or remove that state, still leave a trace.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from driftloop.store._base import Base, UTCDateTime


class LifecycleEventRow(Base):
    """One change: ``action`` (delete, restore, disable, enable, cancel, abandon, purge)
    of the object ``kind`` named ``name``, by ``actor`` at ``at``, with a ``reason``."""

    __tablename__ = "lifecycle_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(512))
    action: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(128))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (Index("ix_lifecycle_events_kind_name", "kind", "name", "id"),)


class PurgedVersionRow(Base):
    """The highest version number purged in one numbering scope (a dataset, a model).

    Numbers are never given twice while the object exists: ``next_version`` counts from
    here when a purged version was the newest, so ``flights@3`` never names other data
    than it did when a run recorded it.
    """

    __tablename__ = "purged_versions"

    table_name: Mapped[str] = mapped_column(String(64), primary_key=True)
    scope: Mapped[str] = mapped_column(String(512), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
