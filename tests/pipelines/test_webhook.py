"""Webhook triggers over a real socket: uvicorn on 127.0.0.1 port 0, called with httpx."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

import driftloop as dl
from driftloop.pipelines import Scheduler
from driftloop.pipelines._webhook import WebhookServer, create_webhook_app

from ._trigger_fixtures import Clock, Recorder


@pytest.fixture
def served(
    workspace: dl.Workspace, clock: Clock, recorder: Recorder
) -> Iterator[tuple[httpx.Client, str]]:
    scheduler = Scheduler(workspace, clock=clock, jobs=[])
    secret = scheduler.triggers.define(
        "deploy-hook", kind="webhook", target_kind="record", target="t", params={"days": 3}
    ).secret
    assert secret is not None
    server = WebhookServer(create_webhook_app(scheduler.triggers), port=0).start()
    try:
        with httpx.Client(base_url=server.url, timeout=10) as client:
            yield client, secret
    finally:
        server.stop()


def test_a_call_with_the_secret_fires_once_per_idempotency_key(
    served: tuple[httpx.Client, str], recorder: Recorder
) -> None:
    client, secret = served
    auth = {"Authorization": f"Bearer {secret}", "Idempotency-Key": "push-99"}
    first = client.post("/v1/triggers/deploy-hook/fire", headers=auth, json={"params": {"days": 9}})
    again = client.post("/v1/triggers/deploy-hook/fire", headers=auth, json={"params": {"days": 9}})
    assert first.status_code == 202 and again.status_code == 200
    assert first.json()["event"]["id"] == again.json()["event"]["id"]
    assert first.json()["event"]["status"] == "fired"
    assert recorder.starts == [("deploy-hook", "push-99", {"params": {"days": 9}})]
    no_key = client.post(
        "/v1/triggers/deploy-hook/fire", headers={"Authorization": auth["Authorization"]}
    )
    assert no_key.status_code == 202 and len(recorder.starts) == 2


@pytest.mark.parametrize(
    ("headers", "body", "status", "message"),
    [
        ({}, b"", 401, "Authorization: Bearer"),
        ({"Authorization": "Bearer wrong-secret-wrong-secret"}, b"", 401, "wrong secret"),
        ({"Authorization": "Basic abc"}, b"", 401, "Authorization: Bearer"),
        (None, b"{not json", 400, "not valid JSON"),
        (None, b"[1, 2]", 400, "must be a JSON object"),
    ],
)
def test_a_bad_call_is_refused_with_4xx_and_fires_nothing(
    served: tuple[httpx.Client, str],
    recorder: Recorder,
    headers: dict[str, str] | None,
    body: bytes,
    status: int,
    message: str,
) -> None:
    client, secret = served
    sent = {"Authorization": f"Bearer {secret}"} if headers is None else headers
    answer = client.post("/v1/triggers/deploy-hook/fire", headers=sent, content=body)
    assert answer.status_code == status
    assert message in answer.json()["error"]["message"]
    assert recorder.starts == []


def test_an_unknown_trigger_and_a_wrong_secret_answer_alike(
    served: tuple[httpx.Client, str],
) -> None:
    client, secret = served
    answer = client.post("/v1/triggers/nope/fire", headers={"Authorization": f"Bearer {secret}"})
    assert answer.status_code == 401
    assert client.get("/healthz").json()["status"] == "ok"
