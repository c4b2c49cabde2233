"""Loop efficacy: 2013 replayed three ways on the same traffic.

- loop off: the January-April model serves May to December;
- loop on: driftloop's real monitor, alerts, triggers, loop policy, retraining pipeline
  (in its own process), gate, canary and promotion decide what serves each week;
- monthly oracle: at the start of every month, a model retrained on every label known
  by then (the schedule a person with hindsight would pick).

Traffic is written to the real prediction log week by week, as a server would write
it (the route of each request drawn from the live deployment's canary weight); labels
come back one week late. Simulated time drives the monitor, the loop and its cooldown;
a retraining takes no simulated time (the bench waits for the real pipeline run).

Reports the served model's ROC AUC per month and overall for each, the retrainings,
and how many monitor windows after the summer shift (June 1) the drift alert fired.

    .venv/bin/python bench/loop.py [--sample 1.0] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from sklearn.metrics import roc_auc_score

import driftloop as dl
from driftloop._demo._flights import load_flights, load_planes, load_weather
from driftloop._demo._training import FEATURES, LABEL, PARAM_GRID, make_model
from driftloop.automation import EpisodeState, parse_policy
from driftloop.automation._scheduling import LoopJob, LoopTarget
from driftloop.automation._service import LoopService
from driftloop.automation._wiring import build_loop
from driftloop.monitoring import AlertRule, MonitorSpec
from driftloop.monitoring._job import MonitorJob
from driftloop.pipelines import register_trigger_target
from driftloop.pipelines._scheduler import Scheduler
from driftloop.serving import PredictionLogWriter, PredictionRecord

ENDPOINT = "flights"
MODEL = "flight-delays"
WINDOW_ROWS = 2_000
# Flights per request. Consecutive flights share an hour and its weather, so a request
# is one correlated unit: small requests spread a canary's share over many of them.
REQUEST_ROWS = 10
SHIFT = datetime(2013, 6, 1, tzinfo=UTC)
SEED = 13


class SimClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def joined_flights() -> pd.DataFrame:
    flights, weather, planes = load_flights(), load_weather(), load_planes()
    frame = flights.merge(weather, on=["origin", "time_hour"], how="left")
    frame = frame.merge(planes[["tailnum", "plane_year", "seats"]], on="tailnum", how="left")
    return frame.sort_values("time_hour").reset_index(drop=True)


def fit(frame: pd.DataFrame) -> Any:
    return make_model(PARAM_GRID[1], SEED).fit(frame[FEATURES], frame[LABEL])


def auc(labels: np.ndarray, scores: np.ndarray) -> float:
    return float(roc_auc_score(labels, scores))


def set_up(
    ws: dl.Workspace, train: pd.DataFrame, loop: LoopService, options: argparse.Namespace
) -> None:
    dl.set_workspace(ws)
    dl.log_dataset("flights-train", train[[*FEATURES, LABEL]], profile=False)
    with dl.start_run(experiment="bench-loop"):
        dl.log_input("flights-train@latest", role="train")
        logged = dl.log_model(
            fit(train), MODEL, input_example=train[FEATURES].head(5), register=True
        )
    assert logged.version is not None
    ws.registry.set_alias(MODEL, "champion", logged.version.version)
    ws.serving.deploy(ENDPOINT, f"{MODEL}@champion")
    ws.monitoring.define(
        ENDPOINT,
        MonitorSpec(
            ENDPOINT, window=None, window_rows=WINDOW_ROWS, target=LABEL, features=tuple(FEATURES)
        ),
    )
    ws.monitoring.define_alert(AlertRule("drift", ENDPOINT, "drift.share", 0.3, for_windows=2))
    loop.set_policy(
        parse_policy(
            {
                "endpoint": ENDPOINT,
                "model": MODEL,
                "pipeline": "driftloop._demo._retrain_pipeline:retrain",
                "triggers": [{"alert": "drift"}],
                "params": {"endpoint": ENDPOINT, "holdout_rows": 3_000},
                "gate": {"min_improvement": options.min_improvement, "recent_rows": 3_000},
                # At --sample 0.3 a week is ~2,000 flights, ~600 of them the canary's,
                # and labels come back a week late: two weeks give a verdict on ~600
                # labels, which measure ROC AUC to about +-0.02.
                "rollout": {
                    "canary_weight": 0.3,
                    "min_requests": 20,
                    "min_labels": 500,
                    "observe_minutes": 60 * 24 * 14,
                    "label_wait_hours": 24 * 14,
                    "max_metric_drop": 0.02,
                },
                # While the drift alert keeps firing, retry this often at most.
                "cooldown_hours": 24 * options.cooldown_days,
            }
        )
    )


def serve_week(
    ws: dl.Workspace, week: pd.DataFrame, log: PredictionLogWriter, models: dict[int, Any]
) -> tuple[np.ndarray, list[tuple[str, int, int]]]:
    """Answer a week of flights as the server would; the served P(late) and the labels owed."""
    live = ws.serving.get_deployment(ENDPOINT)
    rng = np.random.default_rng(len(week))
    served = np.empty(len(week))
    owed: list[tuple[str, int, int]] = []
    for start in range(0, len(week), REQUEST_ROWS):
        part = week.iloc[start : start + REQUEST_ROWS]
        route, version = "primary", live.primary.model_version
        if live.canary is not None and rng.random() < live.canary_weight:
            route, version = "canary", live.canary.model_version
        model = models.setdefault(version, ws.registry.load(f"models:/{MODEL}/{version}"))
        proba = np.asarray(model.predict_proba(part[FEATURES]))
        served[start : start + len(part)] = proba[:, 1]
        request_id = uuid.uuid4().hex
        outputs = pa.table(
            {
                "prediction": (proba[:, 1] > 0.5).astype("int64"),
                "proba.0": proba[:, 0],
                "proba.1": proba[:, 1],
            }
        )
        log.submit(
            PredictionRecord(
                request_id,
                part["time_hour"].iloc[0].to_pydatetime(),
                ENDPOINT,
                live.version,
                MODEL,
                version,
                route,
                200,
                5.0,  # type: ignore[arg-type]
                pa.Table.from_pandas(part[FEATURES], preserve_index=False),
                outputs,
            )
        )
        owed += [(request_id, i, int(y)) for i, y in enumerate(part[LABEL])]
    log.flush()
    return served, owed


def run_loop_on(
    later: pd.DataFrame, train: pd.DataFrame, options: argparse.Namespace
) -> dict[str, Any]:
    clock = SimClock(datetime(2013, 5, 1, tzinfo=UTC))
    root = tempfile.mkdtemp(prefix="driftloop-bench-loop-")
    with dl.Workspace(root) as ws:
        # The loop, its triggers and the scheduler all run on simulated time.
        loop = build_loop(ws, clock)
        register_trigger_target("loop", lambda _ws: LoopTarget(loop))
        set_up(ws, train, loop, options)
        scheduler = Scheduler(ws, clock=clock, jobs=[MonitorJob(ws), LoopJob(loop)])
        log = PredictionLogWriter(ws.blobs, ws.store).start()
        served = np.empty(len(later))
        owed: list[tuple[str, int, int]] = []
        weeks = later.groupby(later["time_hour"].dt.tz_convert(None).dt.to_period("W"), sort=True)
        offset = 0
        for _, week in weeks:
            clock.now = week["time_hour"].iloc[-1].to_pydatetime()
            scores, new_owed = serve_week(ws, week, log, {})
            served[offset : offset + len(week)] = scores
            offset += len(week)
            if owed:  # last week's labels arrive now
                labels = [{"request_id": r, "row_index": i, "label": y} for r, i, y in owed]
                ws.predictions.log_feedback(ENDPOINT, labels=labels)
            owed = new_owed
            tick_until_settled(loop, scheduler)
        log.close()
        episodes = loop.journal.episodes(ENDPOINT)
        windows = ws.monitoring.windows(ENDPOINT, route="primary")
        alerts = ws.monitoring.alerts(rule="drift")
        fired = sorted(a.fired_at for a in alerts)
        return {
            "served": served,
            "retrainings": len(episodes),
            "promotions": sum(e.state is EpisodeState.PROMOTED for e in episodes),
            "detection_windows": detection_delay(windows, alerts),
            "alerts_before_shift": [t.isoformat() for t in fired if t < SHIFT],
            "history": [(d.at.isoformat(), d.kind, d.summary) for d in loop.history(ENDPOINT)],
            "windows": [
                (w.start.isoformat(), w.model_version, w.rows, w.labeled_rows, w.metrics)
                for w in sorted(windows, key=lambda w: w.start)
            ],
            "alerts": [
                (a.window_start.isoformat(), a.fired_at.isoformat(), a.resolved_at, a.value)
                for a in ws.monitoring.alerts(rule="drift")
            ],
        }


def tick_until_settled(loop: LoopService, scheduler: Scheduler) -> None:
    """Tick; while a retraining runs (in its own process), wait for it without moving time."""
    for _ in range(3600):
        scheduler.tick()
        episode = loop.journal.current(ENDPOINT)
        if episode is None or episode.state is not EpisodeState.TRAINING:
            return
        time.sleep(0.5)


def detection_delay(windows: list[Any], alerts: list[Any]) -> int | None:
    """The first window after the shift that a drift alert on the model version serving it
    fired on or was still firing through, counted from 1. Only that version's alerts
    count: one of a version that no longer serves resolves only three windows after its
    last (the monitor computes no more windows for it)."""
    after = sorted((w for w in windows if w.start >= SHIFT), key=lambda w: w.start)
    for number, window in enumerate(after, start=1):
        for alert in alerts:
            if alert.model_version != window.model_version or alert.route != "primary":
                continue
            if (
                alert.window_start <= window.start
                and (alert.resolved_at or window.end) >= window.start
            ):
                return number
    return None


def run_oracle(train: pd.DataFrame, later: pd.DataFrame) -> np.ndarray:
    """Each month, a model fit on every label the endpoint could know by then: the
    training months and the replayed traffic before that month (not flights that were
    never traffic: with ``--sample`` below 1 that would hand the oracle more data)."""
    served = np.empty(len(later))
    for month, part in later.groupby("month"):
        model = fit(pd.concat([train, later[later["month"] < month]], ignore_index=True))
        served[(later["month"] == month).to_numpy()] = model.predict_proba(part[FEATURES])[:, 1]
    return served


def report(later: pd.DataFrame, arms: dict[str, np.ndarray]) -> dict[str, Any]:
    """ROC AUC per month, pooled over the year ("overall": mixing models whose scores are
    calibrated differently costs a little there) and the mean of the months."""
    labels = later[LABEL].to_numpy()
    months = sorted(later["month"].unique())
    table: dict[str, dict[Any, float]] = {}
    for name, scores in arms.items():
        rows = {int(m): (later["month"] == m).to_numpy() for m in months}
        monthly = {m: auc(labels[r], scores[r]) for m, r in rows.items()}
        overall = {
            "overall": auc(labels, scores),
            "monthly mean": float(np.mean([*monthly.values()])),
        }
        table[name] = monthly | overall
    print(f"{'month':>12} " + " ".join(f"{n:>10}" for n in arms))
    for key in [*months, "overall", "monthly mean"]:
        print(f"{key!s:>12} " + " ".join(f"{table[n][key]:>10.4f}" for n in arms))
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=float, default=1.0, help="share of the later flights")
    parser.add_argument("--json", dest="json_path", default=None)
    parser.add_argument(
        "--min-improvement", type=float, default=0.005, help="the gate's, in ROC AUC"
    )
    parser.add_argument("--cooldown-days", type=float, default=28.0)
    args = parser.parse_args()
    started = time.perf_counter()
    frame = joined_flights()
    train = frame[frame["month"] <= 4]
    later = frame[frame["month"] >= 5]
    if args.sample < 1:
        later = later.sample(frac=args.sample, random_state=SEED).sort_values("time_hour")
    later = later.reset_index(drop=True)
    off = fit(train).predict_proba(later[FEATURES])[:, 1]
    on = run_loop_on(later, train, args)
    oracle = run_oracle(train, later)
    table = report(later, {"loop off": off, "loop on": on["served"], "oracle": oracle})
    gap = table["oracle"]["overall"] - table["loop on"]["overall"]
    print(f"retrainings {on['retrainings']} (promoted {on['promotions']}); oracle retrains 8")
    print(
        f"drift alert firing on window {on['detection_windows']} of {WINDOW_ROWS:,} rows after"
        f" June 1 (fired before June 1: {on['alerts_before_shift']})"
    )
    print(f"loop on is {gap:+.4f} AUC from the oracle (target: within 0.02)")
    print(f"took {time.perf_counter() - started:.0f} s")
    if args.json_path:
        out = {k: v for k, v in on.items() if k != "served"} | {"auc": table, "gap": gap}
        with open(args.json_path, "w", encoding="utf-8") as handle:
            json.dump(out, handle, indent=2, default=str)


if __name__ == "__main__":
    sys.exit(main())
