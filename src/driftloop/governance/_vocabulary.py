"""The words of permissions: what kinds of object there are, what can be done to them,
and who is asking.

A permission is an :class:`Action` on a :class:`Kind` of object whose name matches a
pattern (an fnmatch glob: ``churn-*``; ``*`` for every name). A :class:`Principal` is
an authenticated caller with the roles bound to it, each bound for a name pattern, so
that a data scientist can own the ``churn-*`` models and only read the others.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    """The kinds of object a permission is about."""

    DATASET = "dataset"
    FEATURE_VIEW = "feature_view"
    EXPERIMENT = "experiment"  # and its runs
    MODEL = "model"  # registered models, their versions, aliases and approvals
    PIPELINE = "pipeline"  # pipelines, their runs, triggers and schedules
    ENDPOINT = "endpoint"  # endpoints, deployments, predictions and feedback
    MONITOR = "monitor"  # monitors, alert rules and alerts
    LOOP = "loop"  # loop policies and episodes
    USER = "user"  # users, their tokens and role bindings
    AUDIT = "audit"  # the audit log


class Action(StrEnum):
    """What a caller does to an object."""

    READ = "read"  # see it: get, list, search, download
    WRITE = "write"  # create, log, update, run
    DELETE = "delete"  # delete, restore, purge
    APPROVE = "approve"  # approve or reject a model version or a loop episode
    DEPLOY = "deploy"  # change an endpoint's deployment: deploy, update, promote, rollback
    PREDICT = "predict"  # call the data plane: predict, infer, feedback
    MANAGE = "manage"  # users, roles, tokens, policies and protections


@dataclass(frozen=True, slots=True)
class RoleBinding:
    """A role given to a principal for the objects whose names match ``pattern``."""

    role: str
    pattern: str = "*"


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller: a person or a service account, with its role bindings."""

    name: str
    roles: tuple[RoleBinding, ...] = ()
    is_service: bool = False
