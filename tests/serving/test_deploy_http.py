"""Deployments reach running servers: REST changes, hot pickup, rollback, integrity."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import httpx
import pytest
from tests.serving.conftest import Server, log_churn_model, running, tamper

import driftloop as dl
from driftloop.serving import ServeSettings
from driftloop.serving._app import create_app

ROW = {"records": [{"age": 30.0, "tenure": 2}]}


@pytest.fixture
def two(sqlite_workspace: dl.Workspace) -> Iterator[Server]:
    log_churn_model(sqlite_workspace, 1.0)
    log_churn_model(sqlite_workspace, 0.01)
    sqlite_workspace.serving.deploy("churn", "churn@1")
    app = create_app(sqlite_workspace, ServeSettings(poll_interval_s=0.02))
    with running(app) as server:
        yield server


def _version(server: Server, **kwargs: object) -> int:
    response = server.client.post("/v1/endpoints/churn/predict", json=ROW, **kwargs)
    assert response.status_code == 200, response.text
    return int(response.json()["model"]["version"])


def test_a_deployment_made_elsewhere_is_picked_up_without_a_restart(
    two: Server, sqlite_workspace: dl.Workspace
) -> None:
    assert _version(two) == 1
    sqlite_workspace.serving.deploy("churn", "churn@2")
    deadline = time.monotonic() + 10
    seen = []
    while time.monotonic() < deadline:
        seen.append(_version(two))  # every request in between succeeds
        if seen[-1] == 2:
            break
    assert seen[-1] == 2 and set(seen) <= {1, 2}


def test_a_request_is_answered_by_the_deployment_it_arrived_under(
    two: Server, sqlite_workspace: dl.Workspace
) -> None:
    # Each handler takes one snapshot of its endpoint when the request arrives; a swap
    # while the body is still coming must not answer it from the next deployment.
    release = threading.Event()
    bodies = {
        "/v1/endpoints/churn/predict": (b'{"records": [{"age": 30.0, ', b'"tenure": 2}]}'),
        "/v2/models/churn/infer": (
            b'{"inputs": [{"name": "age", "shape": [1], "datatype": "FP64", "data": [30.0]}, ',
            b'{"name": "tenure", "shape": [1], "datatype": "INT64", "data": [2]}]}',
        ),
    }
    answers: dict[str, httpx.Response] = {}
    started = threading.Semaphore(0)

    def send(path: str) -> None:
        def body() -> Iterator[bytes]:
            yield bodies[path][0]
            started.release()  # the headers and the first chunk are out
            release.wait(30)
            yield bodies[path][1]

        with httpx.Client(base_url=two.url, timeout=60) as client:
            answers[path] = client.post(path, content=body())

    senders = [threading.Thread(target=send, args=(path,)) for path in bodies]
    for sender in senders:
        sender.start()
    for _ in senders:
        assert started.acquire(timeout=30)
    time.sleep(0.2)  # the server has read the headers and called the handlers
    sqlite_workspace.serving.deploy("churn", "churn@2")
    deadline = time.monotonic() + 30
    while two.state.runtime.states["churn"].deployment.version != 2:
        assert time.monotonic() < deadline, "the server did not pick up deployment 2"
        time.sleep(0.02)
    release.set()
    for sender in senders:
        sender.join(60)
    simple, v2 = answers["/v1/endpoints/churn/predict"], answers["/v2/models/churn/infer"]
    assert simple.status_code == v2.status_code == 200, (simple.text, v2.text)
    assert (simple.json()["deployment_version"], simple.json()["model"]["version"]) == (1, 1)
    assert v2.json()["model_version"] == "1"
    assert _version(two) == 2  # a request arriving after the swap gets the new one


def test_the_rest_api_deploys_changes_promotes_and_rolls_back(two: Server) -> None:
    base = "/v1/endpoints/churn"
    user = {"X-Driftloop-User": "ana"}
    made = two.client.put(
        f"{base}/deployment",
        json={"primary": "churn@1", "canary": "churn@2", "canary_weight": 1.0},
        headers=user,
    )
    assert made.status_code == 200, made.text
    assert made.json()["created_by"] == "ana"
    assert _version(two) == 2  # the server that took the change serves it at once
    reweighted = two.client.patch(f"{base}/deployment", json={"canary_weight": 0.0})
    assert reweighted.json()["canary_weight"] == 0.0 and _version(two) == 1
    promoted = two.client.post(f"{base}/promote")
    assert promoted.json()["primary"]["version"] == 2 and _version(two) == 2
    back = two.client.post(f"{base}/rollback")
    assert back.json()["action"] == "rollback" and _version(two) == 1
    history = two.client.get(f"{base}/history").json()["history"]
    assert [h["action"] for h in history] == ["deploy", "deploy", "deploy", "promote", "rollback"]
    bad = two.client.patch(f"{base}/deployment", json={"canary_weight": "lots"})
    assert bad.status_code == 400 and "canary_weight" in bad.json()["error"]
    unknown = two.client.put(f"{base}/deployment", json={"primary": "churn@1", "color": "red"})
    assert unknown.status_code == 400 and "color" in unknown.json()["error"]
    missing = two.client.put(f"{base}/deployment", json={"primary": "churn@7"})
    assert missing.status_code == 404 and "no version 7" in missing.json()["error"]


def test_a_sticky_key_keeps_one_caller_on_one_model(two: Server) -> None:
    base = "/v1/endpoints/churn"
    two.client.put(
        f"{base}/deployment",
        json={
            "primary": "churn@1",
            "canary": "churn@2",
            "canary_weight": 0.5,
            "sticky_key": "X-User",
        },
    )
    for user in ("u1", "u2", "u3", "u4", "u5", "u6"):
        versions = {_version(two, headers={"X-User": user}) for _ in range(5)}
        assert len(versions) == 1
    spread = {_version(two, headers={"X-User": f"user-{i}"}) for i in range(40)}
    assert spread == {1, 2}


def test_a_model_failing_its_integrity_check_is_never_served(
    sqlite_workspace: dl.Workspace,
) -> None:
    good = log_churn_model(sqlite_workspace, 1.0, onnx=False)
    bad = log_churn_model(sqlite_workspace, 0.01, onnx=False)
    tamper(sqlite_workspace, bad)
    sqlite_workspace.serving.deploy("churn", good.ref)
    sqlite_workspace.serving.deploy("other", bad.ref)
    with running(create_app(sqlite_workspace, ServeSettings(poll_interval_s=0.02))) as server:
        refused = server.client.post("/v1/endpoints/other/predict", json=ROW)
        assert refused.status_code == 503
        assert "not ready" in refused.json()["error"] and "changed" in refused.json()["error"]
        ready = server.client.get("/v2/models/other/ready")
        assert ready.status_code == 400 and ready.json()["ready"] is False
        # A bad change of a serving endpoint is not applied: the verified model goes on.
        made = server.client.put("/v1/endpoints/churn/deployment", json={"primary": bad.ref})
        assert made.status_code == 200
        assert _version(server) == good.version
        status = server.client.get("/v1/endpoints/churn").json()
        assert status["ready"] is True and "could not be loaded" in status["problem"]
        assert server.client.get("/health").json()["status"] == "degraded"  # other
