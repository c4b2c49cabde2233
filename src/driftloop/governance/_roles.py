"""The roles of an ML team, each a set of permissions: the matrix as data, nothing else.

The responsibilities follow the roles the MLOps maturity model names: data engineers own
the data side (datasets, feature views, pipelines); data scientists own experiments,
models and the training pipelines they run; DevOps engineers own what runs in
production (endpoints, monitors and alerts, loop policies) and the service accounts
that run it; subject-matter experts read everything and approve models; ML architects
design (feature views, pipelines, loop policies) and approve; software engineers call
the models; data analysts read and log datasets; viewers read. Admins may do anything.

Deny by default: a permission not listed here is refused. ``driftloop roles show``
prints this table; ``tests/governance/test_roles.py`` walks every cell of it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from types import MappingProxyType

from driftloop.governance._vocabulary import Action, Kind

A, K = Action, Kind
Permission = tuple[Action, Kind]

# What can be done to each kind at all: the columns of the matrix. (Approving applies
# to model versions and loop episodes, deploying and predicting to endpoints, managing
# to users and to the protections of model aliases and endpoints.)
APPLICABLE: MappingProxyType[Kind, tuple[Action, ...]] = MappingProxyType(
    {
        K.DATASET: (A.READ, A.WRITE, A.DELETE),
        K.FEATURE_VIEW: (A.READ, A.WRITE, A.DELETE),
        K.EXPERIMENT: (A.READ, A.WRITE, A.DELETE),
        K.MODEL: (A.READ, A.WRITE, A.DELETE, A.APPROVE, A.MANAGE),
        K.PIPELINE: (A.READ, A.WRITE, A.DELETE),
        K.ENDPOINT: (A.READ, A.DELETE, A.DEPLOY, A.PREDICT, A.MANAGE),
        K.MONITOR: (A.READ, A.WRITE, A.DELETE),
        K.LOOP: (A.READ, A.WRITE, A.DELETE, A.APPROVE),
        K.USER: (A.READ, A.MANAGE),
        K.AUDIT: (A.READ,),
    }
)

# The kinds of the work itself, which every role may read (users and the audit log are
# read by the roles that look after people and production).
_WORK = (
    K.DATASET,
    K.FEATURE_VIEW,
    K.EXPERIMENT,
    K.MODEL,
    K.PIPELINE,
    K.ENDPOINT,
    K.MONITOR,
    K.LOOP,
)


def _read(kinds: Iterable[Kind]) -> set[Permission]:
    return {(A.READ, k) for k in kinds}


def _own(*kinds: Kind) -> set[Permission]:
    """Create, change and delete objects of ``kinds``."""
    return {(a, k) for k in kinds for a in (A.WRITE, A.DELETE)}


@dataclass(frozen=True, slots=True)
class Role:
    """A named set of permissions and the sentence that says who holds it."""

    name: str
    description: str
    permissions: frozenset[Permission]

    def has(self, action: Action, kind: Kind) -> bool:
        return (action, kind) in self.permissions


def _role(name: str, description: str, permissions: set[Permission]) -> Role:
    return Role(name, description, frozenset(permissions))


_ROLES = (
    _role("viewer", "reads the work: data, features, runs, models, endpoints", _read(_WORK)),
    _role(
        "subject_matter_expert",
        "reads everything; approves models for the business need",
        _read(K) | {(A.APPROVE, K.MODEL), (A.APPROVE, K.LOOP)},
    ),
    _role("data_analyst", "reads; logs datasets", _read(_WORK) | {(A.WRITE, K.DATASET)}),
    _role(
        "data_engineer",
        "owns datasets, feature views and pipelines",
        _read(_WORK) | _own(K.DATASET, K.FEATURE_VIEW, K.PIPELINE),
    ),
    _role(
        "data_scientist",
        "owns experiments and models; logs data and runs training pipelines",
        _read(_WORK) | _own(K.EXPERIMENT, K.MODEL) | {(A.WRITE, K.DATASET), (A.WRITE, K.PIPELINE)},
    ),
    _role(
        "software_engineer",
        "calls the deployed models: predictions and feedback",
        _read(_WORK) | {(A.PREDICT, K.ENDPOINT)},
    ),
    _role(
        "ml_architect",
        "designs feature views, pipelines and loop policies; approves",
        _read(_WORK)
        | _own(K.FEATURE_VIEW, K.PIPELINE, K.LOOP)
        | {(A.APPROVE, K.MODEL), (A.APPROVE, K.LOOP)},
    ),
    _role(
        "devops_engineer",
        "runs production: deployments, monitors, alerts, loop policies, service accounts",
        _read(K)
        | _own(K.MONITOR, K.LOOP)
        | {
            (A.DEPLOY, K.ENDPOINT),
            (A.DELETE, K.ENDPOINT),
            (A.PREDICT, K.ENDPOINT),
            (A.MANAGE, K.ENDPOINT),
            (A.APPROVE, K.MODEL),
            (A.APPROVE, K.LOOP),
            (A.MANAGE, K.USER),
        },
    ),
    _role("admin", "may do anything, and manages users and roles", {(a, k) for a in A for k in K}),
)

ROLES: MappingProxyType[str, Role] = MappingProxyType({r.name: r for r in _ROLES})
ADMIN = "admin"


def roles_with(action: Action, kind: Kind) -> list[str]:
    """The names of the roles holding ``action`` on ``kind``, in the matrix's order."""
    return [r.name for r in _ROLES if r.has(action, kind)]
