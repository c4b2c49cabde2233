"""``POST /v1/endpoints/{name}/feedback``: ground-truth labels over HTTP.

The server mounts :func:`feedback_routes` in its app. Bodies::

    {"request_id": "5f2c...", "label": 1}                        one label (row 0)
    {"request_id": "5f2c...", "row_index": 3, "label": 1}        one row of a batch request
    {"labels": [{"request_id": "...", "row_index": 0, "label": 1}, ...]}   in bulk

Answer 200 ``{"endpoint", "accepted", "unknown_request_ids"}``; a malformed or invalid
body is a 400 (413 when too large) naming the field, and nothing is stored.
"""

from __future__ import annotations

import json
from typing import Any, Protocol

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from driftloop.errors import (
    BackendUnavailableError,
    DriftloopError,
    InvalidInputError,
    NotFoundError,
)
from driftloop.serving._feedback import MAX_LABELS_PER_CALL
from driftloop.serving._log_reader import PredictionLogService

MAX_BODY_BYTES = 32 * 1024 * 1024  # room for MAX_LABELS_PER_CALL labels of long ids
_FIELDS = {"request_id", "label", "row_index", "labels"}


class _HasPredictions(Protocol):
    @property
    def predictions(self) -> PredictionLogService: ...


class _TooLarge(InvalidInputError):
    code = "PAYLOAD_TOO_LARGE"


def _status(error: DriftloopError) -> int:
    if isinstance(error, _TooLarge):
        return 413
    if isinstance(error, InvalidInputError):
        return 400
    if isinstance(error, NotFoundError):
        return 404
    if isinstance(error, BackendUnavailableError):
        return 503
    return 409


async def _read_json(request: Request, limit: int) -> dict[str, Any]:
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise _TooLarge(f"the body is over {limit} bytes; send labels in smaller batches")
    try:
        parsed = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInputError(f"the body is not valid JSON: {exc}") from None
    if not isinstance(parsed, dict):
        raise InvalidInputError(
            'the body must be a JSON object: {"request_id": ..., "label": ...} or {"labels": [...]}'
        )
    extra = sorted(set(parsed) - _FIELDS)
    if extra:
        raise InvalidInputError(f"unknown field(s) {extra}; allowed: {sorted(_FIELDS)}")
    return parsed


def _call(service: PredictionLogService, endpoint: str, body: dict[str, Any]) -> dict[str, Any]:
    if "labels" in body:
        if set(body) != {"labels"}:
            raise InvalidInputError("give either labels or request_id and label, not both")
        labels = body["labels"]
        if not isinstance(labels, list):
            raise InvalidInputError(
                f"labels must be a list (at most {MAX_LABELS_PER_CALL}) of "
                "{request_id, label, row_index}"
            )
        result = service.log_feedback(endpoint, labels=labels)
    else:
        if "request_id" not in body or "label" not in body:
            raise InvalidInputError("give request_id and label (or labels, a list)")
        result = service.log_feedback(
            endpoint,
            request_id=body["request_id"],
            label=body["label"],
            row_index=body.get("row_index", 0),
        )
    return result.to_json()


def feedback_routes(
    source: PredictionLogService | _HasPredictions, *, max_body_bytes: int = MAX_BODY_BYTES
) -> list[Route]:
    """The feedback route, over ``source``'s prediction log (a workspace or the service).

    Example::

        app = Starlette(routes=[*feedback_routes(ws), ...])
    """
    service = source if isinstance(source, PredictionLogService) else source.predictions

    async def post_feedback(request: Request) -> JSONResponse:
        endpoint = str(request.path_params["name"])
        try:
            body = await _read_json(request, max_body_bytes)
            answer = await run_in_threadpool(_call, service, endpoint, body)
        except DriftloopError as error:
            return JSONResponse({"error": error.message, "code": error.code}, _status(error))
        return JSONResponse(answer)

    return [Route("/v1/endpoints/{name}/feedback", post_feedback, methods=["POST"])]
