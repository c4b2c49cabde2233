"""Governance records as JSON and as the role matrix: one renderer for the CLI and the API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from driftloop.governance._models import ApprovalRequest, Protection, Token, User
from driftloop.governance._permissions import format_binding
from driftloop.governance._requirements import describe
from driftloop.governance._roles import APPLICABLE, ROLES
from driftloop.governance._vocabulary import Action, Kind

# One letter per action in the matrix, and a short header per kind, so that it fits 80
# columns with the longest role name (the legend under it spells them out).
ACTION_LETTERS = {
    Action.READ: "r",
    Action.WRITE: "w",
    Action.DELETE: "d",
    Action.APPROVE: "a",
    Action.DEPLOY: "D",
    Action.PREDICT: "p",
    Action.MANAGE: "m",
}
KIND_HEADERS = {
    Kind.DATASET: "data",
    Kind.FEATURE_VIEW: "feat",
    Kind.EXPERIMENT: "exp",
    Kind.MODEL: "model",
    Kind.PIPELINE: "pipe",
    Kind.ENDPOINT: "endp",
    Kind.MONITOR: "mon",
    Kind.LOOP: "loop",
    Kind.USER: "user",
    Kind.AUDIT: "aud",
}


def matrix_cell(role: str, kind: Kind) -> str:
    """The letters of the actions ``role`` holds on ``kind`` (``-`` for none), in the
    order of :data:`APPLICABLE`."""
    held = ROLES[role].permissions
    letters = "".join(ACTION_LETTERS[a] for a in APPLICABLE[kind] if (a, kind) in held)
    return letters or "-"


def matrix_rows() -> list[list[str]]:
    """One row per role: its name, then a cell per kind."""
    return [[name, *(matrix_cell(name, k) for k in Kind)] for name in ROLES]


def matrix_legend() -> list[str]:
    """What the letters and headers stand for, in lines that fit 80 columns."""
    actions = ", ".join(f"{letter} {a.value}" for a, letter in ACTION_LETTERS.items())
    kinds = [f"{h} {k.value}" for k, h in KIND_HEADERS.items() if h != k.value]
    half = (len(kinds) + 1) // 2
    return [
        f"actions: {actions}",
        f"kinds: {', '.join(kinds[:half])},",
        f"       {', '.join(kinds[half:])}",
    ]


def roles_json() -> dict[str, Any]:
    return {
        name: {
            "description": role.description,
            "permissions": {
                k.value: [a.value for a in APPLICABLE[k] if (a, k) in role.permissions]
                for k in Kind
            },
        }
        for name, role in ROLES.items()
    }


def user_json(user: User) -> dict[str, Any]:
    return {
        "name": user.name,
        "display_name": user.display_name,
        "is_service": user.is_service,
        "roles": [format_binding(b) for b in user.roles],
        "state": "disabled" if user.is_disabled else "enabled",
        "created_by": user.created_by,
        "created_at": user.created_at,
        "disabled_at": user.disabled_at,
        "disabled_by": user.disabled_by,
    }


def token_json(token: Token, now: datetime) -> dict[str, Any]:
    """A token as listed: never its secret (which nothing has kept)."""
    return {
        "id": token.id,
        "user": token.user,
        "name": token.name,
        "state": token.state(now),
        "created_by": token.created_by,
        "created_at": token.created_at,
        "expires_at": token.expires_at,
        "revoked_at": token.revoked_at,
        "revoked_by": token.revoked_by,
        "last_used_at": token.last_used_at,
    }


def protection_json(protection: Protection) -> dict[str, Any]:
    return {
        "id": protection.id,
        "kind": protection.kind,
        "pattern": protection.pattern,
        "alias": protection.alias or None,
        "target": protection.target,
        "requires": protection.requirements,
        "requires_text": describe(protection.requirements),
        "created_by": protection.created_by,
        "created_at": protection.created_at,
    }


def request_json(request: ApprovalRequest) -> dict[str, Any]:
    return {
        "id": request.id,
        "model": request.model,
        "version": request.version,
        "ref": request.ref,
        "status": request.status.value,
        "targets": list(request.targets),
        "requires": request.requirements,
        "missing": request.missing,
        "requested_by": request.requested_by,
        "requested_at": request.requested_at,
        "reason": request.reason,
        "episode_id": request.episode_id,
        "decided_at": request.decided_at,
        "approvals": [
            {
                "approver": a.approver,
                "role": a.role,
                "decision": a.decision,
                "reason": a.reason,
                "at": a.at,
            }
            for a in request.approvals
        ],
        "uses": [{"target": u.target, "used_by": u.used_by, "at": u.at} for u in request.uses],
    }
