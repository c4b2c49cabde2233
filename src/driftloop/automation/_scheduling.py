"""How the loop runs unattended: a trigger target and a scheduler job.

A fired trigger with ``target_kind="loop"`` opens an episode of its target endpoint; the
``loop`` job carries every open episode on at each scheduler tick. Both go through the
workspace's :class:`LoopService`, so `driftloop loop run-once` does exactly what the
scheduler does.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from driftloop.automation._policy import LoopPolicy
from driftloop.automation._service import LoopService
from driftloop.monitoring._delivery import WebhookSender
from driftloop.pipelines._trigger_models import Trigger, TriggerEvent

# A child of the scheduler's logger: loop decisions show in the scheduler's log.
log = logging.getLogger("driftloop.scheduler.loop")


class LoopTarget:
    """Target kind ``loop``: the trigger's target is the endpoint whose loop it starts."""

    def __init__(self, loop: LoopService) -> None:
        self._loop = loop

    def start(self, trigger: Trigger, event: TriggerEvent) -> str | None:
        cause: dict[str, Any] = {
            "kind": trigger.kind.value,
            "source": trigger.source,
            "trigger": trigger.name,
            "event_key": event.event_key,
            "payload": event.payload,
        }
        episode = self._loop.on_trigger(trigger.target, cause)
        return None if episode is None else episode.id


class LoopJob:
    name = "loop"

    def __init__(self, loop: LoopService) -> None:
        self._loop = loop

    def tick(self, now: datetime) -> None:
        for episode in self._loop.tick(now):
            log.info("loop of %s: episode %s is %s", episode.endpoint, episode.id, episode.state)


class AlertChannelsNotifier:
    """Loop decisions go where the alerts that trigger the loop go: the scheduler's log,
    and the webhook of each alert rule the endpoint's policy listens to."""

    def __init__(
        self,
        policy_of: Callable[[str], LoopPolicy],
        webhooks: Callable[[], dict[str, str]],
        sender: WebhookSender | None = None,
    ) -> None:
        self._policy_of = policy_of
        self._webhooks = webhooks
        self._sender = sender or WebhookSender()

    def notify(self, endpoint: str, kind: str, summary: str) -> None:
        log.info("loop of %s: %s: %s", endpoint, kind, summary)
        rules = {t.source for t in self._policy_of(endpoint).triggers if t.kind == "alert"}
        urls = {url for rule, url in self._webhooks().items() if rule in rules}
        payload = {"kind": "loop", "endpoint": endpoint, "decision": kind, "summary": summary}
        for url in sorted(urls):
            self._sender.send(url, payload)  # outcome logged by the sender; never raises
