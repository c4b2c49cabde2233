"""Users, their roles and their tokens: the use cases, acting for one caller.

Two ways to act. With a ``principal`` (a caller the team server authenticated), every
call is checked against the caller's roles: managing users needs ``manage`` on
``user``, and nobody hands out more than they hold (granting a role, minting a token
for someone, or disabling them needs every permission that someone has or would get).
Everyone manages their own tokens. Without a principal the caller is the workspace's
operator, who holds the database itself (the laptop, or an admin with the server's
database credentials): nothing is checked, as ``psql`` checks nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError as SqlIntegrityError
from sqlalchemy.orm import Session

from driftloop.errors import (
    AlreadyExistsError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
)
from driftloop.governance import _directory as d
from driftloop.governance._authenticator import Authenticator, TokenAuthenticator
from driftloop.governance._models import IssuedToken, Token, User
from driftloop.governance._permissions import (
    allowed,
    format_binding,
    require,
)
from driftloop.governance._roles import ADMIN, ROLES
from driftloop.governance._tokens import new_token
from driftloop.governance._vocabulary import Action, Kind, Principal, RoleBinding
from driftloop.store import MetadataStore, utcnow
from driftloop.store._governance_rows import RoleBindingRow, TokenRow, UserRow

DEFAULT_TOKEN_LIFETIME = timedelta(days=90)
Clock = Callable[[], datetime]


class GovernanceService:
    """Users, role bindings and API tokens over the metadata store; acts for ``user``.

    Example::

        ws.governance.add_user("ana", ["data_scientist:churn-*"], display_name="Ana")
        issued = ws.governance.create_token("laptop", user="ana", expires_in=timedelta(days=30))
        print(issued.text)  # shown this once; only a salted hash is stored
    """

    def __init__(
        self,
        store: MetadataStore,
        user: str,
        *,
        principal: Principal | None = None,
        authenticator: TokenAuthenticator | None = None,
        clock: Clock = utcnow,
    ) -> None:
        self.store = store
        self.user = principal.name if principal is not None else user
        self.principal = principal
        self._authenticator = authenticator or TokenAuthenticator(store, clock=clock)
        self._clock = clock

    def for_principal(self, principal: Principal) -> GovernanceService:
        """This service acting for ``principal``, every call checked against its roles."""
        return GovernanceService(
            self.store,
            principal.name,
            principal=principal,
            authenticator=self._authenticator,
            clock=self._clock,
        )

    @property
    def authenticator(self) -> Authenticator:
        return self._authenticator

    def authenticate(self, token: str) -> Principal:
        """The principal a bearer token authenticates (see :class:`TokenAuthenticator`).

        Raises:
            AuthenticationError: malformed, unknown, wrong secret, revoked, expired, or
                its user is disabled.
        """
        return self._authenticator.authenticate(token)

    # users -----------------------------------------------------------------------------

    def add_user(
        self,
        name: str,
        roles: Iterable[RoleBinding | str] = (),
        *,
        display_name: str = "",
        is_service: bool = False,
    ) -> User:
        """Add a person (or, with ``is_service``, a service account) with ``roles``.

        Roles are ``RoleBinding`` or text: ``data_scientist`` or ``data_scientist:churn-*``.

        Raises:
            AlreadyExistsError: the name is taken.
            InvalidInputError: a bad name or an unknown role.
            PermissionDeniedError: the caller may not manage users or grant these roles.
        """
        d.check_user_name(name)
        bindings = d.parse_bindings(roles)
        self._check_manage(name, bindings)
        now = self._clock()

        def write(session: Session) -> None:
            if session.get(UserRow, name) is not None:
                raise AlreadyExistsError(f"user {name!r} exists; see `driftloop users list`")
            session.add(
                UserRow(
                    name=name,
                    display_name=d.check_display_name(display_name),
                    is_service=is_service,
                    created_by=self.user,
                    created_at=now,
                )
            )
            session.flush()
            for binding in bindings:
                session.add(self._binding_row(name, binding, now))

        self._write(write, what=f"user {name!r}")
        return self.get_user(name)

    def get_user(self, name: str) -> User:
        if name != self.user:
            self._check(Action.READ, Kind.USER, name)
        with self.store.read() as session:
            return d.to_user(d.user_row(session, name), d.bindings_of(session, name))

    def list_users(self) -> list[User]:
        """Every user the caller may read (all of them, for an unchecked operator)."""
        with self.store.read() as session:
            rows = list(session.scalars(select(UserRow).order_by(UserRow.name)))
            found = [d.to_user(r, d.bindings_of(session, r.name)) for r in rows]
        return [u for u in found if self._may_read_user(u.name)]

    def admins(self) -> list[str]:
        """The enabled users holding the admin role for every name."""
        with self.store.read() as session:
            return d.enabled_admins(session)

    def disable_user(self, name: str) -> User:
        """Refuse the user's tokens from now on (within a second on every server)."""
        return self._set_disabled(name, True)

    def enable_user(self, name: str) -> User:
        return self._set_disabled(name, False)

    def _set_disabled(self, name: str, disabled: bool) -> User:
        def write(session: Session) -> None:
            d.serialise_admin_changes(session)
            row = d.user_row(session, name, lock=True)
            self._check_manage(name, d.bindings_of(session, name))
            if disabled and row.disabled_at is None:
                if d.enabled_admins(session) == [name]:
                    raise ConflictError(d.last_admin_message(name, "disable"))
                row.disabled_at, row.disabled_by = self._clock(), self.user
            elif not disabled:
                row.disabled_at, row.disabled_by = None, None

        self._write(write, what=f"user {name!r}")
        self._authenticator.forget()
        return self.get_user(name)

    # roles -----------------------------------------------------------------------------

    def grant(self, name: str, role: RoleBinding | str) -> User:
        """Give ``name`` a role (for every name, or those matching the binding's pattern).

        Granting what the user has already is harmless.
        """
        binding = d.parse_bindings([role])[0]

        def write(session: Session) -> None:
            d.user_row(session, name, lock=True)
            self._check_manage(name, (*d.bindings_of(session, name), binding))
            if binding not in d.bindings_of(session, name):
                session.add(self._binding_row(name, binding, self._clock()))

        self._write(write, what=f"a role of user {name!r}")
        self._authenticator.forget()
        return self.get_user(name)

    def revoke(self, name: str, role: RoleBinding | str) -> User:
        """Take a role binding away from ``name``.

        Raises:
            NotFoundError: the user does not hold that binding.
            ConflictError: it is the last enabled admin's admin role.
        """
        binding = d.parse_bindings([role])[0]

        def write(session: Session) -> None:
            d.serialise_admin_changes(session)
            d.user_row(session, name, lock=True)
            held = d.bindings_of(session, name)
            self._check_manage(name, held)
            if binding not in held:
                have = ", ".join(format_binding(b) for b in held) or "none"
                raise NotFoundError(
                    f"user {name!r} does not hold role {format_binding(binding)!r} (roles: {have})"
                )
            if binding == RoleBinding(ADMIN) and d.enabled_admins(session) == [name]:
                raise ConflictError(d.last_admin_message(name, "take the admin role from"))
            found = session.scalars(
                select(RoleBindingRow).where(
                    RoleBindingRow.user_name == name,
                    RoleBindingRow.role == binding.role,
                    RoleBindingRow.pattern == binding.pattern,
                )
            )
            for row in found:
                session.delete(row)

        self._write(write, what=f"a role of user {name!r}")
        self._authenticator.forget()
        return self.get_user(name)

    # tokens ----------------------------------------------------------------------------

    def bootstrap_admin(
        self, name: str, *, expires_in: timedelta | None = DEFAULT_TOKEN_LIFETIME
    ) -> IssuedToken:
        """Make ``name`` the first admin (creating the user if needed) and their first token.

        What `driftloop server init` runs. Two at once make one admin: on PostgreSQL a
        lock serialises them; SQLite's write transactions are exclusive already.

        Raises:
            ConflictError: an enabled admin exists already.
        """
        d.check_user_name(name)
        with self.store.session() as session:
            d.serialise_admin_changes(session)
            admins = d.enabled_admins(session)
            if admins:
                raise ConflictError(
                    f"an admin exists already ({', '.join(admins)}); `server init` only makes "
                    "the first. An admin makes more users with `driftloop users add`"
                )
            now = self._clock()
            row = session.get(UserRow, name)
            if row is None:
                session.add(UserRow(name=name, created_by=self.user, created_at=now))
                session.flush()
            else:
                row.disabled_at, row.disabled_by = None, None
            if RoleBinding(ADMIN) not in d.bindings_of(session, name):
                session.add(self._binding_row(name, RoleBinding(ADMIN), now))
            issued = self._insert_token(session, name, "server init", expires_in)
        self._authenticator.forget()
        return issued

    def create_token(
        self,
        name: str,
        *,
        user: str | None = None,
        expires_in: timedelta | None = DEFAULT_TOKEN_LIFETIME,
    ) -> IssuedToken:
        """Make a token for ``user`` (the caller by default), valid for ``expires_in``
        (None: until revoked). Its text is in the result, once, and stored nowhere.

        Raises:
            NotFoundError: no such user. ConflictError: the user is disabled.
            PermissionDeniedError: a token for someone else, without managing them.
        """
        owner = user or self.user
        with self.store.session() as session:
            row = d.user_row(session, owner)
            if owner != self.user:
                self._check_manage(owner, d.bindings_of(session, owner))
            if row.disabled_at is not None:
                raise ConflictError(
                    f"user {owner!r} is disabled; enable them first (`driftloop users enable "
                    f"{owner}`)"
                )
            return self._insert_token(session, owner, name, expires_in)

    def _insert_token(
        self, session: Session, owner: str, name: str, expires_in: timedelta | None
    ) -> IssuedToken:
        label = d.check_token_name(name)
        if expires_in is not None and expires_in <= timedelta(0):
            raise InvalidInputError(f"a token's lifetime must be positive, got {expires_in}")
        made, now = new_token(), self._clock()
        row = TokenRow(
            id=made.token_id,
            user_name=owner,
            name=label,
            salt=made.salt,
            secret_hash=made.secret_hash,
            created_by=self.user,
            created_at=now,
            expires_at=None if expires_in is None else now + expires_in,
        )
        session.add(row)
        session.flush()
        return IssuedToken(d.to_token(row), made.text)

    def list_tokens(self, user: str | None = None, *, all_users: bool = False) -> list[Token]:
        """The tokens of ``user`` (the caller by default; with ``all_users`` everyone's the
        caller may read), newest first: ids, names, dates and state, never a secret."""
        owner = None if all_users else (user or self.user)
        if owner is not None and owner != self.user:
            self._check(Action.READ, Kind.USER, owner)
        query = select(TokenRow).order_by(TokenRow.created_at.desc(), TokenRow.id)
        if owner is not None:
            query = query.where(TokenRow.user_name == owner)
        with self.store.read() as session:
            if owner is not None:
                d.user_row(session, owner)
            tokens = [d.to_token(r) for r in session.scalars(query)]
        return [t for t in tokens if self._may_read_user(t.user)]

    def revoke_token(self, token_id: str) -> Token:
        """Revoke a token: refused by every server within a second. Revoking a revoked
        token changes nothing."""

        def write(session: Session) -> Token:
            row = d.token_row(session, token_id)
            if row.user_name != self.user:
                self._check_manage(row.user_name, d.bindings_of(session, row.user_name))
            if row.revoked_at is None:
                row.revoked_at, row.revoked_by = self._clock(), self.user
            return d.to_token(row)

        with self.store.session() as session:
            revoked = write(session)
        self._authenticator.forget(token_id)
        return revoked

    # checks ----------------------------------------------------------------------------

    def _may_read_user(self, name: str) -> bool:
        if self.principal is None or name == self.user:
            return True
        return allowed(self.principal, Action.READ, Kind.USER, name)

    def _check(self, action: Action, kind: Kind, name: str | None) -> None:
        if self.principal is not None:
            require(self.principal, action, kind, name)

    def _check_manage(self, name: str, bindings: Sequence[RoleBinding]) -> None:
        """``manage`` on the user, and every permission ``bindings`` give: nobody hands
        out, or takes over, more than they hold."""
        if self.principal is None:
            return
        require(self.principal, Action.MANAGE, Kind.USER, name)
        for binding in bindings:
            role = ROLES.get(binding.role)
            for action, kind in sorted(role.permissions) if role is not None else ():
                if not allowed(self.principal, action, kind, binding.pattern):
                    raise PermissionDeniedError(
                        f"{self.user} may not manage user {name!r} with role "
                        f"{format_binding(binding)!r}: it gives {action.value} on {kind.value}, "
                        f"which {self.user} does not hold; ask an admin"
                    )

    def _binding_row(self, name: str, binding: RoleBinding, now: datetime) -> RoleBindingRow:
        return RoleBindingRow(
            user_name=name,
            role=binding.role,
            pattern=binding.pattern,
            granted_by=self.user,
            granted_at=now,
        )

    def _write(self, write: Callable[[Session], None], *, what: str) -> None:
        try:
            with self.store.session() as session:
                write(session)
        except SqlIntegrityError as exc:  # a concurrent writer took the name first
            raise AlreadyExistsError(f"{what} was written concurrently; try again") from exc
