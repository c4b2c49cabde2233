"""Demo steps: the closed loop. Drift raised an alert; the scheduler's loop retrains, gates
the challenger against the champion, rolls it out as a canary, and promotes it; then a
teammate's broken retraining is stopped by the gate.

Everything goes through the real paths: the policy's trigger on the monitor's alert, the
scheduler's tick (with its registered monitor and loop jobs), the retraining pipeline in
its own process, deployments the running HTTP server picks up, and traffic with labels
that arrive after the answers.
"""

from __future__ import annotations

import time
from typing import Any

import httpx
import pandas as pd

from driftloop._demo._context import DemoContext
from driftloop._demo._http_server import serving
from driftloop._demo._loop_report import write_loop_report
from driftloop._demo._serving_step import ENDPOINT, Answered, _feed_back, _records, _send
from driftloop._demo._training import FEATURES, LABEL
from driftloop._workspace import Workspace
from driftloop.automation import Episode, EpisodeState

MODEL = "flight-delays"
PIPELINE = "driftloop._demo._retrain_pipeline:retrain"
GATE_ROWS = 2_000  # the latest labeled requests, held out of the retraining for the gate
BATCH = 100  # flights per request while the later months are replayed
TICK_S = 0.5
JULY_15 = pd.Timestamp("2013-07-15", tz="UTC")
S = EpisodeState


def set_up_loop(ctx: DemoContext) -> None:
    """The endpoint's autopilot, declared before any traffic (as a team would)."""
    from driftloop.automation import parse_policy

    policy = parse_policy(
        {
            "endpoint": ENDPOINT,
            "model": MODEL,
            "pipeline": PIPELINE,
            "triggers": [{"alert": "summer-drift"}, {"alert": "accuracy-drop"}],
            "params": {"endpoint": ENDPOINT, "holdout_rows": GATE_ROWS},
            "gate": {"metric": "roc_auc", "min_improvement": 0.005, "recent_rows": GATE_ROWS},
            "rollout": {
                "canary_weight": 0.3,
                "min_requests": 20,
                "min_labels": 1_000,
                "observe_minutes": 60,
                # A few thousand labeled rows per route measure ROC AUC to about +-0.02:
                # a smaller tolerance would roll back a better model on noise.
                "max_metric_drop": 0.02,
            },
            "cooldown_hours": 24,
        }
    )
    ctx.workspace.loop.set_policy(policy)
    ctx.say(
        f"Loop policy for {ENDPOINT}: on the alerts summer-drift or accuracy-drop, retrain "
        f"with {PIPELINE}; gate on ROC AUC (+0.005) over the latest {GATE_ROWS:,} labeled "
        "requests; canary at 30%, promoted once it has answered 1,000 labeled flights no "
        "worse than the champion."
    )


def close_the_loop(ctx: DemoContext) -> None:
    from driftloop.pipelines._scheduler import Scheduler
    from driftloop.serving import PredictionLogWriter, PredictionRecord
    from driftloop.serving._app import create_app
    from driftloop.serving._settings import ServeSettings

    ws = ctx.workspace
    later = _later_months(ctx)
    log = PredictionLogWriter(ws.blobs, ws.store)
    settings = ServeSettings(endpoints=(ENDPOINT,), poll_interval_s=0.2)
    app = create_app(ws, settings, prediction_log=log, make_record=PredictionRecord)
    scheduler = Scheduler(ws)
    with serving(app) as base:
        episode = ws.loop.journal.current(ENDPOINT)
        if episode is None:
            ctx.say("No alert opened a loop episode; nothing to retrain.")
            return
        ctx.say(f"Loop episode {episode.id[:8]} opened by: {_cause(episode)}.")
        fed = _replay(base, later[later["time_hour"] < JULY_15], log)
        ctx.say(f"Meanwhile {fed:,} more flights up to mid-July were answered and labeled.")
        episode = _tick_until(ctx, scheduler, {S.CANARY, *_ENDED})
        if episode.state is S.CANARY:
            _wait_for_server(base, ws.serving.get_deployment(ENDPOINT).version)
            fed = _replay(base, later[later["time_hour"] >= JULY_15], log)
            ctx.say(f"Mid-July to August: {fed:,} flights answered (30% by the canary), labeled.")
            episode = _tick_until(ctx, scheduler, _ENDED)
        bad = ws.loop.retrain(
            ENDPOINT, reason="a teammate's new label join", params={"corrupt_labels": True}
        )
        if bad is not None:
            ctx.say("A teammate retrains by hand with a broken label join (shuffled labels).")
            _tick_until(ctx, scheduler, _ENDED)
    _show_timeline(ctx)
    _summarize(ctx, later)


_ENDED = {S.PROMOTED, S.REJECTED, S.ROLLED_BACK, S.ABANDONED}


def _later_months(ctx: DemoContext) -> pd.DataFrame:
    from driftloop._demo._tracking_step import join_features

    flights = ctx.flights[ctx.flights["month"].between(6, 8)]
    sample = flights.groupby("month", group_keys=False).sample(frac=0.35, random_state=13)
    joined = join_features(ctx, sample.sort_values("time_hour"))
    return joined.dropna(subset=["temp", "humid", "pressure"]).reset_index(drop=True)


def _replay(base: str, frame: pd.DataFrame, log: Any) -> int:
    """Answer ``frame`` in requests of :data:`BATCH` flights, then send the labels back."""
    records = _records(frame[FEATURES])
    labels = frame[LABEL].astype(int).tolist()
    batches = [
        (records[i : i + BATCH], labels[i : i + BATCH]) for i in range(0, len(records), BATCH)
    ]
    answered: list[Answered] = _send(base, batches)
    log.flush()  # every answer in an indexed segment before its label arrives
    _feed_back(base, answered)
    return sum(len(a.labels) for a in answered if a.predictions)


def _tick_until(ctx: DemoContext, scheduler: Any, states: set[EpisodeState]) -> Episode:
    """Tick the scheduler (monitor and loop jobs) until the episode reaches ``states``."""
    journal = ctx.workspace.loop.journal
    seen = len(journal.history(ENDPOINT))
    deadline = time.monotonic() + 240
    while True:
        scheduler.tick()
        for decision in journal.history(ENDPOINT)[seen:]:
            ctx.say(f"  loop: [bold]{decision.kind}[/bold] - {decision.summary}")
        seen = len(journal.history(ENDPOINT))
        episode = journal.episodes(ENDPOINT, limit=1)[0]
        if episode.state in states:
            return episode
        if time.monotonic() > deadline:
            raise RuntimeError(f"the loop episode stayed {episode.state.value} for 4 minutes")
        time.sleep(TICK_S)


def _wait_for_server(base: str, version: int) -> None:
    with httpx.Client(base_url=base, timeout=10) as client:
        for _ in range(100):
            status = client.get(f"/v1/endpoints/{ENDPOINT}").json()
            if status.get("deployment", {}).get("version") == version:
                return
            time.sleep(0.1)
    raise RuntimeError(f"the server did not pick up deployment {version}")


def _cause(episode: Episode) -> str:
    payload = episode.trigger.get("payload") or {}
    value = payload.get("value")
    said = f"alert {episode.trigger.get('source')}"
    return f"{said} ({payload.get('metric')} = {value:.2f})" if value is not None else said


def _show_timeline(ctx: DemoContext) -> None:
    from rich.table import Table

    table = Table(title=f"Loop timeline of {ENDPOINT}", show_lines=False)
    for column in ("time", "decision", "what and why"):
        table.add_column(column, overflow="fold")
    for d in ctx.workspace.loop.history(ENDPOINT):
        table.add_row(d.at.strftime("%H:%M:%S"), d.kind, d.summary)
    ctx.console.print(table)


def _summarize(ctx: DemoContext, later: pd.DataFrame) -> None:
    ws = ctx.workspace
    episodes = ws.loop.journal.episodes(ENDPOINT)
    champion = ws.registry.get_model(MODEL).aliases.get("champion")
    aucs = _auc_by_month(
        ctx, later, sorted({e.champion_version or 1 for e in episodes} | {champion or 1})
    )
    page = write_loop_report(ws, ENDPOINT, aucs)
    ctx.say(f"Champion is now {MODEL}@{champion}. Loop report: {page}")
    ctx.say(
        f"See it with: driftloop loop history {ENDPOINT}; driftloop models lineage {MODEL}@champion"
    )
    ctx.summary["loop"] = {
        "episodes": [
            {"id": e.id, "state": e.state.value, "challenger": e.challenger_version}
            for e in episodes
        ],
        "champion_version": champion,
        "auc_by_month": aucs,
        "report": str(page),
    }


def _auc_by_month(
    ctx: DemoContext, later: pd.DataFrame, versions: list[int]
) -> dict[str, dict[int, float]]:
    """ROC AUC of each version per month of ``later``, on the months after its training
    data ends only: a score on flights it was trained on would flatter it. A version
    trained on every month of ``later`` gets no score (an empty mapping)."""
    from sklearn.metrics import roc_auc_score

    out: dict[str, dict[int, float]] = {}
    for version in versions:
        unseen = later[later["month"] > trained_through(ctx.workspace, version)]
        out[f"version {version}"] = {}
        if unseen.empty:
            continue
        model = ctx.workspace.registry.load(f"models:/{MODEL}/{version}")
        scores = model.predict_proba(unseen[FEATURES])[:, 1]
        out[f"version {version}"] = {
            month: float(roc_auc_score(unseen[LABEL][rows], scores[rows]))
            for month in sorted(unseen["month"].unique().tolist())
            for rows in [(unseen["month"] == month).to_numpy()]
        }
    return out


def trained_through(ws: Workspace, version: int) -> int:
    """The last month in the training data of ``version``: its run's ``train`` datasets."""
    run_id = ws.registry.resolve(f"{MODEL}@{version}").run_id
    inputs = ws.tracking.get_run(run_id).inputs if run_id else []
    months = [
        ws.datasets.get(i.ref).sql("select max(month) from data").fetchall()[0][0]
        for i in inputs
        if i.kind == "dataset" and i.role == "train"
    ]
    return int(max(months, default=0))
