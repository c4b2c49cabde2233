"""Small HTTP helpers of the server: bounded body reads, request ids, JSON responses."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from driftloop.errors import DriftloopError
from driftloop.serving._errors import PayloadTooLargeError, RequestTimeoutError, status_of

REQUEST_ID = "x-request-id"
_MAX_ID = 128


async def read_body(request: Request, limit: int, timeout: float) -> bytes:
    """The whole body, refused past ``limit`` bytes or when it takes longer than ``timeout``."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLargeError(
            f"the request body is {declared} bytes; this server takes at most {limit} "
            "(ServeSettings.max_body_bytes, `driftloop serve --max-body-bytes`)"
        )
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(timeout):
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise PayloadTooLargeError(
                        f"the request body is over {limit} bytes, the most this server takes"
                    )
                chunks.append(chunk)
    except TimeoutError:
        raise RequestTimeoutError(
            f"the request body did not arrive within {timeout:g} s (got {size} bytes)"
        ) from None
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def request_id(request: Request) -> str:
    given = request.headers.get(REQUEST_ID)
    if given and len(given) <= _MAX_ID and given.isprintable():
        return given
    return uuid.uuid4().hex


_OPTIONS = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS


def json_response(content: Any, status: int = 200, rid: str | None = None) -> Response:
    """JSON of ``content`` (NumPy arrays as lists; NaN as null, which JSON has no word for)."""
    body = orjson.dumps(content, default=str, option=_OPTIONS)
    headers = {REQUEST_ID: rid} if rid else None
    return Response(body, status, headers, media_type="application/json")


def error_response(error: DriftloopError, rid: str | None = None) -> Response:
    status = status_of(error)
    body: dict[str, Any] = {"error": error.message, "code": error.code}
    if rid is not None:
        body["request_id"] = rid
    response = json_response(body, status, rid)
    if status == 408:
        response.headers["connection"] = "close"
    return response
