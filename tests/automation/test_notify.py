"""Loop decisions go where the alerts that trigger the loop go: a real webhook receiver."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from driftloop.automation import parse_policy
from driftloop.automation._scheduling import AlertChannelsNotifier
from driftloop.monitoring._delivery import WebhookSender


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[dict[str, object]]]]:
    received: list[dict[str, object]] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append(json.loads(body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", received
    server.shutdown()
    server.server_close()
    thread.join()


def test_a_decision_is_posted_to_the_webhooks_of_the_policy_s_alert_rules(
    receiver: tuple[str, list[dict[str, object]]],
) -> None:
    url, received = receiver
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
