"""Tables of governance: users, their role bindings and tokens; protections and approvals.

A token is stored as its id (the lookup key, not secret), a per-token salt and the
SHA-256 of salt + secret: the secret itself is never written anywhere.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from driftloop.store._base import Base, UTCDateTime


class UserRow(Base):
    """A person or a service account (the scheduler, a CI job)."""

    __tablename__ = "users"

    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(256), default="")
    is_service: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    disabled_by: Mapped[str | None] = mapped_column(String(128))


class RoleBindingRow(Base):
    """A role given to a user for the objects whose names match ``pattern``."""

    __tablename__ = "role_bindings"
    __table_args__ = (
        UniqueConstraint("user_name", "role", "pattern", name="uq_role_bindings_user_role_pattern"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_name: Mapped[str] = mapped_column(ForeignKey("users.name"), index=True)
    role: Mapped[str] = mapped_column(String(64))
    pattern: Mapped[str] = mapped_column(String(256))
    granted_by: Mapped[str] = mapped_column(String(128))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TokenRow(Base):
    """An API token: looked up by ``id``, checked against ``secret_hash``; never stored clear."""

    __tablename__ = "api_tokens"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_name: Mapped[str] = mapped_column(ForeignKey("users.name"), index=True)
    name: Mapped[str] = mapped_column(String(128))
    salt: Mapped[str] = mapped_column(String(64))
    secret_hash: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by: Mapped[str | None] = mapped_column(String(128))
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ProtectionRow(Base):
    """A protected alias of the models matching ``pattern`` (``kind`` model) or a protected
    endpoint (``kind`` endpoint, ``alias`` empty), and the approvals a move there needs."""

    __tablename__ = "protections"
    __table_args__ = (
        UniqueConstraint("kind", "pattern", "alias", name="uq_protections_kind_pattern_alias"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))
    pattern: Mapped[str] = mapped_column(String(256))
    alias: Mapped[str] = mapped_column(String(128))
    requirements: Mapped[dict[str, int]] = mapped_column(JSON)
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ApprovalRequestRow(Base):
    """The approval request of one model version: asked once, decided by other people."""

    __tablename__ = "approval_requests"
    __table_args__ = (
        UniqueConstraint("model", "version", name="uq_approval_requests_model_version"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    model: Mapped[str] = mapped_column(String(256))
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), index=True)
    targets: Mapped[list[str]] = mapped_column(JSON)
    requirements: Mapped[dict[str, int]] = mapped_column(JSON)
    requested_by: Mapped[str] = mapped_column(String(128))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(Text, default="")
    episode_id: Mapped[str | None] = mapped_column(String(32))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ApprovalRow(Base):
    """One person's decision on a request: approved or rejected, as which role, and why."""

    __tablename__ = "approvals"
    __table_args__ = (
        UniqueConstraint("request_id", "approver", name="uq_approvals_request_approver"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("approval_requests.id"), index=True)
    approver: Mapped[str] = mapped_column(String(128))
    role: Mapped[str | None] = mapped_column(String(64))
    decision: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class ApprovalUseRow(Base):
    """A protected move made on the strength of a request's approvals, in its transaction."""

    __tablename__ = "approval_uses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("approval_requests.id"), index=True)
    target: Mapped[str] = mapped_column(String(400))
    used_by: Mapped[str] = mapped_column(String(128))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
