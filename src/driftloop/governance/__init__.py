"""Governance: who may do what to which object, and the record of what was done.

Users and service accounts authenticate with tokens; roles (the roles of an ML team:
data scientist, data engineer, DevOps engineer, ...) are sets of permissions, each an
action on a kind of object, optionally for names matching a pattern. A team server
checks every request against them (:func:`require`, :func:`allowed`); on a laptop with
no server the local user acts unchecked.

Protected model aliases and endpoints move only with the approvals their protection
asks for, given by people other than the one who asked (four eyes).
"""

from driftloop.governance._authenticator import Authenticator, TokenAuthenticator
from driftloop.governance._models import (
    Approval,
    ApprovalRequest,
    ApprovalStatus,
    IssuedToken,
    Protection,
    Token,
    User,
)
from driftloop.governance._permissions import allowed, require
from driftloop.governance._roles import ROLES, Role, roles_with
from driftloop.governance._service import GovernanceService
from driftloop.governance._vocabulary import Action, Kind, Principal, RoleBinding

__all__ = [
    "ROLES",
    "Action",
    "Approval",
    "ApprovalRequest",
    "ApprovalStatus",
    "Authenticator",
    "GovernanceService",
    "IssuedToken",
    "Kind",
    "Principal",
    "Protection",
    "Role",
    "RoleBinding",
    "Token",
    "TokenAuthenticator",
    "User",
    "allowed",
    "require",
    "roles_with",
]
