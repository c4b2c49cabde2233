"""Demo step: serve the champion over HTTP, replay the summer as traffic, feed labels back.

A real uvicorn server on 127.0.0.1 serves ``flight-delays@champion``; the summer's
flights arrive as requests (most one flight each, some in batches of 50, from a few
client threads), every answer is logged, and once the flights have landed their
true delays come back through the feedback endpoint, joined to the log by request id.
"""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx
import numpy as np
import pandas as pd

from driftloop._demo._context import DemoContext
from driftloop._demo._http_server import serving
from driftloop._demo._registry_step import MODEL_NAME
from driftloop._demo._training import FEATURES, LABEL

ENDPOINT = "flight-delays"
SINGLE_REQUESTS = 500
BATCH_REQUESTS = 70
BATCH_ROWS = 50
CLIENTS = 4
LABELS_PER_CALL = 1_000


@dataclass(frozen=True, slots=True)
class Answered:
    request_id: str
    labels: list[int]  # the flights' true outcome, row by row
    route: str
    predictions: list[int]


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    # JSON has no NaN: a missing value is null, which the signature allows where training had it.
    plain = frame.astype(object).where(frame.notna(), None)
    return plain.to_dict(orient="records")  # type: ignore[return-value]


def _requests(summer: pd.DataFrame, seed: int = 13) -> list[tuple[list[dict[str, Any]], list[int]]]:
    rows = SINGLE_REQUESTS + BATCH_REQUESTS * BATCH_ROWS
    sample = summer.sample(n=min(rows, len(summer)), random_state=seed).sort_values("time_hour")
    records = _records(sample[FEATURES])
    labels = sample[LABEL].astype(int).tolist()
    # One flight per request first, then batches: every cut where a request begins.
    starts = [*range(SINGLE_REQUESTS), *range(SINGLE_REQUESTS, len(records), BATCH_ROWS)]
    bounds = sorted({b for b in starts if b < len(records)} | {len(records)})
    return [(records[a:b], labels[a:b]) for a, b in itertools.pairwise(bounds)]


def _send(base: str, batch: list[tuple[list[dict[str, Any]], list[int]]]) -> list[Answered]:
    answered = []
    with httpx.Client(base_url=base, timeout=30) as client:
        for records, labels in batch:
            response = client.post(f"/v1/endpoints/{ENDPOINT}/predict", json={"records": records})
            if response.status_code == 400:
                # e.g. a flight without weather where training always had it: refused
                # (and logged as refused); there is no prediction to label.
                answered.append(Answered(response.headers["x-request-id"], labels, "", []))
                continue
            response.raise_for_status()
            body = response.json()
            answered.append(
                Answered(body["request_id"], labels, body["route"], list(body["predictions"]))
            )
    return answered


def _replay(base: str, requests: list[tuple[list[dict[str, Any]], list[int]]]) -> list[Answered]:
    shares = [requests[i::CLIENTS] for i in range(CLIENTS)]
    with ThreadPoolExecutor(CLIENTS) as pool:
        return [a for part in pool.map(lambda s: _send(base, s), shares) for a in part]


def _feed_back(base: str, answered: list[Answered]) -> dict[str, int]:
    labels = [
        {"request_id": a.request_id, "row_index": i, "label": label}
        for a in answered
        if a.predictions
        for i, label in enumerate(a.labels)
    ]
    unknown = 0
    with httpx.Client(base_url=base, timeout=60) as client:
        for start in range(0, len(labels), LABELS_PER_CALL):
            chunk = labels[start : start + LABELS_PER_CALL]
            response = client.post(f"/v1/endpoints/{ENDPOINT}/feedback", json={"labels": chunk})
            response.raise_for_status()
            unknown += len(response.json()["unknown_request_ids"])
    return {"labels": len(labels), "calls": -(-len(labels) // LABELS_PER_CALL), "unknown": unknown}


def serve_and_feed_back(ctx: DemoContext) -> None:
    from driftloop.serving import PredictionLogWriter, PredictionRecord
    from driftloop.serving._app import create_app
    from driftloop.serving._settings import ServeSettings

    ws = ctx.workspace
    deployment = ws.serving.deploy(ENDPOINT, primary=f"{MODEL_NAME}@champion")
    requests = _requests(ctx.summer)
    # The server's own writer, held here so the demo can flush it instead of waiting
    # the 10 s a segment may stay buffered; the app starts it and drains it on shutdown.
    log = PredictionLogWriter(ws.blobs, ws.store)
    settings = ServeSettings(endpoints=(ENDPOINT,))
    app = create_app(ws, settings, prediction_log=log, make_record=PredictionRecord)
    with serving(app) as base:
        ctx.say(f"Serving {ENDPOINT} (deployment {deployment.version}) at {base}")
        answered = _replay(base, requests)
        rows = sum(len(a.labels) for a in answered)
        refused = [a for a in answered if not a.predictions]
        ctx.say(
            f"Replayed {rows:,} summer flights as {len(answered):,} HTTP requests "
            f"(up to {SINGLE_REQUESTS:,} of one flight, then {BATCH_ROWS} at a time); "
            f"{len(refused)} refused with a 400 (missing weather the model never saw missing)."
        )
        log.flush()  # what a later day would find: every answer in an indexed segment
        fed = _feed_back(base, answered)
    stats = ws.predictions.stats(ENDPOINT)[0]
    joined = ws.predictions.labeled(ENDPOINT).aggregate(
        'count(*) AS n, avg(CAST("output.prediction" = "label" AS DOUBLE)) AS accuracy'
    )
    labeled, accuracy = joined.fetchall()[0]
    ctx.say(
        f"Fed {fed['labels']:,} labels back in {fed['calls']} calls to the feedback endpoint "
        f"({fed['unknown']} unknown). The log holds {stats.rows:,} rows in "
        f"{stats.segments} segment(s); {labeled:,} are labelled, accuracy {accuracy:.3f}."
    )
    ctx.say(f"Read it with: ws.predictions.labeled({ENDPOINT!r})")
    answered_right = np.mean(
        [
            p == t
            for a in answered
            if a.predictions
            for p, t in zip(a.predictions, a.labels, strict=True)
        ]
    )
    ctx.summary["serving"] = {
        "endpoint": ENDPOINT,
        "deployment_version": deployment.version,
        "requests": len(answered),
        "rows": rows,
        "refused_requests": len(refused),
        "logged_rows": stats.rows,
        "segments": stats.segments,
        "labels": fed["labels"],
        "unknown_request_ids": fed["unknown"],
        "labeled_rows": labeled,
        "accuracy": accuracy,
        "accuracy_seen_by_clients": float(answered_right),
    }
