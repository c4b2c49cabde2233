"""Governance: who may do what to which object, and the record of what was done.

Users and service accounts authenticate with tokens; roles (the roles of an ML team:
data scientist, data engineer, DevOps engineer, ...) are sets of permissions, each an
action on a kind of object, optionally for names matching a pattern. A team server
checks every request against them; on a laptop with no server the local user acts
unchecked.
"""

from driftloop.governance._vocabulary import Action, Kind, Principal, RoleBinding

__all__ = ["Action", "Kind", "Principal", "RoleBinding"]
