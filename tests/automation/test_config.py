"""Loop policies declared in driftloop.toml."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import driftloop as dl
from driftloop.automation._config import apply_loop_file, read_loop_tables
from driftloop.errors import InvalidInputError, NotFoundError

TOML = """
[workspace]

[[loop]]
endpoint = "flights"
model = "flight-delays"
pipeline = "flows.py:retrain"
triggers = [{ alert = "summer-drift" }, { schedule = "0 3 * * 1" }, { dataset = "flights" }]
gate = { metric = "log_loss", min_improvement = 0.01 }
cooldown_hours = 12
"""


RETRAIN = """
import driftloop as dl

@dl.step
def fit(weeks: int) -> int:
    return weeks

@dl.pipeline
def retrain(weeks: int = 4):
    fit(weeks)
"""


def _named_things(tmp_path: Path) -> None:
    """What TOML's policy names: its model, pipeline (in the current folder) and dataset."""
    from sklearn.linear_model import LogisticRegression

    x = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0]})
    with dl.start_run():
        dl.log_model(LogisticRegression().fit(x, [0, 0, 1, 1]), name="flight-delays", register=True)
    dl.log_dataset("flights", x)
    (tmp_path / "flows.py").write_text(RETRAIN, encoding="utf-8")


def test_declared_policies_are_stored_with_their_triggers(
    sqlite_workspace: dl.Workspace, tmp_path: Path
) -> None:
    _named_things(tmp_path)
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


def test_a_policy_naming_what_does_not_exist_is_refused_listing_each_and_stored_nowhere(
    sqlite_workspace: dl.Workspace, tmp_path: Path
) -> None:
    path = tmp_path / "driftloop.toml"
    path.write_text(TOML, encoding="utf-8")
    with pytest.raises(InvalidInputError) as info:
        apply_loop_file(sqlite_workspace.loop, path)
    message = str(info.value)
    assert message.startswith(f"{path} [[loop]] #1: the loop policy of endpoint 'flights'")
    assert "model 'flight-delays': no registered model named 'flight-delays'" in message
    assert "pipeline 'flows.py:retrain': there is no file 'flows.py'" in message
    assert "dataset 'flights': there is no dataset 'flights'" in message
    with pytest.raises(NotFoundError, match="has no loop policy"):
        sqlite_workspace.loop.policy("flights")
    assert sqlite_workspace.triggers.list() == []

    _named_things(tmp_path)  # the same through Python, with what else a policy can name
    policy = {
        "endpoint": "flights",
        "model": "flight-delays",
        "pipeline": "flows.py:retrain",
        "triggers": [{"alert": "summer-drift"}],
        "params": {"weeks": 2, "colour": "red"},
        "train_dataset": "flights@7",
        "gate": {"holdout": "holdout", "suite": "checks.yaml"},
    }
    with pytest.raises(InvalidInputError) as info:
        dl.set_loop_policy(policy)
    message = str(info.value)
    assert "has no parameter 'colour'" in message
    assert "dataset 'flights@7'" in message and "dataset 'holdout'" in message
    assert "gate suite 'checks.yaml'" in message and "model '" not in message
    with pytest.raises(NotFoundError, match="has no loop policy"):
        sqlite_workspace.loop.policy("flights")
    del policy["params"], policy["train_dataset"], policy["gate"]
    assert dl.set_loop_policy(policy).pipeline == "flows.py:retrain"
