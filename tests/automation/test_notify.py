"""Loop decisions go where the alerts that trigger the loop go: a real webhook receiver."""

from __future__ import annotations

from driftloop.automation import parse_policy
from driftloop.automation._scheduling import AlertChannelsNotifier
from driftloop.monitoring._delivery import WebhookSender


def test_a_decision_is_posted_to_the_webhooks_of_the_policy_s_alert_rules(
    webhook_receiver: tuple[str, list[dict[str, object]]],
) -> None:
    url, received = webhook_receiver
    policy = parse_policy(
        {
            "endpoint": "flights",
            "model": "m",
            "pipeline": "p:q",
            "triggers": [{"alert": "drift"}, {"schedule": "0 3 * * *"}],
        }
    )
    webhooks = {"drift": url, "other-rule": "http://127.0.0.1:9/never"}
    notifier = AlertChannelsNotifier(
        lambda endpoint: policy, lambda: webhooks, WebhookSender(sleep=lambda s: None)
    )
    notifier.notify("flights", "promoted", "promoted version 2")
    assert received == [
        {
            "kind": "loop",
            "endpoint": "flights",
            "decision": "promoted",
            "summary": "promoted version 2",
        }
    ]
