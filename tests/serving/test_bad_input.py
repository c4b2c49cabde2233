"""Bad input never hurts the server: a 4xx whose message names the field, never a 5xx."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import httpx
import numpy as np
import pandas as pd
import pytest
from tests.serving.conftest import Server, churn_frame, running

import driftloop as dl
from driftloop.serving import ServeSettings
from driftloop.serving._app import create_app

PREDICT = "/v1/endpoints/churn/predict"
INFER = "/v2/models/churn/infer"
AGE = {"name": "age", "shape": [1], "datatype": "FP64", "data": [30.0]}
TENURE = {"name": "tenure", "shape": [1], "datatype": "INT64", "data": [2]}


@pytest.mark.parametrize(
    ("body", "status", "names"),
    [
        ({"records": [{"age": "old", "tenure": 2}]}, 400, "column 'age' row 0"),
        ({"records": [{"age": 30.0}]}, 400, "missing column 'tenure'"),
        ({"records": [{"age": 30.0, "tenure": 2, "plan": "pro"}]}, 400, "unexpected column 'plan'"),
        ({"records": [{"age": None, "tenure": 2}]}, 400, "column 'age' row 0: null"),
        ({"records": [{"age": 30.0, "tenure": 2.5}]}, 400, "column 'tenure' row 0"),
        ({"records": [{"age": 30.0, "tenure": True}]}, 400, "column 'tenure' row 0"),
        ({"records": [{"age": 1.0, "tenure": 1}, {"age": 2.0}]}, 400, "records[1] has no 'tenure'"),
        ({"columns": {"age": [1.0, 2.0], "tenure": [1]}}, 400, "columns.tenure has 1 values"),
        ({"rows": []}, 400, "unexpected field 'rows'"),
        ({}, 400, "needs one of records"),
        ([1, 2], 400, "must be a JSON object"),
        ({"records": []}, 400, "'records' must be a non-empty list"),
    ],
)
def test_bad_json_api_input_is_a_400_naming_the_field(
    served: Server, body: object, status: int, names: str
) -> None:
    response = served.client.post(PREDICT, json=body)
    assert response.status_code == status
    assert names in response.json()["error"]


def test_nan_where_the_model_saw_none_is_refused(served: Server) -> None:
    response = httpx.post(
        served.url + PREDICT,
        content=b'{"records": [{"age": NaN, "tenure": 2}]}',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 400
    assert "column 'age' row 0: NaN is not allowed" in response.json()["error"]
    infinite = httpx.post(
        served.url + PREDICT, content=b'{"records": [{"age": Infinity, "tenure": 2}]}'
    )
    assert infinite.status_code == 400 and "not finite" in infinite.json()["error"]


@pytest.mark.parametrize(
    ("content", "names"),
    [
        (b'{"records": [', "malformed JSON at line 1 column 14"),
        (b"", "body is empty"),
        (b'{"a": "\xff"}', "not UTF-8"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    ],
)
def test_malformed_bodies_are_a_400(served: Server, content: bytes, names: str) -> None:
    response = served.client.post(PREDICT, content=content)
    assert response.status_code == 400
    assert names in response.json()["error"]


@pytest.mark.parametrize(
    ("body", "names"),
    [
        (
            {"inputs": [{"name": "age", "shape": [2], "datatype": "FP64", "data": [1.0]}]},
            "input 'age': its shape needs 2 values, data has 1",
        ),
        (
            {"inputs": [{"name": "age", "shape": [1], "datatype": "FP99", "data": [1.0]}]},
            "datatype 'FP99'",
        ),
        (
            {
                "inputs": [
                    {"name": "age", "shape": [1], "datatype": "FP64", "data": ["x"]},
                    {"name": "tenure", "shape": [1], "datatype": "INT64", "data": [1]},
                ]
            },
            "input 'age': FP64 data cannot hold \"x\"",
        ),
        (
            {
                "inputs": [
                    {"name": "age", "shape": [1], "datatype": "BYTES", "data": ["x"]},
                    {"name": "tenure", "shape": [1], "datatype": "INT64", "data": [1]},
                ]
            },
            "input 'age': the model takes float64, got datatype BYTES",
        ),
        (
            {
                "inputs": [
                    {"name": "age", "shape": [1, 2], "datatype": "FP64", "data": [1.0, 2.0]},
                    {"name": "tenure", "shape": [1], "datatype": "INT64", "data": [1]},
                ]
            },
            "input 'age': shape must be [rows] or [rows, 1]",
        ),
        (
            {"inputs": [{"name": "input", "shape": [1, 3], "datatype": "FP32", "data": [1, 2, 3]}]},
            "shape must be [rows, 2]",
        ),
        (
            {
                "inputs": [
                    {"name": "age", "shape": [1], "datatype": "FP64", "data": [1.0]},
                    {"name": "tenure", "shape": [1], "datatype": "INT64", "data": [1]},
                ],
                "outputs": [{"name": "nope"}],
            },
            "unknown output 'nope'",
        ),
        ({"inputs": [{"name": "age", "shape": [-1], "datatype": "FP64", "data": []}]}, "shape"),
        ({"inputs": []}, "'inputs' must be a non-empty list"),
        (
            {"inputs": [AGE, TENURE, {**AGE, "data": [99.0]}]},
            "input 'age' is given twice (inputs[0] and inputs[2]); give each input once",
        ),
        (
            {"inputs": [AGE, TENURE], "outputs": [{"name": "predict"}, {"name": "predict"}]},
            "output 'predict' is given twice (outputs[0] and outputs[1])",
        ),
        (
            {"model_name": "fraud", "inputs": [AGE, TENURE]},
            "the body's model_name 'fraud' is not the model in the path ('churn')",
        ),
        (
            {"model_name": "churn", "model_version": "1", "inputs": [AGE, TENURE]},
            "the body's model_version '1' does not match the path (no version); send it to "
            "/v2/models/churn/versions/1/infer",
        ),
        (
            {
                "inputs": [
                    {"name": "age", "shape": [1], "datatype": "FP32", "data": [1e308]},
                    TENURE,
                ]
            },
            "input 'age' element 0: 1e+308 overflows float32, the FP32 datatype it declares",
        ),
        (
            {
                "inputs": [
                    {
                        "name": "age",
                        "shape": [1],
                        "datatype": "FP64",
                        "parameters": {"binary_data_size": 8},
                    }
                ]
            },
            "overruns the body",
        ),
    ],
)
def test_bad_v2_input_is_a_400_naming_the_input(served: Server, body: object, names: str) -> None:
    response = served.client.post(INFER, json=body)
    assert response.status_code == 400, response.text
    assert names in response.json()["error"]


def test_a_finite_value_the_model_type_cannot_hold_is_a_400_naming_the_cell(
    served: Server,
) -> None:
    # The served model runs in ONNX Runtime on float32: 1e308 would become inf and be
    # answered as if it were sent.
    records = [{"age": 30.0, "tenure": 2}, {"age": 1e308, "tenure": 2}]
    predicted = served.client.post(PREDICT, json={"records": records})
    tensors = {
        "inputs": [
            {**AGE, "shape": [2], "data": [30.0, -1e300]},
            {**TENURE, "shape": [2], "data": [2, 3]},
        ]
    }
    inferred = served.client.post(INFER, json=tensors)
    assert predicted.status_code == inferred.status_code == 400, (predicted.text, inferred.text)
    overflows = "overflows float32, the type model models:/churn/1 computes in"
    assert predicted.json()["error"].startswith(f"column 'age' row 1: 1e+308 {overflows}")
    assert inferred.json()["error"].startswith(f"column 'age' row 1: -1e+300 {overflows}")
    assert "at most 3.4028235e+38 in magnitude" in predicted.json()["error"]
    fits = served.client.post(PREDICT, json={"records": [{"age": 3.4e38, "tenure": 2}]})
    assert fits.status_code == 200, fits.text


def test_a_tree_that_casts_to_float32_gets_a_400_naming_the_cell_not_a_422(
    sqlite_workspace: dl.Workspace,
) -> None:
    from sklearn.ensemble import RandomForestClassifier

    frame, label = churn_frame()
    run_id = sqlite_workspace.tracking.create_run("forest")
    forest = RandomForestClassifier(n_estimators=5, random_state=0).fit(frame, label)
    sqlite_workspace.registry.log_model(
        run_id, forest, "forest", register=True, input_example=frame.head(5), onnx=False
    )
    sqlite_workspace.serving.deploy("forest", "forest@1")
    settings = ServeSettings(log_predictions=False)
    with running(create_app(sqlite_workspace, settings)) as server:
        records = [{"age": 30.0, "tenure": 2}, {"age": -1e308, "tenure": 2}]
        answer = server.client.post("/v1/endpoints/forest/predict", json={"records": records})
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"].startswith(
        "column 'age' row 1: -1e+308 overflows float32, the type model models:/forest/1 "
        "computes in: it holds at most 3.4028235e+38 in magnitude"
    )


def test_a_float32_column_names_the_value_it_cannot_hold() -> None:
    from driftloop.errors import InvalidInputError
    from driftloop.registry import infer_signature
    from driftloop.serving._validation import check_columns

    signature = infer_signature(pd.DataFrame({"x": np.array([1.0, 2.0], dtype="float32")}))
    with pytest.raises(InvalidInputError) as refused:
        check_columns(signature, {"x": [1.0, 5e38]}, 2)
    assert str(refused.value).startswith(
        "column 'x' row 1: 5e+38 overflows float32, the column's type in the model signature"
    )
    assert check_columns(signature, {"x": [1.0, 3e38]}, 2)["x"].dtype == np.float32


def test_a_bad_inference_header_length_is_a_400(served: Server) -> None:
    response = httpx.post(
        served.url + INFER, content=b"{}", headers={"Inference-Header-Content-Length": "99"}
    )
    assert response.status_code == 400
    assert "Inference-Header-Content-Length 99" in response.json()["error"]


@pytest.fixture(scope="module")
def strict(served: Server) -> Iterator[Server]:
    settings = ServeSettings(max_body_bytes=2048, body_timeout_s=0.3)
    with running(create_app(served.state.workspace, settings)) as server:
        yield server


def test_an_oversized_body_is_a_413_before_it_is_read(strict: Server) -> None:
    records = [{"age": 30.0, "tenure": 2}] * 200
    response = strict.client.post(PREDICT, json={"records": records})
    assert response.status_code == 413
    assert "at most 2048" in response.json()["error"]

    def chunks():  # no content-length: the limit applies while reading
        for _ in range(10):
            yield b" " * 1000

    streamed = strict.client.post(PREDICT, content=chunks())
    assert streamed.status_code == 413


def test_a_slow_client_gets_a_408_and_the_server_goes_on(strict: Server) -> None:
    host, port = strict.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(
            b"POST /v1/endpoints/churn/predict HTTP/1.1\r\nHost: x\r\n"
            b'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"rec'
        )
        started = time.monotonic()
        answer = b""
        while chunk := sock.recv(4096):  # the server closes the connection after a 408
            answer += chunk
        waited = time.monotonic() - started
    assert answer.startswith(b"HTTP/1.1 408")
    assert b"did not arrive within 0.3 s" in answer
    assert waited < 3
    ok = strict.client.post(PREDICT, json={"records": [{"age": 30.0, "tenure": 2}]})
    assert ok.status_code == 200
