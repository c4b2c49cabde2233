"""`driftloop gc` and temp reclamation on real workspaces, SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from typer.testing import CliRunner

import driftloop as dl
from driftloop.artifacts._gc import GarbageCollector
from driftloop.cli import app

runner = CliRunner()
_NOW = timedelta(0)


def _blob_file(ws: dl.Workspace, digest: str) -> Path:
    local = ws.blobs.local_path(digest)
    assert local is not None
    return local


def _age(path: Path, seconds: float) -> None:
    old = time.time() - seconds
    os.utime(path, (old, old))


def _populate(ws: dl.Workspace, tmp_path: Path) -> dict[str, object]:
    """One of every kind of reference: datasets (one and many files), run files, a model."""
    from sklearn.linear_model import LogisticRegression

    frame = pd.DataFrame({"x": np.arange(40.0), "y": np.arange(40) % 2})
    single = dl.log_dataset("single", frame)
    parts = tmp_path / "parts"
    parts.mkdir()
    for i in range(2):
        pq.write_table(pa.table({"a": [i, i + 1]}), parts / f"p{i}.parquet")
    multi = dl.log_dataset("multi", parts)
    note = tmp_path / "note.txt"
    note.write_text("run artifact")
    with dl.start_run(experiment="gc") as run:
        dl.log_artifact(note)
        logged = dl.log_model(
            LogisticRegression().fit(frame[["x"]], frame["y"]),
            name="m",
            input_example=frame[["x"]].head(2),
            register=True,
        )
    return {"single": single, "multi": multi, "run": run.id, "model": logged}


def test_gc_keeps_every_referenced_blob_and_removes_an_orphan(
    workspace: dl.Workspace, tmp_path: Path
) -> None:
    refs = _populate(workspace, tmp_path)
    orphan = workspace.blobs.put_bytes(b"nobody references me")
    every = list(workspace.blobs.list_blobs())
    for digest, _, _ in every:
        _age(_blob_file(workspace, digest), 7200)  # all past the grace period
    report = GarbageCollector(workspace.store, workspace.blobs).collect(grace=timedelta(hours=1))
    assert [(i.name, i.kind) for i in report.removed] == [(orphan.digest, "blob")]
    assert report.removed_bytes == orphan.size and report.kept_referenced == len(every) - 1
    assert not workspace.blobs.exists(orphan.digest)
    # Everything referenced still reads, checked against its digest.
    assert len(dl.get_dataset("single@1").to_pandas()) == 40
    assert dl.get_dataset("multi@1").to_pandas()["a"].tolist() == [0, 1, 1, 2]
    assert dl.load_model("models:/m/1").predict(pd.DataFrame({"x": [1.0]})).shape == (1,)
    out = dl.download_artifacts(str(refs["run"]), "note.txt", tmp_path / "back")
    assert out.read_text() == "run artifact"
    again = GarbageCollector(workspace.store, workspace.blobs).collect(grace=_NOW)
    assert again.removed == ()


def test_gc_spares_young_orphans_and_blobs_a_writer_is_reusing(
    workspace: dl.Workspace, tmp_path: Path
) -> None:
    young = workspace.blobs.put_bytes(b"just written, row not yet committed")
    reused = tmp_path / "reused.bin"
    reused.write_bytes(b"stored long ago, put again now")
    blob = workspace.blobs.put_file(reused)
    _age(_blob_file(workspace, blob.digest), 7200)
    workspace.blobs.put_file(reused)  # a writer finds it stored and is about to reference it
    report = GarbageCollector(workspace.store, workspace.blobs).collect(grace=timedelta(hours=1))
    assert report.removed == () and report.kept_recent == 2
    assert workspace.blobs.exists(young.digest) and workspace.blobs.exists(blob.digest)


def test_gc_cli_dry_run_deletes_nothing_then_gc_removes(
    workspace: dl.Workspace, tmp_path: Path
) -> None:
    _populate(workspace, tmp_path)
    orphan = workspace.blobs.put_bytes(b"orphan bytes")
    before = sorted(d for d, _, _ in workspace.blobs.list_blobs())
    result = runner.invoke(app, ["gc", "--dry-run", "--grace-minutes", "0", "--json"])
    assert result.exit_code == 0, result.output
    planned = json.loads(result.output)
    assert planned["dry_run"] is True and planned["removed_bytes"] == orphan.size
    assert planned["removed"] == [{"name": orphan.digest, "size": orphan.size, "kind": "blob"}]
    assert sorted(d for d, _, _ in workspace.blobs.list_blobs()) == before
    text = runner.invoke(app, ["gc", "--dry-run", "--grace-minutes", "0"])
    assert f"Would remove 1 unreferenced file(s), {orphan.size} bytes" in text.output
    done = runner.invoke(app, ["gc", "--grace-minutes", "0", "--json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.output)["dry_run"] is False
    assert sorted(d for d, _, _ in workspace.blobs.list_blobs()) == sorted(
        set(before) - {orphan.digest}
    )
    assert len(dl.get_dataset("single").to_pandas()) == 40


_LOGGER = """
import sys
import driftloop as dl
ws = dl.Workspace(sys.argv[1])
dl.set_workspace(ws)
dl.log_dataset("big", sys.argv[2], profile=False)
print("logged")
"""


def test_sigkill_during_log_leaves_temp_files_that_the_next_write_reclaims(
    tmp_path: Path,
) -> None:
    big = tmp_path / "big.parquet"
    rng = np.random.default_rng(0)
    pq.write_table(
        pa.table({"x": rng.random(12_000_000)}), big, compression="none", row_group_size=1 << 20
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    for attempt in range(20):  # the copy is short: try until the kill lands inside it
        root = tmp_path / f"ws{attempt}"  # fresh each time: a finished log dedups the next
        dl.init_workspace(root).close()
        temp = root / ".driftloop" / "artifacts" / "tmp"
        child = subprocess.Popen([sys.executable, "-c", _LOGGER, str(root), str(big)], env=env)
        while child.poll() is None and not (temp.is_dir() and any(temp.iterdir())):
            time.sleep(0.001)
        child.send_signal(signal.SIGKILL)
        child.wait()
        if temp.is_dir() and any(temp.iterdir()):
            break
    else:
        raise AssertionError("the kill never landed during the copy")
    ws = dl.Workspace(root)  # a new process's store: it reclaims on its first write
    try:
        ws.datasets.log("big", big, profile=False)
        assert list(temp.iterdir()) == []
        assert ws.datasets.get("big@1").to_arrow().num_rows == 12_000_000
    finally:
        ws.close()
