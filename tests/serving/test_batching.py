"""Adaptive micro-batching: concurrent requests share one model call, answers unchanged."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from tests.serving.conftest import log_churn_model, running

import driftloop as dl
from driftloop.serving import BatchingOptions, ServeSettings
from driftloop.serving._app import create_app
from driftloop.serving._batching import MicroBatcher
from driftloop.serving._runtime import ModelOutput, ServedModel, registry_loader


class CountingModel(ServedModel):
    """The real served model, counting its calls."""

    calls: list[int]

    def predict(self, columns: dict[str, np.ndarray], num_rows: int) -> ModelOutput:
        self.calls.append(num_rows)
        return super().predict(columns, num_rows)


def test_concurrent_requests_are_answered_by_one_call_in_order(
    sqlite_workspace: dl.Workspace,
) -> None:
    log_churn_model(sqlite_workspace)
    loaded = registry_loader(sqlite_workspace.registry, True)("churn", 1)
    model = CountingModel(loaded.name, loaded.version, loaded.loaded, loaded.onnx)
    model.calls = []
    batcher = MicroBatcher(model, BatchingOptions(max_batch_size=4, max_wait_ms=500))
    rows = [
        {"age": np.array([20.0 + i]), "tenure": np.array([i], dtype=np.int64)} for i in range(4)
    ]

    async def together() -> list[ModelOutput]:
        return await asyncio.gather(*(batcher.predict(r, 1) for r in rows))

    outputs = asyncio.run(together())
    assert model.calls == [4]  # one call for the four: the batch went when it was full
    for row, output in zip(rows, outputs, strict=True):
        alone = loaded.predict(row, 1)
        assert output.prediction.tolist() == alone.prediction.tolist()
        assert np.allclose(output.proba, alone.proba)


def test_a_lone_request_waits_at_most_the_wait(sqlite_workspace: dl.Workspace) -> None:
    log_churn_model(sqlite_workspace)
    loaded = registry_loader(sqlite_workspace.registry, True)("churn", 1)
    batcher = MicroBatcher(loaded, BatchingOptions(max_batch_size=64, max_wait_ms=1))
    row = {"age": np.array([20.0]), "tenure": np.array([1], dtype=np.int64)}
    output = asyncio.run(batcher.predict(row, 1))
    assert output.prediction.shape == (1,)


def test_a_batched_endpoint_answers_like_an_unbatched_one(sqlite_workspace: dl.Workspace) -> None:
    log_churn_model(sqlite_workspace)
    sqlite_workspace.serving.deploy("plain", "churn@1")
    sqlite_workspace.serving.deploy("batched", "churn@1", max_batch_size=8, max_batch_wait_ms=20)
    with running(create_app(sqlite_workspace, ServeSettings())) as server:

        def ask(args: tuple[str, int]) -> list[float]:
            endpoint, i = args
            body = {"records": [{"age": 20.0 + i, "tenure": i % 10}]}
            answer = server.client.post(f"/v1/endpoints/{endpoint}/predict", json=body)
            assert answer.status_code == 200, answer.text
            return answer.json()["probabilities"][0]

        with ThreadPoolExecutor(8) as pool:
            batched = list(pool.map(ask, [("batched", i) for i in range(32)]))
            plain = list(pool.map(ask, [("plain", i) for i in range(32)]))
    assert np.allclose(batched, plain)
