"""The simple JSON API against a real server: records, columns, probabilities, request ids."""

from __future__ import annotations

import httpx
import numpy as np
from tests.serving.conftest import Server, churn_frame


def test_records_and_columns_give_the_models_predictions_and_probabilities(
    served: Server,
) -> None:
    frame, _ = churn_frame()
    rows = frame.head(3)
    model = served.state.workspace.registry.load("churn@1")
    expected = model.predict(rows).tolist()
    proba = model.predict_proba(rows)
    records = rows.to_dict(orient="records")
    by_records = served.client.post("/v1/endpoints/churn/predict", json={"records": records})
    columns = {k: v.tolist() for k, v in rows.items()}
    by_columns = served.client.post("/v1/endpoints/churn/predict", json={"columns": columns})
    for response in (by_records, by_columns):
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["predictions"] == expected
        assert body["classes"] == [0, 1]
        assert np.allclose(body["probabilities"], proba, atol=1e-5)
        assert body["model"] == {"name": "churn", "version": 1}
        assert body["route"] == "primary"
        assert response.headers["x-request-id"] == body["request_id"]


def test_the_callers_request_id_is_kept(served: Server) -> None:
    response = httpx.post(
        f"{served.url}/v1/endpoints/churn/predict",
        json={"records": [{"age": 30.0, "tenure": 2}]},
        headers={"X-Request-ID": "abc-123"},
    )
    assert response.headers["x-request-id"] == "abc-123"
    assert response.json()["request_id"] == "abc-123"


def test_the_onnx_form_is_served_when_the_version_has_one(served: Server) -> None:
    status = served.client.get("/v1/endpoints/churn").json()
    assert status["ready"] is True
    assert status["runtimes"] == {"primary": "onnxruntime"}


def test_an_unknown_endpoint_is_a_404_naming_it(served: Server) -> None:
    response = served.client.post("/v1/endpoints/nope/predict", json={"records": [{}]})
    assert response.status_code == 404
    assert "'nope'" in response.json()["error"]


def test_the_openapi_document_and_docs_are_served(served: Server) -> None:
    document = served.client.get("/openapi.json").json()
    assert document["openapi"].startswith("3.")
    assert "/v2/models/{name}/versions/{version}/infer" in document["paths"]
    own = document["paths"]["/v1/endpoints/churn/predict"]["post"]["requestBody"]
    record = own["content"]["application/json"]["schema"]["properties"]["records"]["items"]
    assert record["required"] == ["age", "tenure"]
    assert record["properties"]["tenure"] == {"type": "integer"}
    docs = served.client.get("/docs")
    assert docs.status_code == 200 and "/openapi.json" in docs.text
