"""The OpenAPI document tells the truth about statuses: every status a route answers is
listed for it, every status listed is one the route answers (each exercised here on a
real server), and a method a path does not take is a 405 whose ``Allow`` names those it does.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from tests.serving.conftest import Server, log_churn_model, running, tamper

import driftloop as dl
from driftloop.serving import ServeSettings
from driftloop.serving._app import create_app

ROW = {"records": [{"age": 30.0, "tenure": 2}]}
TENSORS = {
    "inputs": [
        {"name": "age", "shape": [1], "datatype": "FP64", "data": [30.0]},
        {"name": "tenure", "shape": [1], "datatype": "INT64", "data": [2]},
    ]
}
OLD_ROW = {"age": 200.0, "tenure": 1}  # Picky raises on it
OLD = {"inputs": [{**TENSORS["inputs"][0], "data": [200.0]}, TENSORS["inputs"][1]]}
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
# (method, path, JSON body or a raw-socket case, the status it must get)
Case = tuple[str, str, Any, int]
SLOW, HUGE = "slow body", "huge body"  # raw-socket cases: a body never finished; a 1 GB one


class Picky:
    """A model that raises on ages over 150: input its signature lets through (a 422)."""

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        if (frame["age"] > 150).any():
            raise ValueError("no customer is over 150")
        return np.zeros(len(frame), dtype=np.int64)


@pytest.fixture
def site(sqlite_workspace: dl.Workspace) -> Iterator[Server]:
    ws = sqlite_workspace
    log_churn_model(ws)
    log_churn_model(ws, 0.01)
    ws.registry.archive("churn", log_churn_model(ws, 0.1).version)  # churn@3: not deployable
    ws.serving.deploy("churn", "churn@1")
    broken = log_churn_model(ws, 0.5, onnx=False, name="broken")  # its own bytes
    tamper(ws, broken)  # fails its integrity check: endpoint 'broken' is not ready
    ws.serving.deploy("broken", "broken@1")
    frame = pd.DataFrame({"age": [30.0, 40.0], "tenure": [1, 2]})
    run_id = ws.tracking.create_run("picky")
    ws.registry.log_model(run_id, Picky(), "picky", register=True, input_example=frame)
    ws.serving.deploy("picky", "picky@1")
    settings = ServeSettings(
        max_body_bytes=4096, body_timeout_s=0.3, poll_interval_s=0.05, log_predictions=False
    )
    with running(create_app(ws, settings)) as server:
        yield server


def _serving_cases() -> list[Case]:
    cases: list[Case] = [
        ("GET", "/v1/endpoints", None, 200),
        ("GET", "/v1/endpoints/churn", None, 200),
        ("GET", "/v1/endpoints/nowhere", None, 404),
        ("GET", "/v2", None, 200),
        ("GET", "/v2/health/live", None, 200),
        ("GET", "/v2/health/ready", None, 503),  # 'broken' is not ready
        ("GET", "/health", None, 200),
        ("GET", "/metrics", None, 200),
    ]
    predict = ("/v1/endpoints/{}/predict", ROW, {"records": []}, {"records": [OLD_ROW]})
    for path, ok, bad, too_old in (
        predict,
        ("/v2/models/{}/infer", TENSORS, {"inputs": []}, OLD),
        ("/v2/models/{}/versions/1/infer", TENSORS, {"inputs": []}, OLD),
    ):
        cases += [
            ("POST", path.format("churn"), ok, 200),
            ("POST", path.format("churn"), bad, 400),
            ("POST", path.format("nowhere"), ok, 404),
            ("POST", path.format("churn"), SLOW, 408),
            ("POST", path.format("churn"), HUGE, 413),
            ("POST", path.format("picky"), too_old, 422),
            ("POST", path.format("broken"), ok, 503),
        ]
    cases += [
        ("POST", "/v2/models/churn/versions/x/infer", TENSORS, 400),
        ("POST", "/v2/models/churn/versions/7/infer", TENSORS, 404),
    ]
    for suffix in ("", "/versions/1"):
        cases += [
            ("GET", f"/v2/models/churn{suffix}", None, 200),
            ("GET", f"/v2/models/nowhere{suffix}", None, 404),
            ("GET", f"/v2/models/broken{suffix}", None, 503),
            ("GET", f"/v2/models/churn{suffix}/ready", None, 200),
            ("GET", f"/v2/models/nowhere{suffix}/ready", None, 404),
            ("GET", f"/v2/models/broken{suffix}/ready", None, 400),  # the spec: a 4xx
        ]
    for suffix in ("", "/ready"):
        cases += [
            ("GET", f"/v2/models/churn/versions/x{suffix}", None, 400),
            ("GET", f"/v2/models/churn/versions/7{suffix}", None, 404),
        ]
    return cases


def _change_cases() -> list[Case]:
    feedback, deployment = "/v1/endpoints/{}/feedback", "/v1/endpoints/{}/deployment"
    cases: list[Case] = [
        ("POST", feedback.format("churn"), {"request_id": "r1", "label": 1}, 200),
        ("POST", feedback.format("churn"), {"label": 1}, 400),
        ("POST", feedback.format("nowhere"), {"request_id": "r1", "label": 1}, 404),
        ("PUT", deployment.format("churn"), {"primary": "churn@1"}, 200),
        ("PUT", deployment.format("churn"), {"primary": 5}, 400),
        ("PUT", deployment.format("nowhere"), {"primary": "nomodel@1"}, 404),
        ("PUT", deployment.format("churn"), {"primary": "churn@3"}, 409),
        ("PATCH", deployment.format("churn"), {"canary": "churn@2", "canary_weight": 0.1}, 200),
        ("PATCH", deployment.format("churn"), {"weight": 0.1}, 400),
        ("PATCH", deployment.format("nowhere"), {"canary_weight": 0.0}, 404),
        ("PATCH", deployment.format("churn"), {"shadow": "churn@3"}, 409),
        ("POST", "/v1/endpoints/churn/promote", None, 200),
        ("POST", "/v1/endpoints/churn/promote", None, 409),  # no canary any more
        ("POST", "/v1/endpoints/bad name/promote", None, 400),
        ("POST", "/v1/endpoints/nowhere/promote", None, 404),
        ("POST", "/v1/endpoints/churn/rollback", None, 200),
        ("POST", "/v1/endpoints/churn/rollback", {"to_version": "x"}, 400),
        ("POST", "/v1/endpoints/nowhere/rollback", None, 404),
        ("POST", "/v1/endpoints/picky/rollback", None, 409),  # nothing before it
        ("GET", "/v1/endpoints/churn/history", None, 200),
        ("GET", "/v1/endpoints/bad name/history", None, 400),
        ("GET", "/v1/endpoints/nowhere/history", None, 404),
        # 'broken' gets a model that loads: the server is ready now
        ("PUT", deployment.format("broken"), {"primary": "churn@1"}, 200),
        ("GET", "/v2/health/ready", None, 200),
        # last: what is deleted answers 404 from here on
        ("DELETE", "/v1/endpoints/bad name", None, 400),
        ("DELETE", "/v1/endpoints/nowhere", None, 404),
        ("DELETE", "/v1/endpoints/picky", None, 200),
        ("DELETE", "/v1/endpoints/picky", None, 409),  # deleted already
        ("GET", "/v1/endpoints/picky", None, 404),
    ]
    for path in (
        feedback.format("churn"),
        deployment.format("churn"),
        "/v1/endpoints/churn/promote",
        "/v1/endpoints/churn/rollback",
    ):
        methods = ("PUT", "PATCH") if path.endswith("deployment") else ("POST",)
        cases += [(m, path, body, status) for m in methods for body, status in _slow_or_huge()]
    return cases


def _slow_or_huge() -> list[tuple[str, int]]:
    return [(SLOW, 408), (HUGE, 413)]


def _store_down_cases() -> list[Case]:
    """What needs the metadata store answers 503 while it cannot be read."""
    return [
        ("POST", "/v1/endpoints/churn/feedback", {"request_id": "r1", "label": 1}, 503),
        ("PUT", "/v1/endpoints/churn/deployment", {"primary": "churn@1"}, 503),
        ("PATCH", "/v1/endpoints/churn/deployment", {"canary_weight": 0.0}, 503),
        ("POST", "/v1/endpoints/churn/promote", None, 503),
        ("POST", "/v1/endpoints/churn/rollback", None, 503),
        ("GET", "/v1/endpoints/churn/history", None, 503),
        ("DELETE", "/v1/endpoints/churn", None, 503),
    ]


def _raw_status(server: Server, method: str, path: str, case: str) -> int:
    """The status of a request whose body is never finished (SLOW) or declared 1 GB (HUGE)."""
    host, port = server.url.removeprefix("http://").split(":")
    declared, sent = (100, b'{"rec') if case == SLOW else (1 << 30, b"")
    head = (
        f"{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Content-Length: {declared}\r\n\r\n"
    )
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(head.encode() + sent)
        answer = b""
        while b"\r\n" not in answer and (chunk := sock.recv(4096)):
            answer += chunk
    return int(answer.split(b" ", 2)[1])


def _answer(server: Server, case: Case) -> int:
    method, path, body, _ = case
    if body in (SLOW, HUGE):
        return _raw_status(server, method, path, body)
    return server.client.request(method, path, json=body).status_code


def _operations(document: dict[str, Any], path: str) -> list[str]:
    """The documented paths a request path falls under: its own (a served endpoint's
    predict path) and the template it fills."""
    found = [path] if path in document["paths"] else []
    for template in document["paths"]:
        if template != path and re.fullmatch(re.sub(r"\{[^}]+\}", "[^/]+", template), path):
            found.append(template)
    return found


def test_every_status_a_route_answers_is_documented_and_every_documented_one_answered(
    site: Server, sqlite_workspace: dl.Workspace
) -> None:
    document = site.client.get("/openapi.json").json()
    unexpected, undocumented = [], []
    answered: set[tuple[str, str, str]] = set()

    def run(cases: list[Case]) -> None:
        for case in cases:
            method, path, _, expected = case
            status = _answer(site, case)
            if status != expected:
                unexpected.append(f"{method} {path}: {status}, not {expected}")
            for operation in _operations(document, path.replace(" ", "%20")):
                responses = document["paths"][operation][method.lower()]["responses"]
                answered.add((method.lower(), operation, str(status)))
                if str(status) not in responses:
                    undocumented.append(f"{method} {operation}: {status} ({path})")

    run(_serving_cases() + _change_cases())
    _break_the_store(sqlite_workspace)
    run(_store_down_cases())
    assert not unexpected, "\n".join(unexpected)
    assert not undocumented, "\n".join(undocumented)  # what the server answers, its document lists
    documented = {
        (method, path, status)
        for path, item in document["paths"].items()
        if _operations(document, path) == [path]  # a served endpoint's path copies a template's
        for method, operation in item.items()
        for status in operation["responses"]
    }
    assert len(documented) >= 85  # 22 operations, 86 statuses when written
    assert documented - answered == set()  # and it lists nothing the server never answers


def _break_the_store(ws: dl.Workspace) -> None:
    """Overwrite the SQLite file: every read of it now fails ("file is not a database")."""
    url = ws.store.url.removeprefix("sqlite:///")
    database = Path(url)
    for suffix in ("-wal", "-shm"):
        database.with_name(database.name + suffix).unlink(missing_ok=True)
    database.write_bytes(b"not a database at all" * 512)
    ws.store.dispose()


def test_a_method_a_path_does_not_take_is_a_405_naming_those_it_does(served: Server) -> None:
    document = served.client.get("/openapi.json").json()
    wrong = []
    for template, item in document["paths"].items():
        path = template.replace("{name}", "churn").replace("{version}", "1")
        declared = {m.upper() for m in item}
        allowed = ", ".join(sorted(declared | ({"HEAD"} if "GET" in declared else set())))
        for method in sorted(set(METHODS) - declared):
            answer = served.client.request(method, path)
            if answer.status_code != 405 or answer.headers.get("allow") != allowed:
                wrong.append(f"{method} {path}: {answer.status_code} Allow {answer.headers}")
    assert not wrong
    refused = served.client.delete("/v1/endpoints/churn/deployment")
    assert refused.headers["allow"] == "PATCH, PUT"  # both routes on the path, not the first
    assert refused.json() == {
        "error": "DELETE is not allowed on /v1/endpoints/churn/deployment; it takes PATCH, PUT",
        "code": "METHOD_NOT_ALLOWED",
    }
