"""Authenticating API tokens: the ``Authenticator`` the HTTP edge calls on every request.

A request's token is looked up by its id; the row (salt, hash, expiry, revocation, the
user's state and roles) is cached for at most ``ttl`` (1 s), so a revocation, an
expiry, a disabled user or a revoked role is refused by every process within a second,
without a database round trip on most requests. The secret is checked on every call,
against the cached hash, in constant time. ``last_used_at`` is written at most once a
minute per token (and by one process: the update is conditional).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import or_, select, update

from driftloop.errors import AuthenticationError
from driftloop.governance._tokens import DUMMY_HASH, DUMMY_SALT, parse_token, secret_matches
from driftloop.governance._vocabulary import Principal, RoleBinding
from driftloop.store import MetadataStore, utcnow
from driftloop.store._governance_rows import RoleBindingRow, TokenRow, UserRow

CACHE_TTL_S = 1.0
LAST_USED_EVERY = timedelta(minutes=1)
_MAX_CACHED = 10_000


class Authenticator(Protocol):
    """Turns a bearer token into the principal it authenticates, or refuses it."""

    def authenticate(self, token: str) -> Principal:
        """Raises :class:`~driftloop.errors.AuthenticationError` (HTTP 401)."""
        ...


@dataclass(frozen=True, slots=True)
class _Entry:
    salt: str
    secret_hash: str
    principal: Principal
    expires_at: datetime | None
    revoked_at: datetime | None
    disabled_at: datetime | None
    last_used_at: datetime | None


class TokenAuthenticator:
    """Tokens of the metadata store's users; one per process, shared by every request.

    ``clock`` (wall time, for expiry) and ``monotonic`` (for the cache's age) are
    injected so tests move time instead of sleeping.
    """

    def __init__(
        self,
        store: MetadataStore,
        *,
        clock: Callable[[], datetime] = utcnow,
        monotonic: Callable[[], float] = time.monotonic,
        ttl: float = CACHE_TTL_S,
    ) -> None:
        if not 0 <= ttl <= CACHE_TTL_S:
            raise ValueError(f"ttl must be 0..{CACHE_TTL_S} s: a revocation must bite within 1 s")
        self._store = store
        self._clock = clock
        self._monotonic = monotonic
        self._ttl = ttl
        # token id -> (monotonic time of the lookup, what it found; None: no such token)
        self._cache: dict[str, tuple[float, _Entry | None]] = {}
        self._lock = threading.Lock()

    def authenticate(self, token: str) -> Principal:
        """The principal ``token`` authenticates.

        Raises:
            AuthenticationError: malformed, unknown, wrong secret, revoked, expired, or
                its user is disabled. The token's text is never part of the message.
        """
        token_id, secret = parse_token(token)
        entry = self._entry(token_id)
        if entry is None:
            secret_matches(secret, DUMMY_SALT, DUMMY_HASH)  # as long as a wrong secret takes
            raise _refused()
        if not secret_matches(secret, entry.salt, entry.secret_hash):
            raise _refused()
        now = self._clock()
        # Told only to whoever holds the secret: they learn nothing they could not see.
        if entry.revoked_at is not None:
            raise AuthenticationError(
                f"token {token_id} was revoked; create a new one with `driftloop tokens create`"
            )
        if entry.expires_at is not None and entry.expires_at <= now:
            raise AuthenticationError(
                f"token {token_id} expired on {entry.expires_at:%Y-%m-%d %H:%M} UTC; "
                "create a new one with `driftloop tokens create`"
            )
        if entry.disabled_at is not None:
            raise AuthenticationError(
                f"user {entry.principal.name!r} is disabled; an admin can enable them with "
                f"`driftloop users enable {entry.principal.name}`"
            )
        self._touch(token_id, entry, now)
        return entry.principal

    def forget(self, token_id: str | None = None) -> None:
        """Drop a cached lookup (every one with None): this process sees a change at once."""
        with self._lock:
            if token_id is None:
                self._cache.clear()
            else:
                self._cache.pop(token_id, None)

    def _entry(self, token_id: str) -> _Entry | None:
        now = self._monotonic()
        with self._lock:
            cached = self._cache.get(token_id)
        if cached is not None and now - cached[0] < self._ttl:
            return cached[1]
        entry = self._load(token_id)
        with self._lock:
            if len(self._cache) >= _MAX_CACHED:  # a flood of made-up ids: start over
                self._cache.clear()
            self._cache[token_id] = (now, entry)
        return entry

    def _load(self, token_id: str) -> _Entry | None:
        with self._store.read() as session:
            found = session.execute(
                select(TokenRow, UserRow)
                .join(UserRow, UserRow.name == TokenRow.user_name)
                .where(TokenRow.id == token_id)
            ).first()
            if found is None:
                return None
            token, user = found
            bindings = session.scalars(
                select(RoleBindingRow)
                .where(RoleBindingRow.user_name == user.name)
                .order_by(RoleBindingRow.id)
            )
            roles = tuple(RoleBinding(b.role, b.pattern) for b in bindings)
        principal = Principal(user.name, roles, user.is_service)
        return _Entry(
            token.salt,
            token.secret_hash,
            principal,
            token.expires_at,
            token.revoked_at,
            user.disabled_at,
            token.last_used_at,
        )

    def _touch(self, token_id: str, entry: _Entry, now: datetime) -> None:
        if entry.last_used_at is not None and now - entry.last_used_at < LAST_USED_EVERY:
            return
        with self._lock:
            current = self._cache.get(token_id)
            if current is not None and current[1] is not None:
                self._cache[token_id] = (current[0], replace(current[1], last_used_at=now))
        stale = now - LAST_USED_EVERY
        with self._store.session() as session:
            session.execute(
                update(TokenRow)
                .where(TokenRow.id == token_id)
                .where(or_(TokenRow.last_used_at.is_(None), TokenRow.last_used_at <= stale))
                .values(last_used_at=now)
            )


def _refused() -> AuthenticationError:
    return AuthenticationError(
        "the token is not valid (unknown or wrong secret); create one with "
        "`driftloop tokens create NAME`"
    )
