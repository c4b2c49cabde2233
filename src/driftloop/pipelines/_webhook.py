"""Webhook triggers over HTTP: a small Starlette app the scheduler process serves.

``POST /v1/triggers/{name}/fire`` with ``Authorization: Bearer <secret>`` fires the
webhook trigger ``name``; an ``Idempotency-Key`` header makes a retried call return
the first call's event (200) instead of starting again (202). The JSON body, if any,
must be an object; it becomes the event's payload (its ``params`` override the
trigger's). Errors answer 4xx with ``{"error": {"code", "message"}}``, never 5xx for
bad input. Served on 127.0.0.1 by default: put a reverse proxy with TLS in front to
take calls from other machines.
"""

from __future__ import annotations

import json
import threading
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from driftloop._serialization import to_jsonable
from driftloop.errors import (
    AuthenticationError,
    BackendUnavailableError,
    ConflictError,
    DriftloopError,
    InvalidInputError,
    NotFoundError,
)
from driftloop.pipelines._triggers import TriggerService

__all__ = ["WebhookServer", "create_webhook_app"]

MAX_BODY_BYTES = 1 << 20
_STATUS = {
    AuthenticationError: 401,
    NotFoundError: 404,
    ConflictError: 409,
    InvalidInputError: 400,
    BackendUnavailableError: 503,
}


def _error(exc: DriftloopError) -> JSONResponse:
    status = next((code for cls, code in _STATUS.items() if isinstance(exc, cls)), 400)
    return JSONResponse({"error": {"code": exc.code, "message": str(exc)}}, status_code=status)


def _bearer(request: Request) -> str:
    scheme, _, secret = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise AuthenticationError(
            "a webhook call needs the trigger's secret as 'Authorization: Bearer <secret>'"
        )
    return secret.strip()


async def _payload(request: Request) -> dict[str, Any]:
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        raise InvalidInputError(f"the body is over {MAX_BODY_BYTES} bytes; send a smaller one")
    if not body.strip():
        return {}
    try:
        value = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise InvalidInputError(
            "the body is not valid JSON; send a JSON object or nothing"
        ) from None
    if not isinstance(value, dict):
        raise InvalidInputError(f"the body must be a JSON object, got {type(value).__name__}")
    return value


def create_webhook_app(triggers: TriggerService) -> Starlette:
    """The webhook app over ``triggers`` (the scheduler's trigger service)."""

    async def fire(request: Request) -> JSONResponse:
        try:
            secret = _bearer(request)
            payload = await _payload(request)
            key = request.headers.get("idempotency-key")
            event = await run_in_threadpool(
                triggers.fire_webhook, request.path_params["name"], secret, key, payload
            )
        except DriftloopError as exc:
            return _error(exc)
        return JSONResponse({"event": to_jsonable(event)}, status_code=202 if event.is_new else 200)

    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok", "claimant": triggers.claimant})

    return Starlette(
        routes=[
            Route("/v1/triggers/{name}/fire", fire, methods=["POST"]),
            Route("/healthz", health, methods=["GET"]),
        ]
    )


class WebhookServer:
    """Serves an app with uvicorn in a thread of the scheduler process; port 0 picks one.

    Example::

        server = WebhookServer(create_webhook_app(triggers), port=0).start()
        server.url   # 'http://127.0.0.1:53211'
        server.stop()
    """

    def __init__(self, app: Starlette, *, host: str = "127.0.0.1", port: int = 8787) -> None:
        config = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="off")
        self._server = uvicorn.Server(config)
        # uvicorn installs no signal handlers off the main thread: the scheduler keeps them.
        self._thread = threading.Thread(target=self._server.run, name="webhooks", daemon=True)
        self.host = host
        self.port = port

    def start(self, timeout_s: float = 10.0) -> WebhookServer:
        self._thread.start()
        waited = threading.Event()
        while not self._server.started and self._thread.is_alive():
            waited.wait(0.02)
            timeout_s -= 0.02
            if timeout_s <= 0:
                break
        if not self._server.started:
            self.stop()
            raise BackendUnavailableError(
                f"the webhook server could not listen on {self.host}:{self.port}; "
                "is the port taken? give another with --webhook-port (0 picks a free one)"
            )
        self.port = self._server.servers[0].sockets[0].getsockname()[1]
        return self

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def stop(self, timeout_s: float = 10.0) -> None:
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout_s)
