"""A bounded load test: canary added, reweighted, promoted and rolled back under traffic."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import httpx
import pytest
from tests.serving.conftest import Server, log_churn_model, running

import driftloop as dl
from driftloop.serving import ServeSettings
from driftloop.serving._app import create_app

REQUESTS = 3000
CLIENTS = 6


@pytest.fixture
def three(sqlite_workspace: dl.Workspace) -> Iterator[Server]:
    for c in (1.0, 0.01, 100.0):
        log_churn_model(sqlite_workspace, c)
    sqlite_workspace.serving.deploy("churn", "churn@1")
    app = create_app(sqlite_workspace, ServeSettings(poll_interval_s=0.01))
    with running(app) as server:
        yield server


@pytest.mark.slow
def test_no_request_fails_and_each_answer_comes_from_a_route_of_its_deployment(
    three: Server, sqlite_workspace: dl.Workspace
) -> None:
    answers: list[list[tuple[int, int, str]]] = [[] for _ in range(CLIENTS)]
    failures: list[str] = []
    progress = threading.Condition()

    def client(index: int) -> None:
        with httpx.Client(base_url=three.url, timeout=30) as http:
            for i in range(REQUESTS // CLIENTS):
                body = {"records": [{"age": 20.0 + i % 50, "tenure": i % 10}]}
                response = http.post("/v1/endpoints/churn/predict", json=body)
                if response.status_code != 200:
                    failures.append(f"{response.status_code} {response.text}")
                    continue
                got = response.json()
                answers[index].append(
                    (got["deployment_version"], got["model"]["version"], got["route"])
                )
                with progress:
                    progress.notify_all()

    def answered() -> int:
        return sum(map(len, answers)) + len(failures)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    serving = sqlite_workspace.serving
    # Changes made through the store, as another process would: servers poll for them.
    steps = [
        lambda: serving.update("churn", canary="churn@2", canary_weight=0.2),
        lambda: serving.update("churn", canary_weight=0.7),
        lambda: serving.promote_canary("churn"),
        lambda: serving.update("churn", canary="churn@3", canary_weight=0.5),
        lambda: serving.rollback("churn"),
        lambda: serving.rollback("churn"),
    ]
    for number, step in enumerate(steps, 1):
        # Each change lands at its share of the traffic, whatever the machine's speed.
        due = number * REQUESTS // (len(steps) + 1)
        with progress:
            progress.wait_for(lambda due=due: answered() >= due, 60)
        step()
    for thread in threads:
        thread.join(120)

    assert failures == []
    assert sum(map(len, answers)) == REQUESTS // CLIENTS * CLIENTS
    routes = {
        d.version: {(r.model_version, r.kind.value) for r in (d.primary, d.canary) if r}
        for d in serving.history("churn")
    }
    seen_versions = set()
    for per_client in answers:
        for deployment, model, route in per_client:
            assert (model, route) in routes[deployment], (deployment, model, route)
            seen_versions.add(deployment)
        order = [deployment for deployment, _, _ in per_client]
        assert order == sorted(order)  # a server never goes back to an older deployment
    assert len(seen_versions) >= 4  # the changes really happened during the traffic
