"""Bad input never hurts the server: a 4xx whose message names the field, never a 5xx."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import httpx
import pytest
from tests.serving.conftest import Server, running

from driftloop.serving import ServeSettings
from driftloop.serving._app import create_app

PREDICT = "/v1/endpoints/churn/predict"
INFER = "/v2/models/churn/infer"


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
