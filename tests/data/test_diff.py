"""`diff`: a column that changed type is a schema change, in the library, the CLI and --json."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pandas as pd

import driftloop as dl
from driftloop.data import diff_datasets


def test_a_retyped_column_is_reported_not_a_crash(workspace: dl.Workspace) -> None:
    dl.log_dataset("d", pd.DataFrame({"x": [1.0, 2.5, 3.0], "y": [1, 2, 3]}))
    dl.log_dataset("d", pd.DataFrame({"x": ["a", "b", "c"], "y": [1, 2, 4]}))
    diff = diff_datasets("d@1", "d@2")
    assert diff.retyped == {"x": ("double", "large_string")}
    assert {c.column for c in diff.columns} == {"x", "y"}
    assert next(c for c in diff.columns if c.column == "x").psi is None  # old bins do not apply
    assert next(c for c in diff.columns if c.column == "y").psi is not None

    env = {
        **os.environ,
        "DRIFTLOOP_HOME": str(workspace.root),
        "DRIFTLOOP_DB_URL": workspace.settings.db_url,
        "COLUMNS": "400",
    }
    for extra in ([], ["--json"]):
        result = subprocess.run(
            [sys.executable, "-m", "driftloop", "data", "diff", "d@1", "d@2", *extra],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        assert "Traceback" not in result.stderr
        if extra:
            assert json.loads(result.stdout)["retyped"] == {"x": ["double", "large_string"]}
        else:
            assert "retyped: x double -> large_string" in result.stdout
