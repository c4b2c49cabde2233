"""What a protection asks for: how many approvers of which roles. Pure.

Requirements map a role to a number of approvers (``{"subject_matter_expert": 1,
"devops_engineer": 1}``); the role ``any`` is met by any approver. Each approval counts
once, for the role it was given as, so one person holding two roles never meets two
requirements, and the total asked for is the sum of all counts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from driftloop.errors import InvalidInputError
from driftloop.governance._roles import ROLES, roles_with
from driftloop.governance._vocabulary import Action, Kind

if TYPE_CHECKING:
    from driftloop.governance._models import Approval

ANY_ROLE = "any"
MAX_APPROVERS = 10


def parse_requirement(text: str) -> tuple[str, int]:
    """``subject_matter_expert`` (one) or ``devops_engineer:2`` or ``any:2``."""
    role, sep, count = text.partition(":")
    try:
        number = int(count) if sep else 1
    except ValueError:
        raise InvalidInputError(
            f"approval requirement {text!r} must read ROLE or ROLE:COUNT, such as "
            "'subject_matter_expert' or 'any:2'"
        ) from None
    return role.strip(), number


def check_requirements(requirements: Mapping[str, int]) -> dict[str, int]:
    """Requirements naming roles that may approve models, each 1..10 approvers.

    Raises:
        InvalidInputError: none given, an unknown role, a role that cannot approve, or a
            count out of range.
    """
    if not requirements:
        raise InvalidInputError(
            "a protection needs at least one approval requirement, such as "
            "--require subject_matter_expert or --require any:2"
        )
    approvers = roles_with(Action.APPROVE, Kind.MODEL)
    for role, count in requirements.items():
        if role != ANY_ROLE and role not in ROLES:
            raise InvalidInputError(
                f"role {role!r} does not exist; approvals can be required from "
                f"{', '.join([*approvers, ANY_ROLE])}"
            )
        if role != ANY_ROLE and role not in approvers:
            raise InvalidInputError(
                f"role {role!r} may not approve models; approvals can be required from "
                f"{', '.join([*approvers, ANY_ROLE])}"
            )
        if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_APPROVERS:
            raise InvalidInputError(
                f"the number of {role} approvals must be 1..{MAX_APPROVERS}, got {count!r}"
            )
    return dict(requirements)


def merge(*requirements: Mapping[str, int]) -> dict[str, int]:
    """The requirements that meet all of ``requirements``: the most asked of each role."""
    merged: dict[str, int] = {}
    for each in requirements:
        for role, count in each.items():
            merged[role] = max(merged.get(role, 0), count)
    return merged


def missing_approvals(
    requirements: Mapping[str, int], approvals: Iterable[Approval]
) -> dict[str, int]:
    """What ``approvals`` (their approving decisions) leave unmet of ``requirements``;
    empty when they are met."""
    given = Counter(a.role or ANY_ROLE for a in approvals if a.decision == "approved")
    missing = {
        role: count - given[role]
        for role, count in requirements.items()
        if role != ANY_ROLE and given[role] < count
    }
    short = sum(requirements.values()) - sum(given.values())
    rest = short - sum(missing.values())
    if rest > 0:
        missing[ANY_ROLE] = rest
    return missing


def describe(requirements: Mapping[str, int]) -> str:
    """``1 subject_matter_expert and 2 approvers of any role``."""
    parts = [
        f"{count} {'approver(s) of any role' if role == ANY_ROLE else role}"
        for role, count in requirements.items()
    ]
    if len(parts) < 2:
        return "".join(parts) or "nothing"
    return ", ".join(parts[:-1]) + " and " + parts[-1]
