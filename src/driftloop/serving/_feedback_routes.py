"""``POST /v1/endpoints/{name}/feedback``: ground-truth labels over HTTP.

The server mounts :func:`feedback_routes` in its app. Bodies::

    {"request_id": "5f2c...", "label": 1}                        one label (row 0)
    {"request_id": "5f2c...", "row_index": 3, "label": 1}        one row of a batch request
    {"labels": [{"request_id": "...", "row_index": 0, "label": 1}, ...]}   in bulk

Answer 200 ``{"endpoint", "accepted", "unknown_request_ids"}``; a malformed or invalid
body is a 400 (413 when too large, 408 when too slow) naming the field, and nothing is
stored. Statuses come from the server's one table (``_errors.STATUS_BY_ERROR``).
"""

from __future__ import annotations

import json
from typing import Any, Protocol

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from driftloop.errors import DriftloopError, InvalidInputError
from driftloop.serving._errors import PayloadTooLargeError
from driftloop.serving._feedback import MAX_LABELS_PER_CALL
from driftloop.serving._http import error_response, json_response, read_body, request_id
from driftloop.serving._log_reader import PredictionLogService

MAX_BODY_BYTES = 32 * 1024 * 1024  # room for MAX_LABELS_PER_CALL labels of long ids
BODY_TIMEOUT_S = 10.0
_FIELDS = {"request_id", "label", "row_index", "labels"}


class _HasPredictions(Protocol):
    @property
    def predictions(self) -> PredictionLogService: ...


async def _read_json(request: Request, limit: int, timeout: float) -> dict[str, Any]:
    try:
        body = await read_body(request, limit, timeout)
    except PayloadTooLargeError:
        raise PayloadTooLargeError(
            f"the body is over {limit} bytes; send labels in smaller batches"
        ) from None
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
    source: PredictionLogService | _HasPredictions,
    *,
    max_body_bytes: int = MAX_BODY_BYTES,
    body_timeout_s: float = BODY_TIMEOUT_S,
) -> list[Route]:
    """The feedback route, over ``source``'s prediction log (a workspace or the service).

    A body over ``max_body_bytes`` is a 413, one slower than ``body_timeout_s`` a 408.

    Example::

        app = Starlette(routes=[*feedback_routes(ws), ...])
    """
    service = source if isinstance(source, PredictionLogService) else source.predictions

    async def post_feedback(request: Request) -> Response:
        endpoint = str(request.path_params["name"])
        rid = request_id(request)
        try:
            body = await _read_json(request, max_body_bytes, body_timeout_s)
            answer = await run_in_threadpool(_call, service, endpoint, body)
        except DriftloopError as error:
            return error_response(error, rid)
        return json_response(answer, 200, rid)

    return [Route("/v1/endpoints/{name}/feedback", post_feedback, methods=["POST"])]
