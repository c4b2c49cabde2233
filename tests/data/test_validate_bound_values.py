"""Suite and profile constants are bound parameters: quotes and SQL in them are just text."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

import driftloop as dl
from driftloop.data import Suite
from driftloop.data._profile import compute_profile

HOSTILE = ["o'brien", "a;b", "'); drop table x; --", 'say "hi"', "$p0", "x\\'y"]


def _frame() -> pd.DataFrame:
    codes = [HOSTILE[i % len(HOSTILE)] for i in range(60)]
    return pd.DataFrame({"code": codes, "x": [float(i) for i in range(60)]})


def test_in_set_regex_and_bounds_with_quotes_and_sql_match_literally(
    workspace: dl.Workspace,
) -> None:
    version = dl.log_dataset("hostile", _frame())
    alternation = "|".join(re.escape(v) for v in HOSTILE)
    passing = (
        Suite("hostile'; drop table x; --")
        .in_set("code", HOSTILE)
        .matches("code", f"^({alternation})$")
        .between("code", min="$", max="x\\'y; --")
        .between("x", min=0, max=59)
        .no_drift("code", reference="hostile@1")
    )
    result = dl.validate_dataset(version, passing)
    assert result.success, [r.message for r in result.failures]

    failing = (
        Suite("strict")
        .in_set("code", ["o'brien", "'); drop table x; --"])
        .matches("code", "^'\\); drop")
        .between("code", min="'); drop table x; --", max="o'brien")
    )
    results = dl.validate_dataset(version, failing).results
    # Each hostile value is one sixth of the 60 rows; only the values named literally pass.
    assert [r.success for r in results] == [False, False, False]
    assert results[0].failing_count == 40
    assert {e["code"] for e in results[0].examples} <= set(HOSTILE[1:2] + HOSTILE[3:])
    assert results[1].failing_count == 50
    assert all(e["code"] != "'); drop table x; --" for e in results[1].examples)
    in_bounds = [v for v in HOSTILE if "'); drop table x; --" <= v <= "o'brien"]
    assert results[2].failing_count == 10 * (len(HOSTILE) - len(in_bounds))


def test_profile_counts_top_values_with_quotes_and_sql_exactly(tmp_path: Path) -> None:
    path = tmp_path / "hostile.parquet"
    frame = _frame()
    frame["flag"] = [i % 3 == 0 for i in range(60)]
    frame.to_parquet(path)
    profile = compute_profile([path])
    top = dict(map(tuple, profile["columns"]["code"]["top"]))
    assert top == dict.fromkeys(HOSTILE, 10)
    assert dict(map(tuple, profile["columns"]["flag"]["top"])) == {False: 40, True: 20}
    histogram = profile["columns"]["x"]["histogram"]
    assert sum(histogram["counts"]) == 60 and len(histogram["edges"]) == 21
