"""Triggers declared in driftloop.toml: applied, re-applied, and refused with the reason."""

from __future__ import annotations

import pandas as pd
import pytest

import driftloop as dl
from driftloop.errors import InvalidInputError, NotFoundError
from driftloop.pipelines import TriggerKind
from driftloop.pipelines._trigger_config import apply_trigger_file

from .conftest import WriteModule

CONFIG = """
[workspace]

[[trigger]]
name = "nightly"
kind = "cron"
cron = "0 2 * * *"
timezone = "Europe/Paris"
target = "{target}"
params = { days = 7 }

[[trigger]]
name = "on-flights"
kind = "dataset"
dataset = "flights"
target = "{target}"
executor = "ray"

[[trigger]]
name = "hook"
kind = "webhook"
target = "{target}"
secret_env = "HOOK_SECRET"
"""


TRAIN = """
@dl.step
def fit(days: int) -> int:
    return days

@dl.pipeline
def train(days: int = 1):
    fit(days)
"""


def test_tables_become_triggers_and_applying_again_changes_nothing(
    sqlite_workspace: dl.Workspace, monkeypatch: pytest.MonkeyPatch, write_module: WriteModule
) -> None:
    monkeypatch.setenv("HOOK_SECRET", "s" * 20)
    dl.log_dataset("flights", pd.DataFrame({"x": [1]}))
    path = sqlite_workspace.root / "driftloop.toml"
    path.write_text(CONFIG.replace("{target}", f"{write_module(TRAIN).__name__}:train"))
    apply_trigger_file(sqlite_workspace.triggers, path)
    first = {t.name: t for t in sqlite_workspace.triggers.list()}
    apply_trigger_file(sqlite_workspace.triggers, path)
    assert {t.name: t for t in sqlite_workspace.triggers.list()} == first
    assert first["nightly"].kind is TriggerKind.CRON
    assert first["nightly"].spec == {"cron": "0 2 * * *", "timezone": "Europe/Paris"}
    assert first["nightly"].params == {"days": 7}
    assert first["on-flights"].source == "flights"
    assert first["on-flights"].spec["executor"] == "ray"
    assert "s" * 20 not in str(first["hook"].spec)


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('name = "x"\ntarget = "f:p"\ncorn = "0 2 * * *"', "unknown key 'corn'"),
        ('name = "x"', "target: Field required"),
        ('name = "x"\ntarget = "f:p"\nkind = "cron"\ncron = "daily"', "not valid"),
        ('name = "x"\ntarget = "f:p"\nkind = "webhook"\nsecret_env = "UNSET_X"', "UNSET_X"),
    ],
)
def test_a_bad_table_is_refused_naming_the_file_and_the_key(
    sqlite_workspace: dl.Workspace, table: str, message: str
) -> None:
    path = sqlite_workspace.root / "driftloop.toml"
    path.write_text(f"[[trigger]]\n{table}\n")
    with pytest.raises(InvalidInputError, match=message):
        apply_trigger_file(sqlite_workspace.triggers, path)
    assert sqlite_workspace.triggers.list() == []


def test_a_table_naming_a_pipeline_that_does_not_exist_is_refused_when_applied(
    sqlite_workspace: dl.Workspace,
) -> None:
    path = sqlite_workspace.root / "driftloop.toml"
    path.write_text('[[trigger]]\nname = "nightly"\ntarget = "flowz:train"\n')
    with pytest.raises(NotFoundError, match=r"trigger 'nightly'.*cannot import module 'flowz'"):
        apply_trigger_file(sqlite_workspace.triggers, path)
    assert sqlite_workspace.triggers.list() == []
