"""POST /v1/endpoints/{name}/feedback over real HTTP: single, bulk, unknown ids, 4xx."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

import driftloop as dl
from driftloop.serving import PredictionLogWriter, feedback_routes


@pytest.fixture
def url(sqlite_workspace: dl.Workspace, record: Any, serve_app: Any) -> Any:
    writer = PredictionLogWriter(sqlite_workspace.blobs, sqlite_workspace.store).start()
    writer.submit(record(request_id="r1", rows=2))
    writer.close()
    with serve_app(Starlette(routes=feedback_routes(sqlite_workspace))) as base:
        yield f"{base}/v1/endpoints/flights/feedback"


def test_one_label_then_a_bulk_upload_are_stored_and_joined(
    url: str, sqlite_workspace: dl.Workspace
) -> None:
    one = httpx.post(url, json={"request_id": "r1", "label": 1})
    assert one.status_code == 200, one.text
    assert one.json() == {"endpoint": "flights", "accepted": 1, "unknown_request_ids": []}
    bulk = httpx.post(
        url,
        json={
            "labels": [
                {"request_id": "r1", "row_index": 0, "label": 0},
                {"request_id": "r1", "row_index": 1, "label": 1},
                {"request_id": "typo", "label": 1},
            ]
        },
    )
    assert bulk.status_code == 200, bulk.text
    assert bulk.json()["accepted"] == 3
    assert bulk.json()["unknown_request_ids"] == ["typo"]
    joined = sqlite_workspace.predictions.labeled("flights").project("row_index, label")
    assert sorted(joined.fetchall()) == [(0, 0), (1, 1)]


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        (b"{not json", 400, "not valid JSON"),
        (b"[1, 2]", 400, "JSON object"),
        (b'{"request_id": "r1"}', 400, "request_id and label"),
        (b'{"request_id": "r1", "label": 1, "colour": 1}', 400, "colour"),
        (b'{"labels": {"request_id": "r1"}}', 400, "must be a list"),
        (b'{"labels": [], "request_id": "r1"}', 400, "not both"),
        (b'{"request_id": "r1", "label": {"x": 1}}', 400, "label"),
        (b'{"request_id": "r1", "label": 1, "row_index": "0"}', 400, "row_index"),
    ],
)
def test_a_bad_body_is_a_4xx_naming_what_is_wrong_and_stores_nothing(
    url: str, sqlite_workspace: dl.Workspace, body: bytes, status: int, says: str
) -> None:
    answer = httpx.post(url, content=body, headers={"content-type": "application/json"})
    assert answer.status_code == status
    assert says in answer.json()["error"]
    assert sqlite_workspace.predictions.feedback("flights").num_rows == 0


def test_an_unknown_endpoint_is_a_404(url: str) -> None:
    answer = httpx.post(url.replace("flights", "nowhere"), json={"request_id": "r1", "label": 1})
    assert answer.status_code == 404
    assert "no deployment" in answer.json()["error"]


def test_a_bad_endpoint_name_is_a_400(url: str) -> None:
    answer = httpx.post(url.replace("flights", "fl%20ights"), json={"request_id": "r1", "label": 1})
    assert answer.status_code == 400
    assert "endpoint name" in answer.json()["error"]


def test_an_oversized_body_is_a_413(sqlite_workspace: dl.Workspace, serve_app: Any) -> None:
    app = Starlette(routes=feedback_routes(sqlite_workspace.predictions, max_body_bytes=100))
    with serve_app(app) as base:
        labels = [{"request_id": f"r{i}", "label": 1} for i in range(20)]
        answer = httpx.post(f"{base}/v1/endpoints/flights/feedback", json={"labels": labels})
    assert answer.status_code == 413
