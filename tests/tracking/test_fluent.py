from __future__ import annotations

import pytest

import driftloop as dl


def test_run_records_params_metrics_tags_and_finishes(workspace: dl.Workspace) -> None:
    with dl.start_run(experiment="churn", name="rf-depth-8") as run:
        dl.log_params({"model": "rf", "max_depth": 8})
        for i in range(5):
            dl.log_metric("loss", 1.0 / (i + 1))
        dl.set_tag("team", "growth")
    stored = dl.get_run(run.id)
    assert stored.status == dl.RunStatus.FINISHED
    assert stored.params == {"model": "rf", "max_depth": "8"}
    assert stored.metrics["loss"] == pytest.approx(0.2)
    assert stored.tags == {"team": "growth"}
    assert [m.step for m in dl.get_metric_history(run.id, "loss")] == [0, 1, 2, 3, 4]


def test_exception_marks_run_failed_and_keeps_what_was_logged(workspace: dl.Workspace) -> None:
    with pytest.raises(RuntimeError, match="diverged"), dl.start_run(experiment="e") as run:
        dl.log_param("lr", 0.1)
        for i in range(1000):
            dl.log_metric("loss", float(i))
        raise RuntimeError("diverged")
    stored = dl.get_run(run.id)
    assert stored.status == dl.RunStatus.FAILED
    assert stored.end_time is not None
    assert stored.params == {"lr": "0.1"}
    assert len(dl.get_metric_history(run.id, "loss")) == 1000
    assert stored.tags["driftloop.error"] == "RuntimeError: diverged"


def test_keyboard_interrupt_marks_run_killed(workspace: dl.Workspace) -> None:
    with pytest.raises(KeyboardInterrupt), dl.start_run() as run:
        raise KeyboardInterrupt
    assert dl.get_run(run.id).status == dl.RunStatus.KILLED


def test_nested_runs_need_nested_true_and_record_their_parent(workspace: dl.Workspace) -> None:
    with dl.start_run(experiment="sweep") as parent:
        with pytest.raises(dl.ConflictError, match="nested=True"):
            dl.start_run()
        with dl.start_run(nested=True, name="child") as child:
            dl.log_metric("auc", 0.7)
    stored = dl.get_run(child.id)
    assert stored.parent_run_id == parent.id
    assert stored.experiment == "sweep"
    assert len(dl.search_runs("sweep", filter=f"parent_run_id = '{parent.id}'")) == 1


def test_resume_by_id_appends_to_the_same_run(workspace: dl.Workspace) -> None:
    with dl.start_run(experiment="e") as run:
        dl.log_metric("loss", 3.0)
    with dl.start_run(run_id=run.id):
        dl.log_metric("loss", 2.0)
    history = dl.get_metric_history(run.id, "loss")
    assert [(m.step, m.value) for m in history] == [(0, 3.0), (0, 2.0)]
    assert dl.get_run(run.id).status == dl.RunStatus.FINISHED


def test_explicit_steps_and_timestamps_are_kept(workspace: dl.Workspace) -> None:
    with dl.start_run() as run:
        dl.log_metric("acc", 0.5, step=10, timestamp=1_700_000_000.0)
        dl.log_metric("acc", 0.4, step=5)
        dl.log_metrics({"a": 1, "b": 2}, step=3)
    history = dl.get_metric_history(run.id, "acc")
    assert [(m.step, m.value) for m in history] == [(5, 0.4), (10, 0.5)]
    assert history[1].timestamp_ms == 1_700_000_000_000
    assert dl.get_run(run.id).metrics == {"acc": 0.5, "a": 1.0, "b": 2.0}  # highest step wins


def test_bad_values_are_refused_with_the_key_named(workspace: dl.Workspace) -> None:
    with dl.start_run():
        with pytest.raises(dl.InvalidInputError, match="metric 'loss' must be a number"):
            dl.log_metric("loss", "high")
        with pytest.raises(dl.InvalidInputError, match="metric name ''"):
            dl.log_metric("", 1.0)
        with pytest.raises(dl.InvalidInputError, match="step of metric 'x'"):
            dl.log_metric("x", 1.0, step=1.5)  # type: ignore[arg-type]


def test_params_are_immutable(workspace: dl.Workspace) -> None:
    with dl.start_run():
        dl.log_param("lr", 0.1)
        dl.log_param("lr", 0.1)  # same value again is fine
        with pytest.raises(dl.ConflictError, match=r"param 'lr'.*already '0\.1'"):
            dl.log_param("lr", 0.2)


def test_artifacts_files_folders_dicts_and_figures(workspace: dl.Workspace, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder = tmp_path / "plots"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text("a")
    (folder / "sub" / "b.txt").write_text("b")
    single = tmp_path / "notes.md"
    single.write_text("# notes")
    with dl.start_run() as run:
        dl.log_artifact(single)
        dl.log_artifact(folder, artifact_path="outputs")
        dl.log_dict({"layers": [1, 2]}, "config.json")
        dl.log_dict({"layers": [1, 2]}, "config.yaml")
        fig, ax = plt.subplots()
        ax.plot([1, 2, 3])
        dl.log_figure(fig, "curve.png")
        plt.close(fig)
    paths = [a.path for a in dl.get_run(run.id).artifacts]
    assert paths == sorted(
        [
            "notes.md",
            "outputs/plots/a.txt",
            "outputs/plots/sub/b.txt",
            "config.json",
            "config.yaml",
            "curve.png",
        ]
    )
    out = dl.download_artifacts(run.id, "outputs/plots", tmp_path / "dl")
    assert (out / "sub" / "b.txt").read_text() == "b"
    assert (dl.download_artifacts(run.id, "curve.png", tmp_path / "img")).read_bytes()[
        :4
    ] == b"\x89PNG"
    assert '"layers"' in dl.download_artifacts(run.id, "config.json", tmp_path / "c").read_text()
    with pytest.raises(dl.NotFoundError, match="no artifact 'nope'"):
        dl.download_artifacts(run.id, "nope", tmp_path)


def test_environment_is_captured_without_asking(workspace: dl.Workspace) -> None:
    import platform

    dl.seed_everything(42)
    with dl.start_run() as run:
        pass
    stored = dl.get_run(run.id)
    env = stored.environment
    assert env["python"] == platform.python_version()
    assert env["packages"]["sqlalchemy"]
    assert env["host"] and env["command"]
    assert stored.seed == 42
    assert stored.entry_point == env["entry_point"]
    assert stored.start_time <= stored.end_time  # type: ignore[operator]


def test_seed_everything_makes_draws_repeat_and_is_recorded(workspace: dl.Workspace) -> None:
    import random

    import numpy as np

    def draws() -> tuple[list[float], list[float]]:
        return [random.random() for _ in range(3)], np.random.rand(3).tolist()

    assert dl.seed_everything(7) == 7
    first = draws()
    assert draws() != first  # unseeded, the next draws differ
    dl.seed_everything(7)
    assert draws() == first
    with dl.start_run() as run:
        dl.seed_everything(11)  # inside a run: recorded on it
    assert dl.get_run(run.id).seed == 11
    with pytest.raises(dl.InvalidInputError, match="seed must be a non-negative integer"):
        dl.seed_everything(-1)


def test_git_commit_dirty_flag_and_diff_hash(tmp_path, sqlite_workspace) -> None:  # type: ignore[no-untyped-def]
    import subprocess

    from driftloop.tracking._environment import capture_code_version

    repo = tmp_path / "repo"
    repo.mkdir()
    git = ["git", "-c", "user.email=a@b", "-c", "user.name=a"]
    subprocess.run([*git, "init", "-q"], cwd=repo, check=True)
    (repo / "train.py").write_text("print(1)\n")
    subprocess.run([*git, "add", "."], cwd=repo, check=True)
    subprocess.run([*git, "commit", "-qm", "x"], cwd=repo, check=True)
    clean = capture_code_version(repo)
    assert clean.commit and len(clean.commit) == 40 and clean.dirty is False
    (repo / "train.py").write_text("print(2)\n")
    dirty = capture_code_version(repo)
    assert dirty.dirty is True and dirty.diff_digest and dirty.diff_digest.startswith("blake3:")
    assert capture_code_version(tmp_path / "ws").commit is None  # not a repository
    run_id = sqlite_workspace.tracking.create_run("e", cwd=repo)
    assert sqlite_workspace.tracking.get_run(run_id).git_commit == clean.commit


def test_environment_rows_are_shared_between_runs(workspace: dl.Workspace) -> None:
    from sqlalchemy import func, select

    from driftloop.store._tracking_rows import EnvironmentRow

    for _ in range(3):
        with dl.start_run():
            pass
    with workspace.store.read() as session:
        assert session.scalar(select(func.count()).select_from(EnvironmentRow)) == 1


def test_run_id_prefix_and_unknown_run(workspace: dl.Workspace) -> None:
    with dl.start_run() as run:
        pass
    assert dl.get_run(run.id[:8]).id == run.id
    with pytest.raises(dl.NotFoundError, match="runs list"):
        dl.get_run("0" * 32)
