"""Protections and approval requests inside a session: the reads the guard and the approval
service share, and the one rule that says whether a request's approvals meet a protection."""

from __future__ import annotations

from collections.abc import Sequence
from fnmatch import fnmatchcase

from sqlalchemy import select
from sqlalchemy.orm import Session

from driftloop.errors import InvalidInputError
from driftloop.governance._models import (
    Approval,
    ApprovalRequest,
    ApprovalStatus,
    ApprovalUse,
    Protection,
)
from driftloop.governance._requirements import ANY_ROLE, describe, merge, missing_approvals
from driftloop.governance._roles import ROLES
from driftloop.governance._vocabulary import Action, Kind, Principal
from driftloop.store._governance_rows import (
    ApprovalRequestRow,
    ApprovalRow,
    ApprovalUseRow,
    ProtectionRow,
)

MODEL, ENDPOINT = "model", "endpoint"


def alias_target(model: str, alias: str) -> str:
    return f"alias:{model}@{alias}"


def endpoint_target(endpoint: str) -> str:
    return f"endpoint:{endpoint}"


def to_protection(row: ProtectionRow) -> Protection:
    return Protection(
        id=row.id,
        kind=row.kind,
        pattern=row.pattern,
        alias=row.alias,
        requirements=dict(row.requirements),
        created_by=row.created_by,
        created_at=row.created_at,
    )


def protections(session: Session) -> list[Protection]:
    rows = session.scalars(select(ProtectionRow).order_by(ProtectionRow.id))
    return [to_protection(r) for r in rows]


def covering_alias(found: Sequence[Protection], model: str, alias: str) -> list[Protection]:
    return [p for p in covering_model(found, model) if p.alias == alias]


def covering_model(found: Sequence[Protection], model: str) -> list[Protection]:
    """Every protected alias of ``model``."""
    return [p for p in found if p.kind == MODEL and fnmatchcase(model, p.pattern)]


def covering_endpoint(found: Sequence[Protection], endpoint: str) -> list[Protection]:
    return [p for p in found if p.kind == ENDPOINT and fnmatchcase(endpoint, p.pattern)]


def request_row(
    session: Session, model: str, version: int, *, lock: bool = False
) -> ApprovalRequestRow | None:
    """The request of ``model`` version ``version``; ``lock`` holds it until the
    transaction ends (FOR UPDATE; SQLite's write transactions are exclusive already), so
    two decisions, or a decision and a move, never interleave."""
    query = select(ApprovalRequestRow).where(
        ApprovalRequestRow.model == model, ApprovalRequestRow.version == version
    )
    return session.scalar(query.with_for_update() if lock else query)


def decisions(session: Session, request_id: int) -> tuple[Approval, ...]:
    rows = session.scalars(
        select(ApprovalRow).where(ApprovalRow.request_id == request_id).order_by(ApprovalRow.id)
    )
    return tuple(Approval(r.approver, r.role, r.decision, r.reason, r.at) for r in rows)


def to_request(session: Session, row: ApprovalRequestRow) -> ApprovalRequest:
    uses = session.scalars(
        select(ApprovalUseRow)
        .where(ApprovalUseRow.request_id == row.id)
        .order_by(ApprovalUseRow.id)
    )
    return ApprovalRequest(
        id=row.id,
        model=row.model,
        version=row.version,
        status=ApprovalStatus(row.status),
        targets=tuple(row.targets),
        requirements=dict(row.requirements),
        requested_by=row.requested_by,
        requested_at=row.requested_at,
        reason=row.reason,
        episode_id=row.episode_id,
        decided_at=row.decided_at,
        approvals=decisions(session, row.id),
        uses=tuple(ApprovalUse(u.target, u.used_by, u.at) for u in uses),
    )


def status_of(requirements: dict[str, int], approvals: Sequence[Approval]) -> ApprovalStatus:
    """Rejected by any rejection; approved once the approvals meet ``requirements``."""
    if any(a.decision == ApprovalStatus.REJECTED.value for a in approvals):
        return ApprovalStatus.REJECTED
    if missing_approvals(requirements, approvals):
        return ApprovalStatus.PENDING
    return ApprovalStatus.APPROVED


def who_decided(approvals: Sequence[Approval], decision: str) -> str:
    """``sam (subject_matter_expert), dan (devops_engineer)``."""
    return ", ".join(
        f"{a.approver} ({a.role or 'no role'})" for a in approvals if a.decision == decision
    )


def shortfall(protection: Protection, request: ApprovalRequest | None) -> str | None:
    """Why ``request`` does not meet ``protection`` (None when it does)."""
    needs = f"{protection.target} needs {describe(protection.requirements)}"
    if request is None:
        return f"{needs}; it has no approval request"
    if request.status is ApprovalStatus.REJECTED:
        why = next(a for a in request.approvals if a.decision == "rejected")
        return f"{needs}; it was rejected by {why.approver}: {why.reason or 'no reason given'}"
    missing = missing_approvals(protection.requirements, request.approvals)
    if not missing:
        return None
    given = who_decided(request.approvals, "approved") or "nobody yet"
    return f"{needs}; it still needs {describe(missing)} (approved by {given})"


def approving_roles(principal: Principal | None, model: str) -> list[str]:
    """The roles ``principal`` holds for ``model`` that may approve it."""
    held: list[str] = []
    for binding in principal.roles if principal is not None else ():
        role = ROLES.get(binding.role)
        approves = role is not None and role.has(Action.APPROVE, Kind.MODEL)
        if approves and fnmatchcase(model, binding.pattern) and binding.role not in held:
            held.append(binding.role)
    return held


def targets_of(
    found: list[Protection], model: str, alias: str | None, endpoint: str | None
) -> tuple[list[str], dict[str, int]]:
    """The targets asked for and what their protections require (one approval by anyone
    when nothing protects them)."""
    covering: list[Protection] = []
    targets: list[str] = []
    if alias is not None:
        covering += covering_alias(found, model, alias)
        targets.append(alias_target(model, alias))
    if endpoint is not None:
        covering += covering_endpoint(found, endpoint)
        targets.append(endpoint_target(endpoint))
    if alias is None and endpoint is None:
        covering = covering_model(found, model)
        targets = [alias_target(model, c.alias) for c in covering]
    requires = merge(*(c.requirements for c in covering)) or {ANY_ROLE: 1}
    return sorted(set(targets)), requires


def check_pattern(pattern: str) -> str:
    if not isinstance(pattern, str) or not pattern.strip() or len(pattern) > 256:
        raise InvalidInputError(
            f"a protection's name pattern must be 1 to 256 characters (such as 'churn*'), "
            f"got {pattern!r}"
        )
    return pattern


def check_reason(reason: str) -> str:
    if not isinstance(reason, str) or len(reason) > 2000:
        raise InvalidInputError("a reason must be text of at most 2,000 characters")
    return reason.strip()
