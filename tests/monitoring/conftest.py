"""A small world to monitor: a trained model with its training set in its lineage, and
days of its predictions written to the prediction log by the real writer."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import driftloop as dl
from driftloop.serving import PredictionLogWriter, PredictionRecord

DAY0 = datetime(2026, 6, 1, tzinfo=UTC)


def flights(rows: int, rng: np.random.Generator, summer: bool = False) -> pd.DataFrame:
    """Distance and origin; in summer flights are longer and leave from other airports."""
    distance = rng.lognormal(6.5 + (0.6 if summer else 0.0), 0.4, rows)
    weights = [0.2, 0.2, 0.6] if summer else [0.5, 0.3, 0.2]
    origin = rng.choice(["JFK", "LGA", "EWR"], rows, p=weights)
    return pd.DataFrame({"distance": distance, "origin": origin})


def delayed(frame: pd.DataFrame, rng: np.random.Generator, summer: bool = False) -> np.ndarray:
    # The training relation (long flights from EWR are late) stops holding in summer.
    score = (frame["distance"] > 700).astype(int) + (frame["origin"] == "EWR").astype(int)
    late = score >= 1 if not summer else rng.random(len(frame)) < 0.5
    noise = rng.random(len(frame)) < 0.05
    return np.asarray(late ^ noise, dtype=int)


@dataclass
class World:
    ws: dl.Workspace
    model: Any
    train_ref: str
    rng: np.random.Generator

    def predict_records(
        self,
        frame: pd.DataFrame,
        day: int,
        route: str = "primary",
        version: int = 1,
        batch: int = 20,
    ) -> list[PredictionRecord]:
        records = []
        for i, start in enumerate(range(0, len(frame), batch)):
            part = frame.iloc[start : start + batch].reset_index(drop=True)
            proba = self.model.predict_proba(part)[:, 1]
            outputs = pa.table(
                {
                    "prediction": (proba >= 0.5).astype(np.int64),
                    "proba.0": 1 - proba,
                    "proba.1": proba,
                }
            )
            records.append(
                PredictionRecord(
                    request_id=uuid.uuid4().hex,
                    ts=DAY0 + timedelta(days=day, minutes=i),
                    endpoint="flights",
                    deployment_version=1,
                    model_name="delays",
                    model_version=version,
                    route=route,  # type: ignore[arg-type]
                    status=200,
                    latency_ms=2.0 + (i % 10),
                    inputs=pa.Table.from_pandas(part),
                    outputs=outputs,
                )
            )
        return records

    def write(self, records: list[PredictionRecord]) -> None:
        writer = PredictionLogWriter(self.ws.blobs, self.ws.store).start()
        for item in records:
            assert writer.submit(item)
        writer.close(10)

    def label(self, records: list[PredictionRecord], truth: np.ndarray) -> None:
        labels, position = [], 0
        for item in records:
            for row in range(item.inputs.num_rows):
                labels.append(
                    {"request_id": item.request_id, "row_index": row, "label": int(truth[position])}
                )
                position += 1
        self.ws.predictions.log_feedback("flights", labels=labels)


@pytest.fixture
def world(workspace: dl.Workspace) -> World:
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder

    rng = np.random.default_rng(0)
    train = flights(3000, rng)
    train["delayed"] = delayed(train, rng)
    encode = ColumnTransformer([("origin", OneHotEncoder(), ["origin"])], remainder="passthrough")
    model = Pipeline([("encode", encode), ("model", LogisticRegression(max_iter=500))])
    model.fit(train[["distance", "origin"]], train["delayed"])
    with dl.start_run(experiment="delays"):
        version = dl.log_dataset("flights-train", train)
        dl.log_model(model, name="delays", register=True)
    workspace.serving.deploy("flights", "delays@1")  # a monitor watches an existing endpoint
    return World(workspace, model, version.ref, rng)
