"""HTTP errors of the server and the one table from error class to status.

Every error a request can meet is a driftloop error with a message naming the field
or limit; the table below is the only place that turns one into a status, so the
simple JSON API and the Open Inference Protocol answer alike (``{"error": ...}``, the
body tritonclient reads).
"""

from __future__ import annotations

from driftloop.errors import (
    AlreadyExistsError,
    AuthenticationError,
    BackendUnavailableError,
    ConflictError,
    DriftloopError,
    IntegrityError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    UserCodeError,
)


class PayloadTooLargeError(InvalidInputError):
    code = "PAYLOAD_TOO_LARGE"
    headline = "Request body too large"


class RequestTimeoutError(InvalidInputError):
    code = "REQUEST_TIMEOUT"
    headline = "Request timed out"


class UnsupportedMediaTypeError(InvalidInputError):
    code = "UNSUPPORTED_MEDIA_TYPE"
    headline = "Unsupported media type"


class AddressInUseError(ConflictError):
    """``driftloop serve`` cannot listen: another process holds the host and port."""

    code = "ADDRESS_IN_USE"
    headline = "Address in use"


class EndpointNotReadyError(DriftloopError):
    """The endpoint exists but has no verified model loaded; the message says why."""

    code = "NOT_READY"
    headline = "Endpoint not ready"


# Most specific first: the first class an error is an instance of gives its status.
STATUS_BY_ERROR: tuple[tuple[type[DriftloopError], int], ...] = (
    (PayloadTooLargeError, 413),
    (RequestTimeoutError, 408),
    (UnsupportedMediaTypeError, 415),
    (InvalidInputError, 400),
    (NotFoundError, 404),
    (AlreadyExistsError, 409),
    (ConflictError, 409),
    (AuthenticationError, 401),
    (PermissionDeniedError, 403),
    # A model that raises on input that passed its signature check: the input is the cause.
    (UserCodeError, 422),
    (IntegrityError, 503),
    (EndpointNotReadyError, 503),
    (BackendUnavailableError, 503),
)


def status_of(error: DriftloopError) -> int:
    for kind, status in STATUS_BY_ERROR:
        if isinstance(error, kind):
            return status
    return 500
