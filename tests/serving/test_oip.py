"""The Open Inference Protocol V2 over real HTTP: JSON bodies, binary tensors, tritonclient."""

from __future__ import annotations

import json
import struct

import httpx
import numpy as np
import orjson
import pandas as pd
import pytest
import tritonclient.http as triton
from tests.serving.conftest import Server, churn_frame
from tritonclient.utils import InferenceServerException


def _host(server: Server) -> str:
    return server.url.removeprefix("http://")


def test_health_metadata_and_readiness_paths(served: Server) -> None:
    assert served.client.get("/v2/health/live").json() == {"live": True}
    assert served.client.get("/v2/health/ready").json() == {"ready": True}
    assert served.client.get("/v2").json()["extensions"] == ["binary_tensor_data"]
    meta = served.client.get("/v2/models/churn").json()
    assert meta["name"] == "churn" and meta["versions"] == ["1"]
    assert [i["name"] for i in meta["inputs"]] == ["age", "tenure"]
    assert [i["datatype"] for i in meta["inputs"]] == ["FP64", "INT64"]
    assert [(o["name"], o["datatype"]) for o in meta["outputs"]] == [
        ("predict", "INT64"),
        ("predict_proba", "FP64"),
    ]
    assert served.client.get("/v2/models/churn/versions/1").json()["name"] == "churn"
    assert served.client.get("/v2/models/churn/ready").status_code == 200
    assert served.client.get("/v2/models/churn/versions/1/ready").status_code == 200
    assert served.client.get("/v2/models/churn/versions/7/ready").status_code == 404


def test_json_infer_per_column_and_as_one_matrix(served: Server) -> None:
    frame, _ = churn_frame()
    rows = frame.head(4)
    expected = served.state.workspace.registry.load("churn@1").predict(rows).tolist()
    per_column = {
        "id": "req-1",
        "inputs": [
            {"name": "age", "shape": [4], "datatype": "FP64", "data": rows["age"].tolist()},
            {
                "name": "tenure",
                "shape": [4, 1],
                "datatype": "INT64",
                "data": rows["tenure"].tolist(),
            },
        ],
    }
    matrix = {
        "inputs": [
            {"name": "input", "shape": [4, 2], "datatype": "FP32", "data": rows.to_numpy().tolist()}
        ],
        "outputs": [{"name": "predict"}],
    }
    first = served.client.post("/v2/models/churn/infer", json=per_column)
    second = served.client.post("/v2/models/churn/versions/1/infer", json=matrix)
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["id"] == "req-1" and body["model_name"] == "churn" and body["model_version"] == "1"
    outputs = {o["name"]: o for o in body["outputs"]}
    assert outputs["predict"]["data"] == expected
    assert outputs["predict_proba"]["shape"] == [4, 2]
    assert second.status_code == 200, second.text
    assert [o["name"] for o in second.json()["outputs"]] == ["predict"]
    assert second.json()["outputs"][0]["data"] == expected


def test_binary_tensor_extension_in_and_out(served: Server) -> None:
    age = np.array([30.0, 55.5], dtype="<f8")
    tenure = np.array([1, 9], dtype="<i8")
    header = json.dumps(
        {
            "inputs": [
                {
                    "name": "age",
                    "shape": [2],
                    "datatype": "FP64",
                    "parameters": {"binary_data_size": 16},
                },
                {
                    "name": "tenure",
                    "shape": [2],
                    "datatype": "INT64",
                    "parameters": {"binary_data_size": 16},
                },
            ],
            "outputs": [{"name": "predict_proba", "parameters": {"binary_data": True}}],
        }
    ).encode()
    response = httpx.post(
        f"{served.url}/v2/models/churn/infer",
        content=header + age.tobytes() + tenure.tobytes(),
        headers={"Inference-Header-Content-Length": str(len(header))},
    )
    assert response.status_code == 200, response.text
    size = int(response.headers["inference-header-content-length"])
    meta = json.loads(response.content[:size])
    (output,) = meta["outputs"]
    assert output["parameters"]["binary_data_size"] == 32
    proba = np.frombuffer(response.content[size:], dtype="<f8").reshape(2, 2)
    frame = served.state.workspace.registry.load("churn@1").predict_proba(
        __import__("pandas").DataFrame({"age": age, "tenure": tenure})
    )
    assert np.allclose(proba, frame, atol=1e-5)


def test_tritonclient_works_unchanged(served: Server) -> None:
    client = triton.InferenceServerClient(_host(served))
    try:
        assert client.is_server_live() and client.is_server_ready()
        assert client.is_model_ready("churn")
        assert client.get_model_metadata("churn")["name"] == "churn"
        age = triton.InferInput("age", [3], "FP64")
        age.set_data_from_numpy(np.array([25.0, 45.0, 65.0]))
        tenure = triton.InferInput("tenure", [3], "INT64")
        tenure.set_data_from_numpy(np.array([1, 8, 3], dtype=np.int64))
        result = client.infer("churn", [age, tenure], request_id="t-1")
        labels = result.as_numpy("predict")
        proba = result.as_numpy("predict_proba")
        versioned = client.infer("churn", [age, tenure], model_version="1")
        with pytest.raises(InferenceServerException, match="missing input 'tenure'"):
            client.infer("churn", [age])
    finally:
        client.close()

    frame = pd.DataFrame({"age": [25.0, 45.0, 65.0], "tenure": [1, 8, 3]})
    assert (
        labels.tolist() == served.state.workspace.registry.load("churn@1").predict(frame).tolist()
    )
    assert proba.shape == (3, 2)
    assert result.get_response()["id"] == "t-1"
    assert versioned.as_numpy("predict").tolist() == labels.tolist()


def test_bytes_tensors_round_trip_in_binary() -> None:
    from driftloop.serving._oip import _bytes_elements
    from driftloop.serving._oip_render import _to_binary

    raw = _to_binary("BYTES", np.array(["a", "héllo"], dtype=object))
    assert raw == struct.pack("<I", 1) + b"a" + struct.pack("<I", 6) + "héllo".encode()
    assert _bytes_elements(raw, 2, "x").tolist() == ["a", "héllo"]


def _kserve_body(
    inputs: list[tuple[str, np.ndarray]], binary: bool
) -> tuple[bytes, dict[str, str]]:
    """The body and headers kserve's ``InferenceRESTClient.infer`` (kserve 0.21.0) sends.

    Rebuilt from its source (``InferRequest.to_rest`` in kserve/protocol/infer_type.py and
    ``InferenceRESTClient.infer`` in kserve/inference_client.py) because kserve itself
    cannot share this environment: it pins protobuf 6 and pandas < 3 and brings uvloop,
    which uvicorn would then run on. ``InferInput.set_data_from_numpy`` sends binary by
    default: ``parameters.binary_data_size`` and the raw bytes after the JSON.
    """
    tensors, raw = [], []
    for name, values in inputs:
        datatype = {"float64": "FP64", "int64": "INT64"}[values.dtype.name]
        tensor = {"name": name, "shape": list(values.shape), "datatype": datatype}
        if binary:
            tensor["parameters"] = {"binary_data_size": values.nbytes}
            raw.append(values.tobytes())
        else:
            tensor["data"] = values.tolist()
        tensors.append(tensor)
    header = orjson.dumps({"id": "kserve-1", "model_name": "churn", "inputs": tensors})
    if not binary:
        return header, {"content-type": "application/json"}
    headers = {
        "inference-header-content-length": str(len(header)),
        "content-type": "application/octet-stream",
    }
    return header + b"".join(raw), headers


@pytest.mark.parametrize("binary", [True, False])
def test_kserve_rest_client_requests_with_model_name_are_answered(
    served: Server, binary: bool
) -> None:
    age, tenure = np.array([25.0, 65.0]), np.array([1, 8], dtype=np.int64)
    body, headers = _kserve_body([("age", age), ("tenure", tenure)], binary)
    response = served.client.post("/v2/models/churn/infer", content=body, headers=headers)
    assert response.status_code == 200, response.text
    answer = response.json()  # what kserve's InferResponse.from_bytes reads
    assert answer["model_name"] == "churn" and answer["id"] == "kserve-1"
    outputs = {o["name"]: o for o in answer["outputs"]}
    frame = pd.DataFrame({"age": age, "tenure": tenure})
    expected = served.state.workspace.registry.load("churn@1").predict(frame).tolist()
    assert outputs["predict"]["data"] == expected


def test_model_name_and_version_in_the_body_must_name_the_path(served: Server) -> None:
    age = {"name": "age", "shape": [1], "datatype": "FP64", "data": [30.0]}
    tenure = {"name": "tenure", "shape": [1], "datatype": "INT64", "data": [2]}
    same = {"model_name": "churn", "model_version": "1", "inputs": [age, tenure]}
    # Fields the specification does not name are ignored, as its schema allows.
    extra = {"inputs": [{**age, "contents": {}}, tenure], "trace": {"span": "s1"}}
    assert served.client.post("/v2/models/churn/versions/1/infer", json=same).status_code == 200
    assert served.client.post("/v2/models/churn/infer", json=extra).status_code == 200
    other = served.client.post(
        "/v2/models/churn/versions/1/infer", json={**same, "model_version": "2"}
    )
    assert other.status_code == 400
    assert other.json()["error"] == (
        "the body's model_version '2' does not match the path (version 1); send it to "
        "/v2/models/churn/versions/2/infer, or drop model_version"
    )
