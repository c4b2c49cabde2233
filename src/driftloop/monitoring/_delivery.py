"""Where alerts go: the log, a webhook (HTTP POST, retried), pipeline triggers.

Delivery happens after the alert row is committed, so a failed delivery never loses
the alert; each attempt's outcome is written back on the alert (``deliveries``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

logger = logging.getLogger("driftloop.alerts")

# alert kind, rule name, alert id, payload -> the trigger events it fired
Notify = Callable[[str, str, str, dict[str, Any]], list[Any]]


@dataclass
class WebhookSender:
    """POSTs JSON with retries: ``attempts`` tries, waiting ``backoff * 2**n`` between.

    ``sleep`` is injected so tests retry without waiting.
    """

    attempts: int = 3
    backoff: float = 0.5
    timeout: float = 5.0
    sleep: Callable[[float], None] = field(default=time.sleep)

    def send(self, url: str, payload: dict[str, Any]) -> dict[str, Any]:
        import httpx

        errors: list[str] = []
        for attempt in range(1, self.attempts + 1):
            try:
                response = httpx.post(url, json=payload, timeout=self.timeout)
                if response.status_code < 300:
                    return {
                        "channel": "webhook",
                        "ok": True,
                        "attempts": attempt,
                        "status": response.status_code,
                        "errors": errors,
                    }
                errors.append(f"HTTP {response.status_code}")
            except httpx.HTTPError as exc:
                errors.append(f"{type(exc).__name__}: {exc}")
            if attempt < self.attempts:
                self.sleep(self.backoff * 2 ** (attempt - 1))
        logger.error("webhook %s failed after %d attempts: %s", url, self.attempts, errors[-1])
        return {"channel": "webhook", "ok": False, "attempts": self.attempts, "errors": errors}


def deliver(
    payload: dict[str, Any],
    webhook: str | None,
    sender: WebhookSender,
    notify: Notify | None,
) -> list[dict[str, Any]]:
    """Send one alert change everywhere it goes; returns what happened on each channel."""
    where = f"{payload['endpoint']} v{payload['model_version']} {payload['route']}"
    # Resolutions at the rule's level too, so whoever sees an alert fire sees it end.
    level = logging.ERROR if payload["severity"] == "critical" else logging.WARNING
    if payload["state"] == "resolved":
        logger.log(
            level,
            "alert %s resolved on %s: %s (it fired on %s = %.4g, window %s)",
            payload["rule"],
            where,
            payload.get("reason") or "back within its threshold",
            payload["metric"],
            payload["value"],
            payload["window_start"],
        )
    else:
        logger.log(
            level,
            "alert %s firing: %s = %.4g (threshold %.4g) on %s, window %s",
            payload["rule"],
            payload["metric"],
            payload["value"],
            payload["threshold"],
            where,
            payload["window_start"],
        )
    outcomes: list[dict[str, Any]] = [{"channel": "log", "ok": True}]
    if webhook:
        outcomes.append(sender.send(webhook, payload))
    if notify is not None and payload["state"] == "firing":
        outcomes.append(_notify(notify, payload))
    return outcomes


def _notify(notify: Notify, payload: dict[str, Any]) -> dict[str, Any]:
    try:
        events = notify("alert", payload["rule"], payload["id"], payload)
    except Exception as exc:  # a trigger failure must not lose the alert
        logger.exception("alert %s: pipeline triggers failed", payload["rule"])
        return {"channel": "trigger", "ok": False, "errors": [f"{type(exc).__name__}: {exc}"]}
    return {"channel": "trigger", "ok": True, "events": [str(getattr(e, "id", e)) for e in events]}
