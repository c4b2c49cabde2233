"""Alert rules: N windows in a row, deduplicated, resolved, delivered to a real webhook."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest

import driftloop as dl
from driftloop.errors import InvalidInputError
from driftloop.monitoring import AlertRule, MonitorSpec, WebhookSender

from .conftest import DAY0, World, flights


class Receiver:
    """An HTTP server on 127.0.0.1 answering 500 to its first ``failures`` POSTs."""

    def __init__(self, failures: int) -> None:
        self.failures, self.bodies, self.statuses = failures, [], []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                status = 500 if receiver.failures > 0 else 200
                receiver.failures -= 1
                receiver.statuses.append(status)
                if status == 200:
                    receiver.bodies.append(json.loads(body))
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"

    def __enter__(self) -> Receiver:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver(failures=1) as r:
        yield r


def _day(world: World, day: int, summer: bool) -> None:
    world.write(world.predict_records(flights(300, world.rng, summer), day))


def test_alert_fires_after_n_windows_once_retries_the_webhook_and_resolves(
    world: World, receiver: Receiver
) -> None:
    service = world.ws.monitoring
    waits: list[float] = []
    service.webhooks = WebhookSender(sleep=waits.append)
    service.define("daily", MonitorSpec("flights", window="1d"))
    service.define_alert(
        AlertRule(
            "summer-drift",
            "daily",
            "drift.share",
            0.5,
            for_windows=2,
            severity="critical",
            webhook=receiver.url,
        )
    )
    for day, summer in ((0, False), (1, True)):
        _day(world, day, summer)
    service.run_due(DAY0 + timedelta(days=2))
    assert service.alerts() == []  # one drifting window is not two in a row
    _day(world, 2, True)
    service.run_due(DAY0 + timedelta(days=3))
    [alert] = service.alerts()
    assert alert.state == "firing" and alert.severity == "critical" and alert.value == 1.0
    assert receiver.statuses == [500, 200] and waits == [0.5]  # failed once, retried
    assert receiver.bodies[0]["id"] == alert.id and receiver.bodies[0]["state"] == "firing"
    webhook = next(o for o in alert.deliveries[0]["outcomes"] if o["channel"] == "webhook")
    assert webhook["ok"] and webhook["attempts"] == 2
    _day(world, 3, True)
    service.run_due(DAY0 + timedelta(days=4))
    assert len(service.alerts()) == 1  # still firing: deduplicated, not sent again
    assert len(receiver.bodies) == 1
    _day(world, 4, False)
    service.run_due(DAY0 + timedelta(days=5))
    [resolved] = service.alerts()
    assert resolved.state == "resolved" and resolved.resolved_at == DAY0 + timedelta(days=5)
    assert receiver.bodies[-1]["state"] == "resolved"
    assert "no longer breaches 0.5" in receiver.bodies[-1]["reason"]
    assert service.status()[0]["firing"] == []


def test_the_alert_of_a_version_no_longer_served_resolves_after_three_windows(
    world: World,
) -> None:
    service = world.ws.monitoring
    service.define("daily", MonitorSpec("flights", window="1d"))
    service.define_alert(AlertRule("summer-drift", "daily", "drift.share", 0.5, for_windows=2))
    for day, summer in ((0, True), (1, True)):
        _day(world, day, summer)
    service.run_due(DAY0 + timedelta(days=2))
    [alert] = service.alerts()
    assert alert.model_version == 1 and alert.state == "firing"
    with dl.start_run(experiment="delays"):
        dl.log_dataset("flights-train", world.ws.datasets.get(world.train_ref).to_pandas())
        dl.log_model(world.model, name="delays", register=True)  # version 2
    for day in (2, 3, 4):  # version 2 replaced version 1: its series stops
        world.write(world.predict_records(flights(300, world.rng), day, version=2))
        service.run_due(DAY0 + timedelta(days=day + 1))
        [alert] = service.alerts()
        assert alert.state == ("firing" if day < 4 else "resolved"), day
    assert alert.resolved_at == DAY0 + timedelta(days=5)
    assert alert.deliveries[-1]["reason"].startswith("no window of v1 primary since 2026-")
    assert service.status()[0]["firing"] == []


def test_webhook_gives_up_after_its_attempts_and_keeps_the_alert() -> None:
    with Receiver(failures=5) as receiver:
        outcome = WebhookSender(attempts=3, sleep=lambda s: None).send(receiver.url, {"a": 1})
    assert outcome["ok"] is False and outcome["attempts"] == 3
    assert outcome["errors"] == ["HTTP 500"] * 3


def test_rules_are_checked() -> None:
    with pytest.raises(InvalidInputError, match="severity 'loud'"):
        AlertRule("r", "m", "accuracy", 0.8, severity="loud")
    with pytest.raises(InvalidInputError, match="http"):
        AlertRule("r", "m", "accuracy", 0.8, webhook="ftp://x")
    assert AlertRule("r", "m", "accuracy", 0.8, above=False).breached(0.7)
