"""The one permission check: may this principal do this action to this object?

Pure: a principal carries its role bindings, the roles are data (``_roles.py``), and a
binding's pattern is an fnmatch glob matched against the object's name, case-sensitive
on every platform. Deny by default: a role nobody defined grants nothing.
"""

from __future__ import annotations

from fnmatch import fnmatchcase

from driftloop.errors import InvalidInputError, PermissionDeniedError
from driftloop.governance._roles import ROLES, roles_with
from driftloop.governance._vocabulary import Action, Kind, Principal, RoleBinding


def _grants(binding: RoleBinding, action: Action, kind: Kind) -> bool:
    role = ROLES.get(binding.role)
    return role is not None and role.has(action, kind)


def allowed(principal: Principal, action: Action, kind: Kind, name: str | None = None) -> bool:
    """True if a role bound to ``principal`` grants ``action`` on the ``kind`` named ``name``.

    ``name=None`` asks about the kind as a whole ("may they create some model?"): any
    binding of a role with the permission answers yes, whatever its pattern; lists and
    searches then keep only the objects :func:`allowed` by name.

    Example::

        allowed(ana, Action.WRITE, Kind.MODEL, "churn-eu")  # ana is data_scientist:churn-*
    """
    return any(
        _grants(b, action, kind) and (name is None or fnmatchcase(name, b.pattern))
        for b in principal.roles
    )


def require(principal: Principal, action: Action, kind: Kind, name: str | None = None) -> None:
    """Raise :class:`PermissionDeniedError` unless :func:`allowed`; the message names the
    permission missing and the roles that have it.

    Raises:
        PermissionDeniedError: "ana (data_scientist) may not deploy endpoint 'churn':
            needs deploy on endpoint; roles with it: devops_engineer, admin".
    """
    if allowed(principal, action, kind, name):
        return
    raise PermissionDeniedError(denial(principal, action, kind, name))


def denial(principal: Principal, action: Action, kind: Kind, name: str | None) -> str:
    """The sentence :func:`require` raises: who, what was refused, what is needed."""
    target = f"{kind.value} {name!r}" if name is not None else f"any {kind.value}"
    holders = roles_with(action, kind)
    message = (
        f"{principal.name} ({describe_roles(principal.roles)}) may not {action.value} "
        f"{target}: needs {action.value} on {kind.value}; roles with it: {', '.join(holders)}"
    )
    narrow = [b for b in principal.roles if _grants(b, action, kind)]
    if narrow:  # the role is there, but bound for other names
        patterns = ", ".join(f"{b.role} for {b.pattern!r}" for b in narrow)
        message += f" (their {patterns} does not cover {name!r})"
    return message


def describe_roles(roles: tuple[RoleBinding, ...]) -> str:
    """``data_scientist, viewer on churn-*``; ``no roles`` for none."""
    if not roles:
        return "no roles"
    return ", ".join(format_binding(b) for b in roles)


def format_binding(binding: RoleBinding) -> str:
    """``ROLE`` for every name, ``ROLE:PATTERN`` otherwise (what the CLI takes back)."""
    return binding.role if binding.pattern == "*" else f"{binding.role}:{binding.pattern}"


def parse_binding(text: str) -> RoleBinding:
    """``data_scientist`` or ``data_scientist:churn-*`` as a binding of a known role.

    Raises:
        InvalidInputError: an unknown role or an empty or too long pattern.
    """
    role, sep, pattern = text.partition(":")
    return check_binding(RoleBinding(role.strip(), pattern.strip() if sep else "*"))


def check_binding(binding: RoleBinding) -> RoleBinding:
    if binding.role not in ROLES:
        raise InvalidInputError(
            f"role {binding.role!r} does not exist; roles are {', '.join(ROLES)} "
            "(see `driftloop roles show`)"
        )
    pattern = binding.pattern
    if not pattern or len(pattern) > 256 or pattern != pattern.strip():
        raise InvalidInputError(
            f"the name pattern of role {binding.role!r} must be a glob of 1 to 256 characters "
            f"without surrounding spaces (such as 'churn-*'), got {binding.pattern!r}"
        )
    return binding
