"""Records of governance: users, tokens (without their secret), protections and approvals."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from driftloop.governance._requirements import missing_approvals
from driftloop.governance._vocabulary import RoleBinding


@dataclass(frozen=True, slots=True)
class User:
    """A person or a service account, with the roles bound to it."""

    name: str
    display_name: str
    is_service: bool
    roles: tuple[RoleBinding, ...]
    created_by: str
    created_at: datetime
    disabled_at: datetime | None = None
    disabled_by: str | None = None

    @property
    def is_disabled(self) -> bool:
        return self.disabled_at is not None


@dataclass(frozen=True, slots=True)
class Token:
    """What is known of a token after it was made: never its secret."""

    id: str
    user: str
    name: str
    created_by: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None = None
    revoked_by: str | None = None
    last_used_at: datetime | None = None

    def state(self, now: datetime) -> str:
        """``active``, ``expired`` or ``revoked``."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "active"


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A token just made: ``text`` is shown to its owner this once and kept nowhere."""

    token: Token
    text: str = field(repr=False)


class ApprovalStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class Protection:
    """A protected alias of the models matching ``pattern`` (``kind`` "model"), or a
    protected endpoint (``kind`` "endpoint"), and the approvals a move there needs:
    ``requirements`` maps a role (or ``any``) to how many approvers of it."""

    id: int
    kind: str
    pattern: str
    alias: str
    requirements: dict[str, int]
    created_by: str
    created_at: datetime

    @property
    def target(self) -> str:
        """``churn*@champion`` or ``endpoint:churn``."""
        if self.kind == "model":
            return f"{self.pattern}@{self.alias}"
        return f"endpoint:{self.pattern}"


@dataclass(frozen=True, slots=True)
class Approval:
    """One person's decision on an approval request."""

    approver: str
    role: str | None
    decision: str  # "approved" or "rejected"
    reason: str
    at: datetime


@dataclass(frozen=True, slots=True)
class ApprovalUse:
    """A protected move made on the strength of a request's approvals."""

    target: str
    used_by: str
    at: datetime


@dataclass(frozen=True, slots=True)
class ApprovalRequest:
    """The approval request of one model version: who asked, for what, and who decided."""

    id: int
    model: str
    version: int
    status: ApprovalStatus
    targets: tuple[str, ...]
    requirements: dict[str, int]
    requested_by: str
    requested_at: datetime
    reason: str
    episode_id: str | None
    decided_at: datetime | None
    approvals: tuple[Approval, ...] = ()
    uses: tuple[ApprovalUse, ...] = ()

    @property
    def ref(self) -> str:
        return f"{self.model}@{self.version}"

    @property
    def missing(self) -> dict[str, int]:
        """What the approvals given so far leave unmet (see :func:`missing_approvals`)."""
        return missing_approvals(self.requirements, self.approvals)
