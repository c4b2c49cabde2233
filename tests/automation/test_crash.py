"""A scheduler SIGKILLed between any two steps of the loop: the next one carries on.

Each scenario kills a real process running the loop right after its k-th step that
changes the world (a pipeline submitted, a deployment made, a decision recorded), then
checks the workspace a person would see, then lets a fresh process finish. The
deployments, the registry and the pipeline runs are the real ones; only the gate's
measurements and the canary's live figures are fixed, so every run takes the same path.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

import driftloop as dl
from driftloop.automation import EpisodeState, parse_policy

pytestmark = pytest.mark.slow  # real processes killed and restarted

TRAIN_MODULE = """
import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
import driftloop as dl

@dl.step
def fit() -> int:
    rng = np.random.default_rng(1)
    x = pd.DataFrame({"a": rng.normal(size=60), "b": rng.normal(size=60)})
    y = (x["a"] > 0).astype(int)
    with dl.start_run():
        logged = dl.log_model(LogisticRegression().fit(x, y), "churn", input_example=x,
                              training_data=x, register=True)
    return logged.version.version

@dl.pipeline
def retrain():
    fit()
"""

SCHEDULER = """
import os, signal, sys, time
import driftloop as dl
from driftloop.automation import ModelEvidence, RouteStats
from driftloop.automation._service import LoopParts, LoopService
from driftloop.automation._serving import DeploymentRouter
from driftloop.automation._training import PipelineTrainer
from driftloop.store import utcnow

root, kill_after = sys.argv[1], int(sys.argv[2])
window = sys.argv[3] if len(sys.argv) > 3 else ""
calls = 0

if window:  # die inside the promotion: once its deployment row is flushed, or committed
    from sqlalchemy import event
    from sqlalchemy.orm import Session
    from driftloop.store import DeploymentRow

    @event.listens_for(Session, "after_flush")
    def flushed(session, context):
        if any(isinstance(o, DeploymentRow) and o.action == "promote" for o in session.new):
            session.info["promotion"] = True
            if window == "flushed":
                os.kill(os.getpid(), signal.SIGKILL)

    @event.listens_for(Session, "after_commit")
    def committed(session):
        if window == "committed" and session.info.get("promotion"):
            os.kill(os.getpid(), signal.SIGKILL)

def counted(fn):
    def step(*args, **kwargs):
        global calls
        result = fn(*args, **kwargs)
        calls += 1
        if calls == kill_after:
            os.kill(os.getpid(), signal.SIGKILL)
        return result
    return step

class FixedEvidence:
    def evidence(self, policy, version, now):
        return ModelEvidence({"recent": 0.9 if version >= 2 else 0.7})

class GoodCanary:
    def route_stats(self, policy, since, now):
        return (RouteStats(500, 0, 5.0, 100, 0.9), RouteStats(1000, 0, 5.0, 200, 0.7))

class Quiet:
    def notify(self, endpoint, kind, summary):
        pass

ws = dl.Workspace(root)
trainer = PipelineTrainer(ws.pipelines)
trainer.submit = counted(trainer.submit)
router = DeploymentRouter(ws.serving)
router.start_canary = counted(router.start_canary)
router.promote = counted(router.promote)
notifier = Quiet()
notifier.notify = counted(notifier.notify)
parts = LoopParts(trainer, FixedEvidence(), router, GoodCanary(), notifier)
loop = LoopService(ws.store, parts, utcnow, "loop")
for _ in range(1200):
    episodes = loop.tick()
    if not episodes or episodes[0].state.is_terminal:
        break
    time.sleep(0.05)
"""


def _first_model(ws: dl.Workspace) -> None:
    rng = np.random.default_rng(0)
    x = pd.DataFrame({"a": rng.normal(size=60), "b": rng.normal(size=60)})
    run_id = ws.tracking.create_run("churn")
    ws.registry.log_model(
        run_id,
        LogisticRegression().fit(x, (x["b"] > 0).astype(int)),
        "churn",
        register=True,
        input_example=x,
        training_data=x,
    )
    ws.tracking.end_run(run_id)
    ws.registry.set_alias("churn", "champion", 1)
    ws.serving.deploy("churn", "churn@champion")


@pytest.fixture
def code_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "code"
    folder.mkdir()
    (folder / "crash_training.py").write_text(textwrap.dedent(TRAIN_MODULE), encoding="utf-8")
    (folder / "crash_scheduler.py").write_text(SCHEDULER, encoding="utf-8")
    paths = [str(folder), os.environ.get("PYTHONPATH", "")]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in paths if p))
    monkeypatch.syspath_prepend(str(folder))  # setting the policy checks its pipeline imports
    return folder


def _scheduler(code_dir: Path, root: Path, kill_after: int, window: str = "") -> int:
    done = subprocess.run(
        [sys.executable, str(code_dir / "crash_scheduler.py"), str(root), str(kill_after), window],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    if done.returncode not in (0, -9):
        raise AssertionError(f"the scheduler failed:\n{done.stderr}")
    return done.returncode


def _check_what_a_person_sees(ws: dl.Workspace) -> None:
    live = ws.serving.get_deployment("churn")
    assert live.primary.model_version in (1, 2)  # never an endpoint pointing at nothing
    # champion names what the endpoint serves: never v2 serving under a v1 champion
    assert ws.registry.get_model("churn").aliases["champion"] == live.primary.model_version
    canaries = {d.canary.model_version for d in ws.serving.history("churn") if d.canary}
    assert canaries <= {2}  # never a second challenger on the endpoint
    open_episodes = [e for e in ws.loop.journal.episodes("churn") if not e.state.is_terminal]
    assert len(open_episodes) <= 1


def _start_an_episode(root: Path) -> None:
    with dl.Workspace(root) as ws:
        _first_model(ws)
        ws.loop.set_policy(
            parse_policy(
                {
                    "endpoint": "churn",
                    "model": "churn",
                    "pipeline": "crash_training:retrain",
                    "triggers": [{"alert": "churn-drift"}],
                }
            )
        )
        assert ws.loop.on_trigger("churn", {"kind": "alert", "source": "churn-drift"})


def _check_it_finished(root: Path) -> None:
    with dl.Workspace(root) as ws:
        _check_what_a_person_sees(ws)
        (episode,) = ws.loop.journal.episodes("churn")
        assert episode.state is EpisodeState.PROMOTED
        live = ws.serving.get_deployment("churn")
        assert (live.primary.model_version, live.canary) == (2, None)
        assert ws.registry.get_model("churn").aliases["champion"] == 2
        runs = [r for r in ws.pipelines.list_runs() if r.trigger_event_id == f"loop:{episode.id}"]
        assert len(runs) == 1  # the retraining was submitted once, whatever died when
        kinds = [d.kind for d in ws.loop.history("churn")]
        assert kinds == ["triggered", "training", "gating", "canary", "promoted"]


# k-th world-changing step the scheduler dies after: submit, decision (training), decision
# (gating), canary deployed, decision (canary), promotion deployed, decision (promoted).
@pytest.mark.parametrize("kill_after", range(1, 8))
def test_a_scheduler_killed_between_steps_leaves_a_state_the_next_one_finishes(
    tmp_path: Path, code_dir: Path, kill_after: int
) -> None:
    root = tmp_path / "ws"
    _start_an_episode(root)
    assert _scheduler(code_dir, root, kill_after) == -9
    with dl.Workspace(root) as ws:
        _check_what_a_person_sees(ws)
    assert _scheduler(code_dir, root, 0) == 0
    _check_it_finished(root)


# Inside the promotion: its deployment row written but not committed (the champion alias
# not yet moved), and both committed. It used to be two transactions, deployment first.
@pytest.mark.parametrize("window", ["flushed", "committed"])
def test_a_scheduler_killed_inside_a_promotion_never_splits_serving_from_champion(
    tmp_path: Path, code_dir: Path, window: str
) -> None:
    root = tmp_path / "ws"
    _start_an_episode(root)
    assert _scheduler(code_dir, root, 0, window) == -9
    with dl.Workspace(root) as ws:
        _check_what_a_person_sees(ws)
        promotions = [d for d in ws.serving.history("churn") if d.action == "promote"]
        assert len(promotions) == (1 if window == "committed" else 0)
    assert _scheduler(code_dir, root, 0) == 0
    _check_it_finished(root)
