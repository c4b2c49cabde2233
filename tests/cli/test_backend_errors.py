"""What a user sees when a backend is unavailable: one line, no traceback (unless --debug)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import driftloop as dl


def _driftloop(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DRIFTLOOP_")}
    return subprocess.run(
        [sys.executable, "-m", "driftloop", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_damaged_metadata_file_shows_one_clear_line(tmp_path: Path) -> None:
    dl.init_workspace(tmp_path).close()
    for path in (tmp_path / ".driftloop").glob("driftloop.db*"):
        path.write_bytes(b"not a database " * 1000)
    result = _driftloop(tmp_path, "runs", "list")
    assert result.returncode == 1
    assert result.stderr.startswith("error: Backend unavailable: the metadata store at sqlite:")
    assert "file is not a database" in result.stderr and "Traceback" not in result.stderr
    debug = _driftloop(tmp_path, "--debug", "runs", "list")
    assert "Traceback" in debug.stderr and "BackendUnavailableError" in debug.stderr


def test_an_unusable_artifact_root_shows_one_clear_line(tmp_path: Path) -> None:
    dl.init_workspace(tmp_path).close()
    artifacts = tmp_path / ".driftloop" / "artifacts"
    shutil.rmtree(artifacts, ignore_errors=True)
    artifacts.write_text("a file where the artifact folder was")
    (tmp_path / "d.csv").write_text("a,b\n1,2\n")
    result = _driftloop(tmp_path, "data", "log", "d", "d.csv")
    assert result.returncode == 1, result.stdout
    assert result.stderr.startswith("error: Backend unavailable: the artifact store at file:")
    assert "DRIFTLOOP_ARTIFACT_URL" in result.stderr and "Traceback" not in result.stderr
