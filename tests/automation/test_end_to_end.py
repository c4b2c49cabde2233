"""The closed loop end to end on a small slice of the flights, through real processes.

`driftloop serve` answers the traffic over HTTP and `driftloop scheduler` runs the
monitor and the loop (its policy read from the ``[[loop]]`` table of driftloop.toml);
the retraining pipeline runs in its own process; labels come back through the feedback
endpoint; a person approves the challenger with `driftloop approve`. Nothing is faked:
the test only sends traffic and reads what the workspace recorded.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest

import driftloop as dl
from driftloop._demo._flights import load_flights, load_planes, load_weather
from driftloop._demo._training import FEATURES, LABEL, PARAM_GRID, make_model
from driftloop.automation import EpisodeState
from driftloop.monitoring import AlertRule, MonitorSpec

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

S = EpisodeState
ENDPOINT = "flights"
MODEL = "flight-delays"
BATCH = 50
POLICY = f"""
[[loop]]
endpoint = "{ENDPOINT}"
model = "{MODEL}"
pipeline = "driftloop._demo._retrain_pipeline:retrain"
triggers = [{{ alert = "drift" }}]
params = {{ endpoint = "{ENDPOINT}", holdout_rows = 600 }}
require_approval = true
cooldown_hours = 24

[loop.gate]
metric = "roc_auc"
min_improvement = 0.0
recent_rows = 600

[loop.rollout]
canary_weight = 0.5
min_requests = 10
min_labels = 300
observe_minutes = 0.5  # the server writes its log every 10 s
max_metric_drop = 0.05
"""


@pytest.fixture(scope="module")
def flights() -> pd.DataFrame:
    """A few thousand flights of 2013 with their weather and plane, in time order."""
    frame = load_flights().merge(load_weather(), on=["origin", "time_hour"], how="left")
    frame = frame.merge(load_planes()[["tailnum", "plane_year", "seats"]], on="tailnum", how="left")
    frame = frame.dropna(subset=["temp", "humid", "pressure"])
    train = frame[frame["month"] <= 4].sample(n=4_000, random_state=13)
    july = frame[frame["month"] == 7].sample(n=4_000, random_state=13)
    return pd.concat([train, july]).sort_values("time_hour").reset_index(drop=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cli(root: Path, *args: str) -> list[str]:
    return [str(Path(sys.executable).parent / "driftloop"), *args]


def _env(root: Path) -> dict[str, str]:
    return {**os.environ, "DRIFTLOOP_HOME": str(root), "OMP_NUM_THREADS": "1"}


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []

    def start(root: Path, name: str, *args: str) -> subprocess.Popen[bytes]:
        with (tmp_path / f"{name}.log").open("wb") as log:  # the child keeps its own copy
            process = subprocess.Popen(_cli(root, *args), env=_env(root), stdout=log, stderr=log)
        started.append(process)
        return process

    yield start
    for process in started:
        process.send_signal(signal.SIGTERM)
    for process in started:
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(30)


def _set_up(ws: dl.Workspace, train: pd.DataFrame) -> int:
    """Champion v1 trained on January to April, deployed, monitored, with a drift alert."""
    dl.log_dataset("flights-train", train[[*FEATURES, LABEL]], profile=False)
    with dl.start_run(experiment="e2e"):
        dl.log_input("flights-train@latest", role="train")
        dl.log_params(PARAM_GRID[1])
        model = make_model(PARAM_GRID[1], 13).fit(train[FEATURES], train[LABEL])
        logged = dl.log_model(
            model,
            MODEL,
            input_example=train[FEATURES].head(5),
            training_data=train[FEATURES],
            register=True,
        )
    assert logged.version is not None
    ws.registry.set_alias(MODEL, "champion", logged.version.version)
    ws.serving.deploy(ENDPOINT, f"{MODEL}@champion")
    spec = MonitorSpec(
        ENDPOINT, window=None, window_rows=500, target=LABEL, features=tuple(FEATURES)
    )
    ws.monitoring.define(ENDPOINT, spec)
    ws.monitoring.define_alert(AlertRule("drift", ENDPOINT, "drift.share", 0.2, for_windows=1))
    with (ws.root / "driftloop.toml").open("a", encoding="utf-8") as config:
        config.write(POLICY)
    return logged.version.version


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    clean = frame[FEATURES].astype(object).where(frame[FEATURES].notna(), None)
    return [dict(zip(FEATURES, row, strict=True)) for row in clean.itertuples(index=False)]


def _send(client: httpx.Client, frame: pd.DataFrame) -> dict[str, int]:
    """Answer ``frame`` in requests of :data:`BATCH` flights, then send its labels back;
    how many requests each model version answered."""
    labels: list[dict[str, Any]] = []
    served: dict[str, int] = {}
    for start in range(0, len(frame), BATCH):
        part = frame.iloc[start : start + BATCH]
        answer = client.post(f"/v1/endpoints/{ENDPOINT}/predict", json={"records": _records(part)})
        assert answer.status_code == 200, answer.text
        body = answer.json()
        version = str(body["model"]["version"])
        served[version] = served.get(version, 0) + 1
        labels += [
            {"request_id": body["request_id"], "row_index": i, "label": int(y)}
            for i, y in enumerate(part[LABEL])
        ]
    fed = client.post(f"/v1/endpoints/{ENDPOINT}/feedback", json={"labels": labels})
    assert fed.status_code in (200, 202), fed.text
    return served


def _wait(what: str, check: Callable[[], Any], seconds: float = 240) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        found = check()
        if found:
            return found
        assert time.monotonic() < deadline, f"waited {seconds:.0f} s for {what}"
        time.sleep(0.25)


def test_drift_retrains_gates_waits_for_approval_canaries_and_promotes(
    sqlite_workspace: dl.Workspace,
    flights: pd.DataFrame,
    processes: Callable[..., subprocess.Popen[bytes]],
) -> None:
    ws, root = sqlite_workspace, sqlite_workspace.root
    train, july = flights[flights["month"] <= 4], flights[flights["month"] == 7]
    champion = _set_up(ws, train)
    port = _free_port()
    server = processes(root, "serve", "serve", "--port", str(port), "--poll-interval", "0.2")
    scheduler = processes(root, "scheduler", "scheduler", "--interval", "0.5", "--no-webhooks")
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
        _wait("the server", lambda: _ready(client, server))
        first, later = july.iloc[:2_500], july.iloc[2_500:]
        assert _send(client, first) == {str(champion): 2_500 // BATCH}
        # The scheduler's monitor sees the drift, its alert opens an episode, the
        # pipeline retrains in its own process, and the gate passes the challenger.
        waiting = _wait(
            "a challenger awaiting approval",
            lambda: _state_in(ws, {S.AWAITING_APPROVAL, S.REJECTED, S.ABANDONED}),
        )
        assert waiting.state is S.AWAITING_APPROVAL, ws.loop.history(ENDPOINT)[-1].summary
        assert scheduler.poll() is None
        challenger = waiting.challenger_version
        assert challenger is not None and challenger != champion
        subprocess.run(
            _cli(root, "approve", ENDPOINT, "--reason", "gate figures look right"),
            env=_env(root),
            check=True,
            timeout=120,
        )
        _wait("the server to route to the canary", lambda: _has_canary(client, challenger))
        served = _send(client, later)
        assert served.get(str(challenger), 0) > 0 and served.get(str(champion), 0) > 0
        done = _wait("the canary's verdict", lambda: _state_in(ws, {S.PROMOTED, S.ROLLED_BACK}))
    decisions = ws.loop.history(ENDPOINT)
    assert done.state is S.PROMOTED, decisions[-1].summary
    assert [d.kind for d in decisions] == [
        "triggered",
        "training",
        "gating",
        "awaiting_approval",
        "canary",
        "promoted",
    ]
    approved = decisions[4]
    assert approved.actor == ws.user and "gate figures look right" in json.dumps(approved.evidence)
    assert ws.registry.get_model(MODEL).aliases["champion"] == challenger
    live = ws.serving.get_deployment(ENDPOINT)
    assert live.primary.model_version == challenger and live.canary is None
    # The promoted model's lineage reaches the alert that started its retraining.
    lineage = subprocess.run(
        _cli(root, "models", "lineage", f"{MODEL}@champion", "--json"),
        env=_env(root),
        capture_output=True,
        check=True,
        timeout=120,
    )
    text = lineage.stdout.decode()
    cause = done.trigger["payload"]["id"]
    [alert] = [a for a in ws.monitoring.alerts(rule="drift") if a.id == cause]
    assert (alert.model_version, alert.route) == (champion, "primary")
    assert "loop_episode" in text and cause in text


def _ready(client: httpx.Client, server: subprocess.Popen[bytes]) -> bool:
    assert server.poll() is None, "driftloop serve exited"
    try:
        return client.get("/v2/health/ready").status_code == 200
    except httpx.TransportError:
        return False


def _state_in(ws: dl.Workspace, states: set[EpisodeState]) -> Any:
    episodes = ws.loop.journal.episodes(ENDPOINT, limit=1)
    return episodes[0] if episodes and episodes[0].state in states else None


def _has_canary(client: httpx.Client, version: int) -> bool:
    deployment = client.get(f"/v1/endpoints/{ENDPOINT}").json().get("deployment") or {}
    return (deployment.get("canary") or {}).get("version") == version
