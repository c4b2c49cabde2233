"""Shadow routes and entity keys, on a real server with the real prediction log."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest
from tests.serving.conftest import Server, log_churn_model, running

import driftloop as dl
from driftloop.serving import ServeSettings
from driftloop.serving._app import create_app

ROW = {"records": [{"age": 30.0, "tenure": 2}]}


@pytest.fixture
def shadowed(sqlite_workspace: dl.Workspace) -> Iterator[Server]:
    from sklearn.linear_model import LogisticRegression

    log_churn_model(sqlite_workspace, 1.0)
    log_churn_model(sqlite_workspace, 0.01)
    # A shadow that takes other columns: it fails on every request the primary answers.
    frame = pd.DataFrame({"plan": [0.0, 1.0] * 10, "age": np.arange(20.0)})
    run_id = sqlite_workspace.tracking.create_run("other")
    sqlite_workspace.registry.log_model(
        run_id,
        LogisticRegression().fit(frame, [0, 1] * 10),
        "other",
        register=True,
        input_example=frame.head(),
    )
    app = create_app(sqlite_workspace, ServeSettings(poll_interval_s=0.02))
    with running(app) as server:
        yield server


def test_a_shadow_answer_is_logged_never_returned(
    shadowed: Server, sqlite_workspace: dl.Workspace
) -> None:
    made = shadowed.client.put(
        "/v1/endpoints/churn/deployment", json={"primary": "churn@1", "shadow": "churn@2"}
    )
    assert made.status_code == 200
    answers = [shadowed.client.post("/v1/endpoints/churn/predict", json=ROW) for _ in range(5)]
    assert {(a.status_code, a.json()["route"], a.json()["model"]["version"]) for a in answers} == {
        (200, "primary", 1)
    }
    assert shadowed.state.log_writer.flush(30)
    log = sqlite_workspace.predictions.relation("churn").df()
    by_route = log.groupby("route")["request_id"].apply(set)
    assert by_route["shadow"] == by_route["primary"] == {a.json()["request_id"] for a in answers}
    assert set(log.loc[log.route == "shadow", "model_version"]) == {2}


def test_a_failing_shadow_never_reaches_the_caller(shadowed: Server) -> None:
    shadowed.client.put(
        "/v1/endpoints/churn/deployment", json={"primary": "churn@1", "shadow": "other@1"}
    )
    answer = shadowed.client.post("/v1/endpoints/churn/predict", json=ROW)
    assert answer.status_code == 200 and answer.json()["route"] == "primary"
    metrics = shadowed.client.get("/metrics").text
    assert 'model="other",model_version="1",route="shadow",status="400"' in metrics


@pytest.fixture
def with_features(sqlite_workspace: dl.Workspace) -> Iterator[Server]:
    from sklearn.linear_model import LogisticRegression

    planes = pd.DataFrame({"tailnum": ["N1", "N2", "N3"], "seats": [100.0, 200.0, 300.0]})
    dl.log_dataset("planes", planes)
    plane = dl.Entity("plane", ["tailnum"])
    dl.apply_features(
        [
            dl.FeatureView(
                "planes", entities=[plane], source="planes", features=[dl.Feature("seats")]
            )
        ]
    )
    dl.materialize_features()
    train = pd.DataFrame({"seats": [100.0, 300.0] * 10, "age": np.arange(20.0)})
    run_id = sqlite_workspace.tracking.create_run("delays")
    sqlite_workspace.registry.log_model(
        run_id,
        LogisticRegression().fit(train, [0, 1] * 10),
        "delays",
        register=True,
        input_example=train.head(),
    )
    sqlite_workspace.serving.deploy("delays", "delays@1", features=["planes:seats"])
    with running(create_app(sqlite_workspace, ServeSettings())) as server:
        yield server


def test_entity_keys_bring_their_features_from_the_online_store(with_features: Server) -> None:
    by_keys = with_features.client.post(
        "/v1/endpoints/delays/predict",
        json={
            "entities": [{"tailnum": "N1"}, {"tailnum": "N3"}],
            "records": [{"age": 3.0}, {"age": 4.0}],
        },
    )
    by_features = with_features.client.post(
        "/v1/endpoints/delays/predict",
        json={"records": [{"seats": 100.0, "age": 3.0}, {"seats": 300.0, "age": 4.0}]},
    )
    assert by_keys.status_code == 200, by_keys.text
    assert by_keys.json()["probabilities"] == by_features.json()["probabilities"]
    missing = with_features.client.post(
        "/v1/endpoints/delays/predict",
        json={"entities": [{"tailnum": "N9"}], "records": [{"age": 3.0}]},
    )
    assert missing.status_code == 400
    assert "column 'seats' row 0: null is not allowed" in missing.json()["error"]
