"""`driftloop users | tokens | roles | server init` on a real workspace, as a shell runs them."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

import driftloop as dl
from driftloop.testing import invoke_cli


def _ok(*args: str) -> str:
    result = invoke_cli(*args)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def _json(*args: str) -> object:
    return json.loads(_ok(*args, "--json"))


def test_users_are_added_listed_granted_and_disabled(workspace: dl.Workspace) -> None:
    added = _json("users", "add", "ana", "--role", "data_scientist:churn-*", "--role", "viewer")
    assert added == {
        **added,
        "name": "ana",
        "roles": ["data_scientist:churn-*", "viewer"],
        "state": "enabled",
        "is_service": False,
        "created_by": workspace.user,
    }
    assert "Added service account ci" in _ok("users", "add", "ci", "--service", "--role", "viewer")
    text = _ok("users", "list")
    assert "2 user(s)" in text and "service" in text and "person" in text
    assert _json("users", "grant", "ana", "ml_architect")["roles"][-1] == "ml_architect"  # type: ignore[index]
    assert "ml_architect" not in _json("users", "revoke", "ana", "ml_architect")["roles"]  # type: ignore[index]
    assert _json("users", "disable", "ana")["state"] == "disabled"  # type: ignore[index]
    assert _json("users", "enable", "ana")["state"] == "enabled"  # type: ignore[index]
    assert "data_scientist:churn-*" in _ok("users", "show", "ana")


def test_bad_input_is_one_clear_line(workspace: dl.Workspace) -> None:
    _ok("users", "add", "ana")
    cases = {
        ("users", "add", "ana"): "error: Already exists: user 'ana' exists",
        ("users", "add", "bob", "--role", "wizard"): "role 'wizard' does not exist",
        ("users", "grant", "nobody", "viewer"): "no user named 'nobody'",
        ("tokens", "revoke", "0123456789abcdef"): "no token with id '0123456789abcdef'",
        ("tokens", "create", "x", "--user", "ana", "--expires", "soon"): (
            "token lifetime 'soon' is not a duration"
        ),
    }
    for args, message in cases.items():
        result = invoke_cli(*args)
        assert result.exit_code == 1, args
        assert message in result.stderr and "Traceback" not in result.stderr, result.stderr


def test_a_token_is_printed_once_and_never_listed(workspace: dl.Workspace) -> None:
    _ok("users", "add", "ana", "--role", "viewer")
    created = invoke_cli("tokens", "create", "laptop", "--user", "ana", "--expires", "30d")
    assert created.exit_code == 0, created.stderr
    text = created.stdout.strip()
    assert text.startswith("dlt_") and "\n" not in text  # the token alone on stdout
    assert "shown this once" in created.stderr
    assert workspace.governance.authenticate(text).name == "ana"
    secret = text.split("_", 2)[2]
    listed = _ok("tokens", "list", "--all") + _ok("tokens", "list", "--user", "ana", "--json")
    assert secret not in listed and text not in listed
    (row,) = _json("tokens", "list", "--user", "ana")  # type: ignore[misc]
    assert row["state"] == "active" and "token" not in row
    revoked = _json("tokens", "revoke", row["id"])
    assert revoked["state"] == "revoked"  # type: ignore[index]
    never = _json("tokens", "create", "ci", "--user", "ana", "--expires", "never")
    assert never["expires_at"] is None and never["token"].startswith("dlt_")  # type: ignore[index]


def test_the_role_matrix_fits_80_columns(workspace: dl.Workspace) -> None:
    text = _ok("roles", "show")
    lines = text.splitlines()
    assert max(len(line.rstrip()) for line in lines) <= 80
    assert lines[0].split() == [
        "role", "data", "feat", "exp", "model", "pipe", "endp", "mon", "loop", "user", "aud",
    ]  # fmt: skip
    devops = next(line for line in lines if line.startswith("devops_engineer"))
    assert devops.split() == ["devops_engineer", "r", "r", "r", "ra", "r", "rdDpm", "rwd",
                              "rwda", "rm", "r"]  # fmt: skip
    assert any(line.startswith("actions: r read, w write") for line in lines)
    matrix = _json("roles", "show")
    assert matrix["viewer"]["permissions"]["user"] == []  # type: ignore[index]
    assert matrix["devops_engineer"]["permissions"]["endpoint"] == [  # type: ignore[index]
        "read", "delete", "deploy", "predict", "manage",
    ]  # fmt: skip


def test_server_init_prints_the_first_admin_s_token_once(workspace: dl.Workspace) -> None:
    first = invoke_cli("server", "init", "--admin", "pat")
    assert first.exit_code == 0, first.stderr
    principal = workspace.governance.authenticate(first.stdout.strip())
    assert principal.name == "pat" and [b.role for b in principal.roles] == ["admin"]
    again = invoke_cli("server", "init", "--admin", "eve")
    assert again.exit_code == 1
    assert "an admin exists already (pat)" in again.stderr and "dlt_" not in again.stdout


def test_server_init_writes_to_a_token_file_named_by_the_environment(
    workspace: dl.Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "secrets" / "admin-token"
    target.parent.mkdir()
    monkeypatch.setenv("DRIFTLOOP_ADMIN_TOKEN_FILE", str(target))
    result = invoke_cli("server", "init", "--json")
    assert result.exit_code == 0, result.stderr
    info = json.loads(result.stdout)
    assert info["user"] == "admin" and info["token_file"] == str(target)
    assert "token" not in info and "dlt_" not in result.stdout + result.stderr
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
    assert workspace.governance.authenticate(target.read_text()).name == "admin"


def test_server_init_refuses_a_token_file_that_exists(
    workspace: dl.Workspace, tmp_path: Path
) -> None:
    target = tmp_path / "token"
    target.write_text("old")
    result = invoke_cli("server", "init", "--token-file", str(target))
    assert result.exit_code == 1 and "token file" in result.stderr and "exists" in result.stderr
    assert workspace.governance.admins() == [] and target.read_text() == "old"
