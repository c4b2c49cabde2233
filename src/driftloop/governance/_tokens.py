"""API token text, and how its secret is stored and checked. Pure: no store, no clock.

A token reads ``dlt_<id>_<secret>``: the id (16 hex digits) finds the stored row and is
not secret; the secret is 32 random bytes (``secrets.token_urlsafe``) shown once and
never stored. The row keeps a random per-token salt and SHA-256(salt + secret): for a
high-entropy random secret a fast hash is right (nothing to brute-force as with a
password, so no slow KDF on every request), and the salt makes equal secrets hash apart.
Hashes are compared with :func:`hmac.compare_digest`, in time independent of where they differ.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from driftloop.errors import AuthenticationError

PREFIX = "dlt"
_TOKEN = re.compile(r"dlt_([0-9a-f]{16})_([A-Za-z0-9_-]{20,128})")


@dataclass(frozen=True, slots=True)
class NewSecret:
    """A freshly made token: ``text`` goes to the user once; the rest to the store."""

    token_id: str
    text: str
    salt: str
    secret_hash: str


def new_token() -> NewSecret:
    token_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    salt = secrets.token_hex(16)
    return NewSecret(token_id, f"{PREFIX}_{token_id}_{secret}", salt, hash_secret(salt, secret))


def hash_secret(salt: str, secret: str) -> str:
    return hashlib.sha256(bytes.fromhex(salt) + secret.encode()).hexdigest()


def parse_token(text: str) -> tuple[str, str]:
    """The id and secret of a token's text.

    Raises:
        AuthenticationError: not a driftloop token (the text is never echoed back).
    """
    match = _TOKEN.fullmatch(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise AuthenticationError(
            "the bearer token is not a driftloop API token (they read dlt_<id>_<secret>); "
            "create one with `driftloop tokens create NAME`"
        )
    return match.group(1), match.group(2)


def secret_matches(secret: str, salt: str, stored_hash: str) -> bool:
    """True if ``secret`` hashes to ``stored_hash``; constant-time in where they differ."""
    return hmac.compare_digest(hash_secret(salt, secret), stored_hash)


# Hashed when a token id is unknown, so that an unknown id costs what a wrong secret does.
DUMMY_SALT = "00" * 16
DUMMY_HASH = hash_secret(DUMMY_SALT, "not-a-token")
