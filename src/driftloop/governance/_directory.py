"""Reading users, role bindings and tokens inside a session: the queries the services share."""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from driftloop.errors import InvalidInputError, NotFoundError
from driftloop.governance._models import Token, User
from driftloop.governance._permissions import check_binding, parse_binding
from driftloop.governance._roles import ADMIN
from driftloop.governance._vocabulary import Principal, RoleBinding
from driftloop.store._governance_rows import RoleBindingRow, TokenRow, UserRow

# Letters, digits and . _ @ - (so an e-mail address is a name); no spaces, no slashes.
_USER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,127}")


def check_user_name(name: str) -> str:
    if not isinstance(name, str) or not _USER_NAME.fullmatch(name):
        raise InvalidInputError(
            f"user name {name!r} is not allowed; use 1 to 128 letters, digits, '.', '_', '@' "
            "or '-', starting with a letter or digit"
        )
    return name


def user_row(session: Session, name: str, *, lock: bool = False) -> UserRow:
    query = select(UserRow).where(UserRow.name == name)
    row = session.scalar(query.with_for_update() if lock else query)
    if row is None:
        raise NotFoundError(f"no user named {name!r}; see `driftloop users list`")
    return row


def bindings_of(session: Session, name: str) -> tuple[RoleBinding, ...]:
    rows = session.scalars(
        select(RoleBindingRow).where(RoleBindingRow.user_name == name).order_by(RoleBindingRow.id)
    )
    return tuple(RoleBinding(r.role, r.pattern) for r in rows)


def to_user(row: UserRow, roles: tuple[RoleBinding, ...]) -> User:
    return User(
        name=row.name,
        display_name=row.display_name,
        is_service=row.is_service,
        roles=roles,
        created_by=row.created_by,
        created_at=row.created_at,
        disabled_at=row.disabled_at,
        disabled_by=row.disabled_by,
    )


def principal_of(session: Session, name: str) -> Principal | None:
    """The principal of an enabled user named ``name``; None if there is none."""
    row = session.get(UserRow, name)
    if row is None or row.disabled_at is not None:
        return None
    return Principal(row.name, bindings_of(session, name), row.is_service)


def to_token(row: TokenRow) -> Token:
    return Token(
        id=row.id,
        user=row.user_name,
        name=row.name,
        created_by=row.created_by,
        created_at=row.created_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
        revoked_by=row.revoked_by,
        last_used_at=row.last_used_at,
    )


def token_row(session: Session, token_id: str) -> TokenRow:
    row = session.get(TokenRow, token_id) if isinstance(token_id, str) else None
    if row is None:
        raise NotFoundError(f"no token with id {token_id!r}; see `driftloop tokens list`")
    return row


def enabled_admins(session: Session) -> list[str]:
    """Enabled users holding the admin role for every name: who can still manage it all."""
    query = (
        select(UserRow.name)
        .join(RoleBindingRow, RoleBindingRow.user_name == UserRow.name)
        .where(RoleBindingRow.role == ADMIN, RoleBindingRow.pattern == "*")
        .where(UserRow.disabled_at.is_(None))
        .order_by(UserRow.name)
    )
    return list(session.scalars(query))


def serialise_admin_changes(session: Session) -> None:
    """Hold the checks of who is admin until this transaction ends (PostgreSQL; SQLite's
    write transactions are exclusive already): two `server init` never make two admins,
    and two admins never disable each other."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext('driftloop.first_admin'))"))


def parse_bindings(roles: Iterable[RoleBinding | str]) -> list[RoleBinding]:
    out: list[RoleBinding] = []
    for role in roles:
        binding = parse_binding(role) if isinstance(role, str) else check_binding(role)
        if binding not in out:
            out.append(binding)
    return out


def check_display_name(text: str) -> str:
    if not isinstance(text, str) or len(text) > 256:
        raise InvalidInputError("a display name must be text of at most 256 characters")
    return text.strip()


def check_token_name(name: str) -> str:
    if not isinstance(name, str) or not name.strip() or len(name) > 128:
        raise InvalidInputError(
            f"a token's name must be 1 to 128 characters (what it is for: 'laptop', 'ci'), "
            f"got {name!r}"
        )
    return name.strip()


def last_admin_message(name: str, verb: str) -> str:
    return (
        f"cannot {verb} {name!r}: they are the last enabled admin, and nobody could manage "
        f"users after; grant admin to someone else first (`driftloop users grant NAME admin`)"
    )
