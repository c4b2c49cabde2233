"""Tables of the closed loop: policies, episodes (one retraining each) and their decisions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from driftloop.store._base import Base, SoftDeleted, UTCDateTime


class LoopPolicyRow(SoftDeleted, Base):
    """The policy of one endpoint, and the controls people hold over it (pause, pin)."""

    __tablename__ = "loop_policies"

    endpoint: Mapped[str] = mapped_column(String(256), primary_key=True)
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    is_paused: Mapped[bool] = mapped_column(Boolean, default=False)
    pinned_version: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[str] = mapped_column(String(128))


class LoopEpisodeRow(Base):
    """One pass of the loop. The partial unique index allows one open episode per endpoint,
    so two schedulers, or a restarted one, can never run two canaries at once."""

    __tablename__ = "loop_episodes"
    __table_args__ = (
        Index(
            "uq_loop_episodes_open",
            "endpoint",
            unique=True,
            sqlite_where=text("ended_at IS NULL"),
            postgresql_where=text("ended_at IS NULL"),
        ),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    endpoint: Mapped[str] = mapped_column(String(256), index=True)
    state: Mapped[str] = mapped_column(String(32))
    trigger: Mapped[dict[str, Any]] = mapped_column(JSON)
    pipeline_run_id: Mapped[str | None] = mapped_column(String(64))
    challenger_version: Mapped[int | None] = mapped_column(Integer)
    champion_version: Mapped[int | None] = mapped_column(Integer)
    canary_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LoopDecisionRow(Base):
    """Every move of every episode, with the evidence it was made on and who made it."""

    __tablename__ = "loop_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    episode_id: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("loop_episodes.id"), index=True
    )
    endpoint: Mapped[str] = mapped_column(String(256), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[str | None] = mapped_column(String(32))
    to_state: Mapped[str | None] = mapped_column(String(32))
    summary: Mapped[str] = mapped_column(Text)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON)
    actor: Mapped[str] = mapped_column(String(128))
