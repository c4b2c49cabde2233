"""The same pipelines on a real local Ray (2 CPUs, a 100 MB object store, no dashboard).

The session fixture starts Ray once per test process and shuts it down at the end; the
executor joins it. Records, caching, retries, timeouts and logs are the local
executor's, checked here through the same public service.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import driftloop as dl
from driftloop.errors import InvalidInputError
from driftloop.pipelines._ray import RayExecutor, connect_ray

from .conftest import WriteModule

pytestmark = pytest.mark.slow  # a real Ray instance and its worker processes

FLOW = """
@dl.step
def numbers(n: int) -> pd.DataFrame:
    print(f"{n} numbers from pid {os.getpid()}")
    return pd.DataFrame({"x": range(n)})

@dl.step
def total(df: pd.DataFrame) -> int:
    return int(df["x"].sum())

@dl.step
def count(df: pd.DataFrame) -> int:
    return len(df)

@dl.step
def mean(total: int, count: int) -> float:
    return total / count

@dl.pipeline
def stats(n: int = 10):
    df = numbers(n)
    mean(total(df), count(df))
"""

FLAKY = """
@dl.step(retries=1, retry_delay=0.01)
def flaky(marker: str) -> str:
    path = Path(marker)
    if not path.exists():
        path.write_text("failed once")
        raise RuntimeError("first attempt fails")
    return "second attempt"

@dl.step(timeout=0.5, cache=False)
def slow() -> int:
    time.sleep(60)
    return 1

@dl.step(cpus=2, memory="64MB", cache=False)
def resources() -> dict:
    import ray
    return ray.get_runtime_context().get_assigned_resources()

@dl.step(cpus=16)
def greedy() -> int:
    return 1

@dl.pipeline
def retried(marker: str):
    flaky(marker)

@dl.pipeline
def timed():
    slow()

@dl.pipeline
def asks():
    resources()

@dl.pipeline
def asks_too_much():
    greedy()
"""


@pytest.fixture(scope="session")
def local_ray() -> Iterator[Any]:
    ray = connect_ray(None)  # starts the small local instance of the module docstring
    yield ray
    ray.shutdown()


def test_a_pipeline_runs_on_ray_with_the_same_records_logs_and_cache(
    local_ray: Any, sqlite_workspace: dl.Workspace, write_module: WriteModule
) -> None:
    flow = write_module(FLOW)
    run = sqlite_workspace.pipelines.run(flow.stats, {"n": 10}, executor="ray")
    assert run.status is dl.StepStatus.SUCCEEDED, run.error
    assert run.executor == "ray"
    assert [(s.name, s.status.value, s.attempt) for s in run.steps] == [
        ("numbers", "succeeded", 1),
        ("total", "succeeded", 1),
        ("count", "succeeded", 1),
        ("mean", "succeeded", 1),
    ]
    stdout, _ = sqlite_workspace.pipelines.step_logs(run.id, "numbers")
    assert stdout.startswith("10 numbers from pid ")
    again = sqlite_workspace.pipelines.run(flow.stats, {"n": 10}, executor="ray")
    assert [s.status.value for s in again.steps] == ["cached"] * 4
    # One cache for every executor: the local executor reuses what Ray stored.
    local = sqlite_workspace.pipelines.run(flow.stats, {"n": 10})
    assert [s.status.value for s in local.steps] == ["cached"] * 4
    changed = sqlite_workspace.pipelines.run(flow.stats, {"n": 11}, executor="ray")
    assert [s.status.value for s in changed.steps] == ["succeeded"] * 4


def test_failures_on_ray_are_retried_and_timeouts_stop_the_task(
    local_ray: Any, sqlite_workspace: dl.Workspace, write_module: WriteModule, tmp_path: Any
) -> None:
    flows = write_module(FLAKY)
    retried = sqlite_workspace.pipelines.run(
        flows.retried, {"marker": str(tmp_path / "marker")}, executor="ray"
    )
    assert retried.status is dl.StepStatus.SUCCEEDED, retried.error
    assert retried.step("flaky").attempt == 2
    timed = sqlite_workspace.pipelines.run(flows.timed, executor="ray")
    assert timed.status is dl.StepStatus.FAILED
    assert "longer than its timeout of 0.5 s" in (timed.step("slow").error or "")


def test_step_resources_reach_ray_and_an_impossible_request_fails_at_once(
    local_ray: Any, sqlite_workspace: dl.Workspace, write_module: WriteModule
) -> None:
    flows = write_module(FLAKY)
    asks = sqlite_workspace.pipelines.run(flows.asks, executor="ray")
    assert asks.status is dl.StepStatus.SUCCEEDED, asks.error
    from driftloop.pipelines._outputs import load_output

    output = asks.step("resources").output
    assert output is not None
    assigned = load_output(sqlite_workspace.blobs, output, lambda kind, ref: None)
    assert assigned["CPU"] == 2.0 and assigned["memory"] == 64_000_000
    greedy = sqlite_workspace.pipelines.run(flows.asks_too_much, executor="ray")
    assert greedy.status is dl.StepStatus.FAILED
    assert "asks for 16 CPUs but the Ray cluster has 2 CPUs" in (greedy.step("greedy").error or "")


def test_a_bad_ray_address_is_refused_naming_the_form(local_ray: Any) -> None:
    with pytest.raises(InvalidInputError, match="give 'ray://host:port'"):
        RayExecutor("http://head:10001")


def test_a_cancelled_run_on_ray_cancels_its_task(
    local_ray: Any, sqlite_workspace: dl.Workspace, write_module: WriteModule, tmp_path: Any
) -> None:
    import threading

    from .test_cancel import SLEEPY, _gone, _worker_pid

    flows = write_module(SLEEPY)
    marker = tmp_path / "marker"
    done: list[dl.PipelineRun] = []
    runner = threading.Thread(
        target=lambda: done.append(
            sqlite_workspace.pipelines.run(flows.flow, {"marker": str(marker)}, executor="ray")
        )
    )
    runner.start()
    pid = _worker_pid(marker, timeout=120)  # the Ray worker running the task
    (running,) = sqlite_workspace.pipelines.list_runs()
    sqlite_workspace.pipelines.cancel_run(running.id)
    runner.join(60)
    assert not runner.is_alive(), "the run did not stop"
    (run,) = done
    assert run.status is dl.StepStatus.CANCELLED
    assert [s.status.value for s in run.steps] == ["cancelled", "cancelled"]
    assert _gone(pid, timeout=30), f"the Ray worker {pid} is still alive"  # force=True
