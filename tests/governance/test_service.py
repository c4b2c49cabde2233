"""Users and roles through the service: what a caller may manage, nobody hands out more
than they hold, the last admin stays, and the first admin is made once."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

import driftloop as dl
from driftloop.errors import (
    AlreadyExistsError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
)
from driftloop.governance import GovernanceService, Principal, RoleBinding
from driftloop.governance._bootstrap import seed_first_admin


@pytest.fixture
def people(workspace: dl.Workspace) -> GovernanceService:
    """An admin, a DevOps engineer, a data scientist and a CI service account."""
    gov = workspace.governance
    gov.add_user("root-admin", ["admin"])
    gov.add_user("dan", ["devops_engineer"], display_name="Dan")
    gov.add_user("ana", ["data_scientist:churn-*"])
    gov.add_user("ci", ["devops_engineer"], is_service=True)
    return gov


def as_(people: GovernanceService, name: str) -> GovernanceService:
    return people.for_principal(_principal(people, name))


def _principal(people: GovernanceService, name: str) -> Principal:
    user = people.get_user(name)
    return Principal(user.name, user.roles, user.is_service)


def test_everyone_manages_their_own_tokens(people: GovernanceService) -> None:
    ana = as_(people, "ana")
    issued = ana.create_token("laptop")
    assert issued.token.user == "ana" and issued.token.created_by == "ana"
    assert [t.id for t in ana.list_tokens()] == [issued.token.id]
    assert ana.revoke_token(issued.token.id).revoked_by == "ana"


def test_someone_else_s_tokens_need_manage_on_user(people: GovernanceService) -> None:
    ana = as_(people, "ana")
    mine = ana.create_token("laptop")
    with pytest.raises(PermissionDeniedError) as refused:
        ana.create_token("sneaky", user="dan")
    assert str(refused.value).startswith(
        "ana (data_scientist:churn-*) may not manage user 'dan': needs manage on user; "
        "roles with it: devops_engineer, admin"
    )
    with pytest.raises(PermissionDeniedError, match="may not read user 'dan'"):
        ana.list_tokens("dan")
    dans = as_(people, "dan").create_token("laptop")
    with pytest.raises(PermissionDeniedError, match="may not manage user 'dan'"):
        ana.revoke_token(dans.token.id)
    assert [t.user for t in ana.list_tokens(all_users=True)] == ["ana"]  # filtered to hers
    assert mine.token.id in {t.id for t in as_(people, "dan").list_tokens(all_users=True)}


def test_devops_runs_service_accounts_but_hands_out_no_more_than_it_holds(
    people: GovernanceService,
) -> None:
    dan = as_(people, "dan")
    issued = dan.create_token("deploy", user="ci")
    assert people.authenticate(issued.text).name == "ci"
    dan.add_user("scheduler", ["devops_engineer"], is_service=True)
    with pytest.raises(PermissionDeniedError) as refused:
        dan.add_user("eve", ["admin"])
    assert "dan may not manage user 'eve' with role 'admin'" in str(refused.value)
    with pytest.raises(PermissionDeniedError, match="may not manage user 'ana' with role"):
        dan.grant("ana", "data_engineer")  # data engineers own datasets; dan does not
    with pytest.raises(PermissionDeniedError, match="with role 'admin'"):
        dan.create_token("takeover", user="root-admin")
    with pytest.raises(PermissionDeniedError, match="with role 'admin'"):
        dan.disable_user("root-admin")
    with pytest.raises(NotFoundError):
        people.get_user("eve")  # the refused add left nothing


def test_users_are_listed_as_far_as_the_caller_may_read(people: GovernanceService) -> None:
    assert [u.name for u in as_(people, "ana").list_users()] == ["ana"]
    assert [u.name for u in as_(people, "dan").list_users()] == ["ana", "ci", "dan", "root-admin"]
    assert as_(people, "ana").get_user("ana").roles == (RoleBinding("data_scientist", "churn-*"),)


def test_the_last_admin_cannot_be_disabled_or_lose_admin(people: GovernanceService) -> None:
    with pytest.raises(ConflictError, match="'root-admin': they are the last enabled admin"):
        people.disable_user("root-admin")
    with pytest.raises(ConflictError, match="last enabled admin"):
        people.revoke("root-admin", "admin")
    people.grant("dan", "admin")
    people.revoke("root-admin", "admin")
    assert people.admins() == ["dan"]


def test_grant_and_revoke_keep_patterns_apart(people: GovernanceService) -> None:
    people.grant("ana", "data_scientist:fraud-*")
    people.grant("ana", "data_scientist:fraud-*")  # again: harmless
    assert people.get_user("ana").roles == (
        RoleBinding("data_scientist", "churn-*"),
        RoleBinding("data_scientist", "fraud-*"),
    )
    with pytest.raises(NotFoundError, match="does not hold role 'data_scientist'"):
        people.revoke("ana", "data_scientist")  # for every name: not what she holds
    assert people.revoke("ana", "data_scientist:churn-*").roles == (
        RoleBinding("data_scientist", "fraud-*"),
    )


def test_bad_users_and_roles_are_refused_and_leave_nothing(people: GovernanceService) -> None:
    with pytest.raises(AlreadyExistsError, match="user 'ana' exists"):
        people.add_user("ana")
    with pytest.raises(InvalidInputError, match="user name 'a b' is not allowed"):
        people.add_user("a b")
    with pytest.raises(InvalidInputError, match="role 'wizard' does not exist"):
        people.add_user("bob", ["wizard"])
    with pytest.raises(NotFoundError, match="no user named 'bob'"):
        people.create_token("x", user="bob")
    with pytest.raises(InvalidInputError, match="token's name"):
        people.create_token(" ", user="ana")
    people.disable_user("ana")
    with pytest.raises(ConflictError, match="user 'ana' is disabled"):
        people.create_token("x", user="ana")
    assert [u.name for u in people.list_users()] == ["ana", "ci", "dan", "root-admin"]


def test_the_first_admin_is_made_once(workspace: dl.Workspace) -> None:
    gov = workspace.governance
    gov.add_user("pat", ["viewer"])
    issued = gov.bootstrap_admin("pat")  # an existing user becomes the admin
    assert gov.authenticate(issued.text).roles == (RoleBinding("viewer"), RoleBinding("admin"))
    with pytest.raises(ConflictError, match=r"an admin exists already \(pat\)"):
        gov.bootstrap_admin("other")


def test_two_first_admins_at_once_make_one(workspace: dl.Workspace) -> None:
    results: list[object] = []

    def init(name: str) -> None:
        ws = dl.Workspace(workspace.root, db_url=workspace.settings.db_url)
        try:
            results.append(ws.governance.bootstrap_admin(name))
        except ConflictError as exc:
            results.append(exc)
        finally:
            ws.close()

    threads = [threading.Thread(target=init, args=(f"admin{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(type(r).__name__ for r in results) == ["ConflictError", "IssuedToken"]
    assert len(workspace.governance.admins()) == 1


def test_a_first_start_seeds_the_admin_into_a_private_file(
    workspace: dl.Workspace, tmp_path: Path
) -> None:
    target = tmp_path / "admin-token"
    gov = workspace.governance
    assert seed_first_admin(gov, {}) is None  # not asked: nothing made
    issued = seed_first_admin(gov, {"DRIFTLOOP_ADMIN_TOKEN_FILE": str(target)})
    assert issued is not None and gov.admins() == ["admin"]
    assert target.read_text() == issued.text + "\n"
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
    # A restart with the variable still set: an admin exists, the file is left alone.
    assert seed_first_admin(gov, {"DRIFTLOOP_ADMIN_TOKEN_FILE": str(target)}) is None
    assert target.read_text() == issued.text + "\n"


def test_a_seed_never_overwrites_a_file(workspace: dl.Workspace, tmp_path: Path) -> None:
    target = tmp_path / "admin-token"
    target.write_text("keep me")
    with pytest.raises(AlreadyExistsError, match="which exists"):
        seed_first_admin(workspace.governance, {"DRIFTLOOP_ADMIN_TOKEN_FILE": str(target)})
    assert workspace.governance.admins() == [] and target.read_text() == "keep me"
