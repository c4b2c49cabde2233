"""Loop policies declared in driftloop.toml."""

from __future__ import annotations

from pathlib import Path

import pytest

import driftloop as dl
from driftloop.automation._config import apply_loop_file, read_loop_tables
from driftloop.errors import InvalidInputError

TOML = """
[workspace]

[[loop]]
endpoint = "flights"
model = "flight-delays"
pipeline = "flights.training:retrain"
triggers = [{ alert = "summer-drift" }, { schedule = "0 3 * * 1" }, { dataset = "flights" }]
gate = { metric = "log_loss", min_improvement = 0.01 }
cooldown_hours = 12
"""


def test_declared_policies_are_stored_with_their_triggers(
    sqlite_workspace: dl.Workspace, tmp_path: Path
) -> None:
    path = tmp_path / "driftloop.toml"
    path.write_text(TOML, encoding="utf-8")
    (policy,) = apply_loop_file(sqlite_workspace.loop, path)
    assert sqlite_workspace.loop.policy("flights").policy == policy
    assert not policy.gate.higher_is_better
    kinds = {
        t.name: (t.kind.value, t.target_kind, t.target) for t in sqlite_workspace.triggers.list()
    }
    assert kinds == {
        "loop.flights.alert.1": ("alert", "loop", "flights"),
        "loop.flights.schedule.2": ("cron", "loop", "flights"),
        "loop.flights.dataset.3": ("dataset", "loop", "flights"),
    }
    apply_loop_file(sqlite_workspace.loop, path)  # re-applied at every start: harmless
    assert len(sqlite_workspace.triggers.list()) == 3


def test_a_bad_table_is_refused_naming_the_file_table_and_key(tmp_path: Path) -> None:
    path = tmp_path / "driftloop.toml"
    path.write_text(TOML.replace("cooldown_hours", "cool_down_hours"), encoding="utf-8")
    with pytest.raises(InvalidInputError, match=r"\[\[loop\]\] #1 is invalid: cool_down_hours"):
        read_loop_tables(path)
    path.write_text('loop = "flights"', encoding="utf-8")
    with pytest.raises(InvalidInputError, match=r"written \[\[loop\]\]"):
        read_loop_tables(path)
    assert read_loop_tables(tmp_path / "missing.toml") == []
