"""Running pipelines in real worker processes: records, outputs by reference, logs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import driftloop as dl
from driftloop.pipelines._outputs import UnstorableOutputError, load_output, store_output

from .conftest import WriteModule

pytestmark = pytest.mark.slow  # starts worker processes

KINDS = """
@dl.step
def frame(n: int) -> pd.DataFrame:
    print(f"making {n} rows")
    print("a warning", file=sys.stderr)
    os.system("echo from a subprocess")
    return pd.DataFrame({"x": range(n)})

@dl.step
def table(df: pd.DataFrame):
    import pyarrow as pa
    return pa.Table.from_pandas(df)

@dl.step
def array(t) -> np.ndarray:
    return np.asarray(t.column("x"))

@dl.step
def plain(a: np.ndarray) -> dict:
    return {"sum": int(a.sum()), "type": type(a).__name__}

@dl.step
def version(df: pd.DataFrame):
    return dl.log_dataset("numbers", df)

@dl.step
def rows(v) -> int:
    return v.num_rows

@dl.pipeline
def kinds(n: int = 4):
    df = frame(n)
    plain(array(table(df)))
    rows(version(df))
"""


def test_each_kind_of_output_is_stored_and_passed_by_reference(
    workspace: dl.Workspace, write_module: WriteModule
) -> None:
    module = write_module(KINDS)
    run = workspace.pipelines.run(module.kinds, {"n": 4})
    assert run.status is dl.StepStatus.SUCCEEDED, run.error
    assert [s.status.value for s in run.steps] == ["succeeded"] * 6
    kinds = {s.name: s.output.kind for s in run.steps if s.output}
    assert kinds == {
        "frame": "pandas",
        "table": "arrow",
        "array": "numpy",
        "plain": "pickle",
        "version": "dataset_version",
        "rows": "pickle",
    }
    assert workspace.pipelines.load_output(run.id, "plain") == {"sum": 6, "type": "ndarray"}
    assert workspace.pipelines.load_output(run.id, "rows") == 4
    assert isinstance(workspace.pipelines.load_output(run.id, "table"), pa.Table)
    step = run.step("frame")
    assert step.started_at and step.ended_at and step.duration_s is not None
    assert step.attempt == 1
    assert run.step("table").upstream == ("frame",)
    assert run.step("version").links == (
        ("dataset_version", "numbers@1", "created"),
        ("dataset_version", "numbers@1", "output"),
    )
    assert run.params == {"n": 4}


def test_stdout_and_stderr_are_captured_with_subprocess_output(
    sqlite_workspace: dl.Workspace, write_module: WriteModule
) -> None:
    module = write_module(KINDS)
    run = sqlite_workspace.pipelines.run(module.kinds, {"n": 2})
    stdout, stderr = sqlite_workspace.pipelines.step_logs(run.id, "frame")
    assert "making 2 rows" in stdout
    assert "from a subprocess" in stdout
    assert "a warning" in stderr


def test_an_output_that_cannot_be_stored_fails_naming_the_step_and_type(
    sqlite_workspace: dl.Workspace, write_module: WriteModule
) -> None:
    module = write_module(
        """
        @dl.step
        def make_lock():
            import threading
            return threading.Lock()

        @dl.pipeline
        def locked():
            make_lock()
        """
    )
    run = sqlite_workspace.pipelines.run(module.locked)
    assert run.status is dl.StepStatus.FAILED
    assert "UnstorableOutputError" in (run.error or "")
    assert "step 'make_lock' returned a _thread.lock, which cannot be stored" in (run.error or "")


def test_store_and_load_round_trip_without_a_worker(sqlite_workspace: dl.Workspace) -> None:
    blobs = sqlite_workspace.blobs
    resolve = sqlite_workspace.pipelines._resolve
    frame = pd.DataFrame({"a": [1.5, 2.5]})
    for value in (frame, pa.table({"a": [1]}), np.arange(3), {"k": [1]}, None):
        ref = store_output(blobs, "s", value)
        back = load_output(blobs, ref, resolve)
        if isinstance(value, pd.DataFrame):
            pd.testing.assert_frame_equal(back, value)
        elif isinstance(value, np.ndarray):
            np.testing.assert_array_equal(back, value)
        elif isinstance(value, pa.Table):
            assert back.equals(value)
        else:
            assert back == value
    with pytest.raises(UnstorableOutputError, match=r"step 's' returned a builtins\.function"):
        store_output(blobs, "s", lambda: 1)


def test_parameters_are_checked_before_any_row_is_written(
    sqlite_workspace: dl.Workspace, write_module: WriteModule
) -> None:
    module = write_module(KINDS)
    with pytest.raises(dl.InvalidInputError, match="parameter 'n' of pipeline 'kinds' must be int"):
        sqlite_workspace.pipelines.run(module.kinds, {"n": "four"})
    assert sqlite_workspace.pipelines.list_runs() == []


def test_a_pipeline_is_found_again_by_module_path_and_by_name(
    sqlite_workspace: dl.Workspace, write_module: WriteModule
) -> None:
    module = write_module(KINDS)
    first = sqlite_workspace.pipelines.run(f"{module.__name__}:kinds", {"n": 3})
    again = dl.run_pipeline("kinds", {"n": 3})
    assert first.target == again.target == f"{module.__name__}:kinds"
    assert [s.status.value for s in again.steps] == ["cached"] * 6
    with pytest.raises(dl.NotFoundError, match="no pipeline named 'nope'"):
        sqlite_workspace.pipelines.run("nope")
    with pytest.raises(dl.InvalidInputError, match="not a pipeline"):
        sqlite_workspace.pipelines.run(f"{module.__name__}:frame")


def test_two_runs_at_once_in_one_process_keep_their_own_results(
    sqlite_workspace: dl.Workspace, write_module: WriteModule
) -> None:
    import threading

    module = write_module(KINDS)
    runs: dict[int, dl.PipelineRun] = {}

    def go(n: int) -> None:
        runs[n] = sqlite_workspace.pipelines.run(module.kinds, {"n": n}, no_cache=True)

    threads = [threading.Thread(target=go, args=(n,)) for n in (3, 5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert runs[3].succeeded and runs[5].succeeded, (runs[3].error, runs[5].error)
    assert sqlite_workspace.pipelines.load_output(runs[3].id, "plain")["sum"] == 3
    assert sqlite_workspace.pipelines.load_output(runs[5].id, "plain")["sum"] == 10


def test_gc_keeps_step_outputs_and_logs(
    sqlite_workspace: dl.Workspace, write_module: WriteModule
) -> None:
    from datetime import timedelta

    from driftloop.artifacts._gc import GarbageCollector

    module = write_module(KINDS)
    run = sqlite_workspace.pipelines.run(module.kinds, {"n": 3})
    GarbageCollector(sqlite_workspace.store, sqlite_workspace.blobs).collect(grace=timedelta(0))
    assert sqlite_workspace.pipelines.load_output(run.id, "plain") == {"sum": 3, "type": "ndarray"}
    assert "making 3 rows" in sqlite_workspace.pipelines.step_logs(run.id, "frame")[0]
    again = sqlite_workspace.pipelines.run(module.kinds, {"n": 3})
    assert {s.status.value for s in again.steps} == {"cached"}


SPLIT = """
@dl.step(outputs=2)
def split(n: int):
    frame = pd.DataFrame({"x": range(n)})
    return frame[frame.x % 2 == 0], frame[frame.x % 2 == 1]

@dl.step
def count(part: pd.DataFrame) -> int:
    return len(part)

@dl.step(outputs=2)
def wrong():
    return 1

@dl.pipeline
def halves(n: int = 5):
    even, odd = split(n)
    count(even)
    count(odd)

@dl.pipeline
def broken():
    wrong()
"""


def test_a_step_with_several_outputs_passes_each_on_its_own(
    sqlite_workspace: dl.Workspace, write_module: WriteModule
) -> None:
    module = write_module(SPLIT)
    run = sqlite_workspace.pipelines.run(module.halves, {"n": 5})
    assert run.succeeded, run.error
    assert sqlite_workspace.pipelines.load_output(run.id, "count") == 3
    assert sqlite_workspace.pipelines.load_output(run.id, "count_2") == 2
    both = sqlite_workspace.pipelines.load_output(run.id, "split")
    assert [len(part) for part in both] == [3, 2]
    assert run.step("split").output.kind == "tuple"
    failed = sqlite_workspace.pipelines.run(module.broken)
    assert "step 'wrong' declares outputs=2 but returned builtins.int" in (failed.error or "")
