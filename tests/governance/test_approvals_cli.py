"""`driftloop protections` and `driftloop approvals` as people run them, each as themselves."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import driftloop as dl
from driftloop.testing import invoke_cli, temporary_workspace

from .conftest import register

As = Callable[[str], None]


@pytest.fixture
def as_user(tmp_path: Path, db_url: str, migrated_sqlite: Path) -> Iterator[As]:
    """Make the CLI act as a person: the default workspace, opened for that user."""
    with temporary_workspace(tmp_path / "ws", db_url=db_url, template=migrated_sqlite) as ws:
        for seed in range(2):
            register(ws, seed=seed)
        ws.governance.add_user("ana", ["data_scientist"])
        ws.governance.add_user("sam", ["subject_matter_expert"])
        root = ws.root

    def use(name: str) -> None:
        dl.set_workspace(dl.Workspace(root, db_url=db_url, user=name))

    yield use
    dl.set_workspace(None)


def _run(*args: str) -> dict[str, object] | list[dict[str, object]]:
    result = invoke_cli(*args, "--json")
    assert result.exit_code == 0, result.stderr
    found: dict[str, object] | list[dict[str, object]] = json.loads(result.stdout)
    return found


def test_a_protected_alias_through_the_cli(as_user: As) -> None:
    as_user("admin")
    protect = ("--model", "churn*", "--alias", "champion", "--require", "subject_matter_expert")
    made = _run("protections", "add", *protect)
    assert made["target"] == "churn*@champion" and made["requires"] == {  # type: ignore[call-overload]
        "subject_matter_expert": 1
    }
    assert "churn*@champion" in invoke_cli("protections", "list").stdout
    as_user("ana")
    refused = invoke_cli("models", "alias", "churn", "2", "champion")
    assert refused.exit_code == 1
    assert "churn*@champion needs 1 subject_matter_expert" in refused.stderr
    asked = _run("approvals", "request", "churn@2", "-r", "beats v1")
    assert asked["status"] == "pending" and asked["requested_by"] == "ana"  # type: ignore[call-overload]
    own = invoke_cli("approvals", "approve", "churn@2")
    assert own.exit_code == 1 and "(four eyes)" in own.stderr
    listed = invoke_cli("approvals", "list").stdout
    assert "churn@2" in listed and "1 subject_matter_expert" in listed
    as_user("sam")
    approved = invoke_cli("approvals", "approve", "churn@2", "-r", "meets the brief")
    assert approved.exit_code == 0, approved.stderr
    assert "Approved churn@2 as subject_matter_expert: approved." in approved.stdout
    as_user("ana")
    assert invoke_cli("models", "alias", "churn", "2", "champion").exit_code == 0
    shown = invoke_cli("approvals", "show", "churn@champion").stdout  # an alias resolves too
    assert "approved by sam (subject_matter_expert)" in shown and "meets the brief" in shown
    assert "used for alias:churn@champion by ana" in shown
    assert _run("approvals", "list") == []  # nothing pending
    assert len(_run("approvals", "list", "--all")) == 1


def test_protections_refuse_what_they_cannot_mean(as_user: As) -> None:
    as_user("admin")
    cases = {
        ("--model", "churn", "--require", "subject_matter_expert"): "name what to protect",
        ("--endpoint", "e", "--alias", "a", "--require", "any"): "name what to protect",
        ("--endpoint", "e", "--require", "wizard"): "role 'wizard' does not exist",
        ("--endpoint", "e", "--require", "viewer"): "role 'viewer' may not approve models",
        ("--endpoint", "e", "--require", "any:x"): "must read ROLE or ROLE:COUNT",
    }
    for args, message in cases.items():
        result = invoke_cli("protections", "add", *args)
        assert result.exit_code == 1 and message in result.stderr, (args, result.stderr)
    made = _run("protections", "add", "--endpoint", "prod", "--require", "any:2")
    removed = _run("protections", "remove", str(made["id"]))  # type: ignore[call-overload]
    assert removed["target"] == "endpoint:prod"  # type: ignore[call-overload]
    assert _run("protections", "list") == []
    missing = invoke_cli("protections", "remove", "99")
    assert missing.exit_code == 1 and "no protection with id 99" in missing.stderr
