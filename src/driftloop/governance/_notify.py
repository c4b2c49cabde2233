"""Telling people about approvals where alerts go: the scheduler's log and alert webhooks.

A request that opens, and each decision, is a log line under ``driftloop.scheduler``
(so it shows in `driftloop scheduler`'s log) and a JSON POST to the webhooks of the
alert rules watching the endpoints the request is for or that serve its model, with
the monitoring's sender (retried; an outcome is logged, never raised). A loop's request
is told by the loop's own notifications when it opens; its decisions are told here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from driftloop._serialization import to_jsonable
from driftloop.governance._models import ApprovalRequest
from driftloop.governance._render import request_json
from driftloop.governance._requirements import describe

log = logging.getLogger("driftloop.scheduler.approvals")


class ApprovalNotifier:
    """Called with each approval event: ``requested``, ``approved`` or ``rejected``."""

    def __init__(
        self,
        webhooks: Callable[[ApprovalRequest], Iterable[str]],
        send: Callable[[str, dict[str, Any]], object],
    ) -> None:
        self._webhooks = webhooks
        self._send = send

    def __call__(self, event: str, request: ApprovalRequest) -> None:
        last = request.approvals[-1] if request.approvals and event != "requested" else None
        by = f" by {last.approver} ({last.role or 'no role'})" if last is not None else ""
        missing = request.missing
        still = f"; still needs {describe(missing)}" if missing else ""
        summary = f"{request.ref} {event}{by}: {request.status.value}{still}"
        log.info("approval of %s", summary)
        if event == "requested" and request.episode_id is not None:
            return  # the loop's notifier says "awaiting approval" itself
        body = {"kind": "approval", "event": event, "summary": summary, **request_json(request)}
        payload = to_jsonable(body)
        for url in sorted(set(self._webhooks(request))):
            self._send(url, payload)  # the sender logs a failure; it never raises
