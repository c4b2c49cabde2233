"""One exception hierarchy for driftloop.

Every error a user can meet derives from :class:`DriftloopError` and says what
failed, the offending value, and what to do next. Callers catch a category, not
a backend-specific class::

    DriftloopError
     ├── NotFoundError            the thing asked for does not exist
     ├── AlreadyExistsError       a name or key is taken
     ├── ConflictError            the store changed under you, or state forbids it
     ├── InvalidInputError        bad arguments, data or files (also a ValueError)
     ├── IntegrityError           stored bytes do not match their recorded hash
     ├── AuthenticationError
     ├── PermissionDeniedError
     ├── BackendUnavailableError  a database, bucket or cache cannot be reached
     ├── MissingExtraError        an optional dependency is not installed
     └── UserCodeError            user code (a step, a model) raised; cause kept

Messages carry no colour and no secrets: they reach HTTP clients unchanged.
Each class has a stable ``code`` the REST layer maps to a status.
"""

from __future__ import annotations

import warnings

__all__ = [
    "AlreadyExistsError",
    "AuthenticationError",
    "BackendUnavailableError",
    "ConflictError",
    "DataQualityWarning",
    "DriftloopError",
    "DriftloopWarning",
    "IntegrityError",
    "InvalidInputError",
    "MetricWriteWarning",
    "MissingExtraError",
    "NotFoundError",
    "PermissionDeniedError",
    "RequirementsMismatchWarning",
    "UserCodeError",
    "redact_url",
    "require_extra",
]


class DriftloopError(Exception):
    """Root of every driftloop error."""

    code = "DRIFTLOOP_ERROR"
    headline = "driftloop failed"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class NotFoundError(DriftloopError):
    code = "NOT_FOUND"
    headline = "Not found"


class AlreadyExistsError(DriftloopError):
    code = "ALREADY_EXISTS"
    headline = "Already exists"


class ConflictError(DriftloopError):
    code = "CONFLICT"
    headline = "Conflict"


class InvalidInputError(DriftloopError, ValueError):
    code = "INVALID_INPUT"
    headline = "Invalid input"


class IntegrityError(DriftloopError):
    code = "INTEGRITY"
    headline = "Integrity check failed"


class AuthenticationError(DriftloopError):
    code = "UNAUTHENTICATED"
    headline = "Authentication failed"


class PermissionDeniedError(DriftloopError):
    code = "PERMISSION_DENIED"
    headline = "Permission denied"


class BackendUnavailableError(DriftloopError):
    code = "BACKEND_UNAVAILABLE"
    headline = "Backend unavailable"


class MissingExtraError(DriftloopError, ImportError):
    """An optional dependency is missing; the message names the extra to install."""

    code = "MISSING_EXTRA"
    headline = "Missing optional dependency"

    def __init__(self, extra: str, module: str, purpose: str) -> None:
        super().__init__(
            f"{purpose} needs the '{module}' package, which is not installed; "
            f"run: pip install 'driftloop[{extra}]'"
        )
        self.extra = extra
        self.module = module


class UserCodeError(DriftloopError):
    """User code raised; ``where`` names the step or model, ``__cause__`` keeps the error."""

    code = "USER_CODE_ERROR"
    headline = "User code failed"

    def __init__(self, where: str, cause: BaseException) -> None:
        super().__init__(f"{where} raised {type(cause).__name__}: {cause}")
        self.where = where
        # Kept even when the caller forgets `raise ... from cause`.
        self.__cause__ = cause


class DriftloopWarning(UserWarning):
    """Root of driftloop's warnings."""


class DataQualityWarning(DriftloopWarning):
    """Data looks suspicious but can still be used."""


class MetricWriteWarning(DriftloopWarning):
    """The metadata store refused some logged metric values; they were dropped."""


class RequirementsMismatchWarning(DriftloopWarning):
    """Installed packages differ from the ones a model was logged with."""


def redact_url(url: str) -> str:
    """``url`` with any password replaced by ``***``, safe to put in a message.

    Example::

        redact_url("redis://:s3cret@cache:6379/0")  # 'redis://:***@cache:6379/0'
    """
    from urllib.parse import urlsplit, urlunsplit

    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
        user = parts.username or ""
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:  # not a URL at all: show nothing that could be a secret
        return "<unparseable URL>"
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}{port}"))


def require_extra(module: str, extra: str, purpose: str):  # type: ignore[no-untyped-def]
    """Import an optional dependency or raise :class:`MissingExtraError` naming its extra.

    Example::

        psycopg = require_extra("psycopg", "postgres", "A PostgreSQL metadata store")
    """
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtraError(extra, module, purpose) from exc


def warn(category: type[Warning], message: str, stacklevel: int = 3) -> None:
    """Emit a typed driftloop warning pointing at the user's call site."""
    warnings.warn(message, category, stacklevel=stacklevel)
