"""One workspace shared by threads: resources built once, a user per view, runs per thread."""

from __future__ import annotations

import contextvars
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pytest

import driftloop as dl
from driftloop.errors import InvalidInputError
from driftloop.testing import temporary_workspace


def test_a_workspace_is_a_context_manager_that_closes_its_resources_once(tmp_path: Path) -> None:
    dl.init_workspace(tmp_path / "ws").close()
    with dl.Workspace(tmp_path / "ws") as ws:
        writer = ws.resources.metric_writer
        assert ws.resources.metric_writer is writer  # built once
        run_id = ws.tracking.create_run("exp")
        ws.tracking.log_metric(run_id, "m", 1.0, 0, 0)
    assert ws.resources.is_closed
    ws.close()  # a second close is harmless
    with dl.Workspace(tmp_path / "ws") as again:  # closing flushed the buffered value
        assert [m.value for m in again.tracking.metric_history(run_id, "m")] == [1.0]
    with pytest.raises(InvalidInputError, match="closed"):
        _ = ws.resources.online_store


def test_acting_as_records_the_user_of_each_view_and_shares_the_resources(
    workspace: dl.Workspace,
) -> None:
    ana = workspace.acting_as("ana")
    bo = workspace.acting_as("bo")
    assert ana.resources is workspace.resources and bo.store is workspace.store
    assert ana.tracking.writer is bo.tracking.writer is workspace.tracking.writer
    first = ana.tracking.create_run("shared")
    second = bo.tracking.create_run("shared")
    assert workspace.tracking.get_run(first).user == "ana"
    assert workspace.tracking.get_run(second).user == "bo"
    bo.close()  # a view closes nothing
    assert not workspace.resources.is_closed
    assert workspace.tracking.get_run(first).user == "ana"


def test_acting_as_refuses_an_empty_user(workspace: dl.Workspace) -> None:
    with pytest.raises(InvalidInputError, match="user"):
        workspace.acting_as("  ")


def test_a_model_alias_move_names_the_acting_user(workspace: dl.Workspace) -> None:
    from sklearn.linear_model import LogisticRegression

    frame = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0]})
    model = LogisticRegression().fit(frame, [0, 0, 1, 1])
    run_id = workspace.tracking.create_run("models")
    workspace.acting_as("ana").registry.log_model(
        run_id, model, "m", register=True, input_example=frame
    )
    event = workspace.acting_as("carla").registry.set_alias("m", "champion", 1)
    assert event.user == "carla"
    assert workspace.registry.get_version("m", 1).created_by == "ana"


def test_two_threads_each_run_their_own_run(workspace: dl.Workspace) -> None:
    barrier = threading.Barrier(2)
    seen: dict[str, str] = {}
    errors: list[BaseException] = []

    def train(name: str) -> None:
        try:
            with dl.start_run(experiment="threads", name=name) as run:
                barrier.wait(timeout=30)  # both runs are active at once
                for step in range(50):
                    dl.log_metric("loss", float(step), step=step)
                dl.log_param("who", name)
                seen[name] = run.id
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=train, args=(n,)) for n in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert seen["a"] != seen["b"]
    for name, run_id in seen.items():
        run = dl.get_run(run_id)
        assert run.params == {"who": name}
        assert run.status.value == "finished"
        assert len(dl.get_metric_history(run_id, "loss")) == 50
    assert dl.active_run() is None  # the main thread never had a run


def test_a_loader_thread_logs_to_the_main_threads_run(workspace: dl.Workspace) -> None:
    with dl.start_run(experiment="loader") as run:

        def load() -> None:
            assert dl.active_run() is None  # a new thread starts with no run
            with dl.attach_run(run):
                for i in range(100):
                    dl.log_metric("rows", float(i))
            assert dl.active_run() is None  # attaching does not leak past the block

        thread = threading.Thread(target=load)
        thread.start()
        thread.join()
        dl.log_metric("epoch", 1.0)
    assert [m.step for m in dl.get_metric_history(run.id, "rows")] == list(range(100))
    assert dl.get_run(run.id).metrics == {"rows": 99.0, "epoch": 1.0}


def test_a_copied_context_hands_the_run_to_a_worker(workspace: dl.Workspace) -> None:
    with dl.start_run(experiment="ctx") as run:
        context = contextvars.copy_context()
        with ThreadPoolExecutor(1) as pool:
            pool.submit(context.run, dl.log_param, "from", "worker").result()
    assert dl.get_run(run.id).params == {"from": "worker"}


def test_a_thousand_concurrent_calls_through_one_workspace_lose_nothing(
    workspace: dl.Workspace,
) -> None:
    tracking = workspace.tracking
    run_id = tracking.create_run("pool")

    def call(i: int) -> None:
        view = workspace.acting_as(f"user-{i % 7}")
        view.tracking.log_metric(run_id, f"m{i % 10}", float(i), i, i)
        if i % 5 == 0:
            view.tracking.set_tags(run_id, {f"t{i}": i})
        if i % 50 == 0:
            view.tracking.get_run(run_id)

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(call, range(1000)))
    run = tracking.get_run(run_id)
    assert len(run.tags) == 200
    stored = [tracking.metric_history(run_id, f"m{k}") for k in range(10)]
    assert sum(len(values) for values in stored) == 1000
    assert sorted(m.value for values in stored for m in values) == [float(i) for i in range(1000)]


def test_seeds_are_recorded_per_thread_and_draws_repeat(workspace: dl.Workspace) -> None:
    import random

    import numpy as np

    dl.seed_everything(7)
    first = (random.random(), np.random.rand())
    dl.seed_everything(7)
    assert (random.random(), np.random.rand()) == first
    with dl.start_run(experiment="seeds") as seeded:
        pass
    box: dict[str, str] = {}

    def other() -> None:
        with dl.start_run(experiment="seeds") as run:
            box["id"] = run.id

    thread = threading.Thread(target=other)
    thread.start()
    thread.join()
    assert dl.get_run(seeded.id).seed == 7
    assert dl.get_run(box["id"]).seed is None  # that thread never called seed_everything


def test_a_training_set_logged_through_workspace_b_links_only_bs_run(tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    weather = dl.FeatureView(
        "weather",
        entities=[dl.Entity("airport", join_keys=["origin"])],
        source="weather",
        timestamp="ts",
        ttl=timedelta(hours=3),
        features=[dl.Feature("temp")],
    )
    t0 = datetime(2024, 1, 1, tzinfo=UTC)
    rows = pd.DataFrame({"origin": ["JFK"], "ts": [t0], "temp": [3.5]})
    entity = pd.DataFrame({"origin": ["JFK"], "ts": [t0 + timedelta(hours=1)]})
    with (
        temporary_workspace(tmp_path / "a") as ws_a,
        temporary_workspace(tmp_path / "b") as ws_b,
    ):
        dl.set_workspace(ws_a)
        ws_b.datasets.log("weather", rows)
        ws_b.features.apply([weather])
        with dl.start_run(experiment="a") as run_a:  # a run active in workspace A
            run_b = ws_b.tracking.create_run("b")
            result = ws_b.features.get_training_set(
                entity, ["weather:temp"], event_timestamp="ts", log=True, run_id=run_b
            )
        assert result.to_pandas()["temp"].tolist() == [3.5]
        assert ws_a.tracking.get_run(run_a.id).inputs == ()
        inputs = {(i.kind, i.ref) for i in ws_b.tracking.get_run(run_b).inputs}
        assert inputs == {("dataset", "training-set@1"), ("feature_view", "weather@1")}
        dl.set_workspace(None)
