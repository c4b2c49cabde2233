"""Approvals on a real workspace (SQLite, and PostgreSQL when configured): protected
aliases and endpoints move only with their approvals, four eyes, roles, the races."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

import driftloop as dl
from driftloop.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
)
from driftloop.governance import ApprovalStatus, Principal
from driftloop.governance._approvals import ApprovalService
from driftloop.governance._permissions import parse_binding
from driftloop.store._governance_rows import ApprovalRequestRow, ApprovalRow

SME_AND_DEVOPS = {"subject_matter_expert": 1, "devops_engineer": 1}


def test_a_protected_alias_moves_only_with_its_approvals(team: dl.Workspace) -> None:
    team.approvals.protect_alias("churn*", "champion", SME_AND_DEVOPS)
    ana = team.acting_as("ana")
    with pytest.raises(ConflictError) as refused:
        ana.registry.set_alias("churn", "champion", 3)
    assert str(refused.value) == (
        "moving alias 'champion' of model 'churn' to version 3 is refused: churn*@champion "
        "needs 1 subject_matter_expert and 1 devops_engineer; it has no approval request; "
        "ask with `driftloop approvals request churn@3 --alias champion -r WHY`"
    )
    asked = ana.approvals.request("churn", 3, alias="champion", reason="beats v2")
    assert asked.status is ApprovalStatus.PENDING and asked.requested_by == "ana"
    assert asked.targets == ("alias:churn@champion",) and asked.requirements == SME_AND_DEVOPS
    team.acting_as("sam").approvals.approve("churn", 3, "meets the brief")
    with pytest.raises(ConflictError, match=r"it still needs 1 devops_engineer \(approved by sam"):
        ana.registry.set_alias("churn", "champion", 3)
    done = team.acting_as("dan").approvals.approve("churn", 3, "runs within budget")
    assert done.status is ApprovalStatus.APPROVED and done.decided_at is not None
    assert [(a.approver, a.role) for a in done.approvals] == [
        ("sam", "subject_matter_expert"),
        ("dan", "devops_engineer"),
    ]
    ana.registry.set_alias("churn", "champion", 3)
    assert team.registry.get_model("churn").aliases["champion"] == 3
    (use,) = team.approvals.get("churn", 3).uses
    assert (use.target, use.used_by) == ("alias:churn@champion", "ana")
    ana.registry.set_alias("churn", "staging", 1)  # an unprotected alias moves freely
    with pytest.raises(ConflictError, match="cannot be removed, only moved with approvals"):
        ana.registry.remove_alias("churn", "champion")


def test_the_refused_move_changes_nothing(team: dl.Workspace) -> None:
    team.registry.set_alias("churn", "champion", 1)
    team.approvals.protect_alias("churn", "champion", {"subject_matter_expert": 1})
    with pytest.raises(ConflictError):
        team.acting_as("ana").registry.set_alias("churn", "champion", 2)
    assert team.registry.get_model("churn").aliases["champion"] == 1
    assert [e.to_version for e in team.registry.alias_history("churn", "champion")] == [1]


def test_the_requester_cannot_approve_their_own_change(team: dl.Workspace) -> None:
    team.governance.grant("ana", "subject_matter_expert")  # even holding the role
    team.approvals.protect_alias("churn", "champion", {"subject_matter_expert": 1})
    ana = team.acting_as("ana").approvals
    ana.request("churn", 2, alias="champion")
    with pytest.raises(PermissionDeniedError) as refused:
        ana.approve("churn", 2)
    assert str(refused.value) == (
        "ana asked for churn@2 to be approved and may not approve it (four eyes): another "
        "person must"
    )
    team.acting_as("sam").approvals.approve("churn", 2)
    with pytest.raises(ConflictError, match="churn@2 is approved already, by sam"):
        team.acting_as("sue").approvals.approve("churn", 2)


def test_approvals_count_for_the_roles_the_protection_names(team: dl.Workspace) -> None:
    team.approvals.protect_alias("churn", "champion", {"subject_matter_expert": 2})
    team.acting_as("ana").approvals.request("churn", 2, alias="champion")
    dan = team.acting_as("dan").approvals
    with pytest.raises(PermissionDeniedError) as refused:
        dan.approve("churn", 2)  # dan approves models, but as a DevOps engineer
    assert str(refused.value) == (
        "dan's approval would not count: churn@2 needs 2 subject_matter_expert, and dan "
        "approves as devops_engineer"
    )
    with pytest.raises(PermissionDeniedError, match="does not hold a role 'subject_matter_expert'"):
        dan.approve("churn", 2, role="subject_matter_expert")
    team.governance.grant("sam", "devops_engineer")  # two roles, one approval
    first = team.acting_as("sam").approvals.approve("churn", 2)
    assert first.missing == {"subject_matter_expert": 1}
    assert team.acting_as("sue").approvals.approve("churn", 2).status is ApprovalStatus.APPROVED
    with pytest.raises(InvalidInputError, match="role 'viewer' may not approve models"):
        team.approvals.protect_alias("churn", "staging", {"viewer": 1})


def test_any_role_counts_anyone_but_the_requester(team: dl.Workspace) -> None:
    team.approvals.protect_alias("churn", "champion", {"any": 2})
    team.acting_as("ana").approvals.request("churn", 2)  # every protected alias of churn
    team.acting_as("sam").approvals.approve("churn", 2)
    outsider = team.acting_as("someone-unregistered").approvals.approve("churn", 2)
    assert outsider.status is ApprovalStatus.APPROVED
    assert [a.role for a in outsider.approvals] == ["subject_matter_expert", None]


def test_a_protected_endpoint_needs_approvals_to_deploy_and_promote(team: dl.Workspace) -> None:
    team.approvals.protect_endpoint("prod-*", {"devops_engineer": 1})
    ana = team.acting_as("ana")
    with pytest.raises(ConflictError, match="deploying churn@1 to endpoint 'prod-eu' is refused"):
        ana.serving.deploy("prod-eu", "churn@1")
    ana.approvals.request("churn", 1, endpoint="prod-eu")
    team.acting_as("dan").approvals.approve("churn", 1)
    ana.serving.deploy("prod-eu", "churn@1")
    ana.serving.update("prod-eu", max_batch_size=4)  # nothing new serves: nothing to approve
    with pytest.raises(ConflictError, match="deploying churn@2 to endpoint 'prod-eu'"):
        ana.serving.update("prod-eu", canary="churn@2", canary_weight=0.1)
    ana.serving.update("prod-eu", shadow="churn@2")  # a shadow answers no one
    ana.approvals.request("churn", 2, endpoint="prod-eu")
    team.acting_as("dan").approvals.approve("churn", 2)
    ana.serving.update("prod-eu", canary="churn@2", canary_weight=0.1)
    ana.serving.promote_canary("prod-eu")
    assert team.serving.get_deployment("prod-eu").primary.model_version == 2
    ana.serving.rollback("prod-eu")  # restoring what served before is never held
    assert team.serving.get_deployment("prod-eu").primary.model_version == 1
    ana.serving.deploy("staging", "churn@3")  # an unprotected endpoint: no approvals asked
    targets = [u.target for u in team.approvals.get("churn", 2).uses]
    assert targets == ["endpoint:prod-eu", "endpoint:prod-eu"]  # the canary, the promotion


def test_a_promotion_moves_a_protected_champion_with_its_approvals(team: dl.Workspace) -> None:
    team.serving.deploy("churn", "churn@1")
    team.approvals.protect_alias("churn", "champion", {"subject_matter_expert": 1})
    with pytest.raises(ConflictError, match="moving alias 'champion' of model 'churn'"):
        team.serving.promote_version("churn", "churn", 2, alias="champion")
    assert team.serving.get_deployment("churn").primary.model_version == 1  # one transaction
    team.approvals.request("churn", 2, alias="champion")
    team.acting_as("sam").approvals.approve("churn", 2)
    team.serving.promote_version("churn", "churn", 2, alias="champion")
    assert team.registry.get_model("churn").aliases["champion"] == 2


def test_a_rejected_version_stays_refused(team: dl.Workspace) -> None:
    team.approvals.protect_alias("churn", "champion", {"subject_matter_expert": 1})
    team.acting_as("ana").approvals.request("churn", 2)
    rejected = team.acting_as("sam").approvals.reject("churn", 2, "fails the EU segment")
    assert rejected.status is ApprovalStatus.REJECTED
    with pytest.raises(ConflictError, match="rejected by sam: fails the EU segment"):
        team.acting_as("ana").registry.set_alias("churn", "champion", 2)
    with pytest.raises(ConflictError, match="was rejected by sam"):
        team.acting_as("ana").approvals.request("churn", 2)
    with pytest.raises(ConflictError, match="churn@2 is rejected already, by sam"):
        team.acting_as("sue").approvals.approve("churn", 2)


def test_asking_again_adds_a_target_and_what_it_requires(team: dl.Workspace) -> None:
    team.approvals.protect_alias("churn", "champion", {"subject_matter_expert": 1})
    team.approvals.protect_endpoint("prod", {"devops_engineer": 1})
    ana = team.acting_as("ana").approvals
    ana.request("churn", 2, alias="champion")
    assert team.acting_as("sam").approvals.approve("churn", 2).status is ApprovalStatus.APPROVED
    wider = ana.request("churn", 2, endpoint="prod")  # approved for the alias, not the endpoint
    assert wider.status is ApprovalStatus.PENDING and wider.missing == {"devops_engineer": 1}
    assert wider.targets == ("alias:churn@champion", "endpoint:prod")
    assert ana.request("churn", 2, endpoint="prod") == wider  # asking again: no change


def test_with_no_protection_nothing_changes_for_a_solo_user(workspace: dl.Workspace) -> None:
    from .conftest import register

    for seed in range(2):
        register(workspace, seed=seed)
    workspace.registry.set_alias("churn", "champion", 1)
    workspace.serving.deploy("churn", "churn@1", canary="churn@2", canary_weight=0.5)
    workspace.serving.promote_version("churn", "churn", 2, alias="champion")
    workspace.registry.remove_alias("churn", "champion")
    assert workspace.approvals.list_requests(None) == []


def test_on_a_laptop_protections_apply_to_the_local_user(workspace: dl.Workspace) -> None:
    from .conftest import register

    register(workspace)
    workspace.approvals.protect_alias("churn", "champion", {"any": 1})
    workspace.approvals.request("churn", 1, alias="champion")
    with pytest.raises(PermissionDeniedError, match="four eyes"):
        workspace.approvals.approve("churn", 1)
    workspace.acting_as("a-colleague").approvals.approve("churn", 1, "looked at it")
    workspace.registry.set_alias("churn", "champion", 1)


def test_on_a_server_roles_are_checked(team: dl.Workspace) -> None:
    def checked(name: str, *roles: str) -> ApprovalService:
        bindings = tuple(parse_binding(r) for r in roles)  # ROLE or ROLE:PATTERN
        return team.approvals.for_principal(Principal(name, bindings))

    ana = checked("ana", "data_scientist")
    with pytest.raises(PermissionDeniedError, match=r"ana \(data_scientist\) may not manage"):
        ana.protect_alias("churn", "champion", {"any": 1})
    ana.request("churn", 2)
    viewer = checked("vic", "viewer")
    with pytest.raises(PermissionDeniedError, match="needs approve on model; roles with it"):
        viewer.approve("churn", 2)
    sam = checked("sam", "subject_matter_expert")
    assert sam.approve("churn", 2).status is ApprovalStatus.APPROVED
    assert [r.ref for r in checked("vic", "viewer:churn*").list_requests(None)] == ["churn@2"]
    assert [r.ref for r in checked("vic", "viewer:fraud-*").list_requests(None)] == []
    with pytest.raises(NotFoundError, match="nobody asked for churn@3 to be approved"):
        team.acting_as("sam").approvals.approve("churn", 3)


def _race(workspace: dl.Workspace, calls: list[Callable[[dl.Workspace], object]]) -> list[object]:
    """Run each call at once in its own thread, with its own workspace (its own engine)."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(i: int) -> None:
        ws = dl.Workspace(workspace.root, db_url=workspace.settings.db_url)
        try:
            barrier.wait()
            results[i] = calls[i](ws)
        except Exception as exc:
            results[i] = exc
        finally:
            ws.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


@pytest.mark.parametrize("second", ["approve", "reject"])
def test_two_people_racing_for_the_last_approval_one_wins_cleanly(
    team: dl.Workspace, second: str
) -> None:
    team.approvals.protect_alias("churn", "champion", {"subject_matter_expert": 1})
    who, decide = {"approve": ("sue", "approve"), "reject": ("dan", "reject")}[second]
    for version in (1, 2, 3):  # a few rounds, so that both orders are likely met
        team.acting_as("ana").approvals.request("churn", version)
        results = _race(
            team,
            [
                lambda ws, v=version: ws.acting_as("sam").approvals.approve("churn", v),
                lambda ws, v=version: getattr(ws.acting_as(who).approvals, decide)("churn", v),
            ],
        )
        won = [r for r in results if not isinstance(r, Exception)]
        lost = [r for r in results if isinstance(r, Exception)]
        assert len(won) == 1 and len(lost) == 1, results
        assert isinstance(lost[0], ConflictError) and "already, by" in str(lost[0])
        request = team.approvals.get("churn", version)
        assert len(request.approvals) == 1 and request.status is not ApprovalStatus.PENDING
    with team.store.read() as session:
        assert session.query(ApprovalRow).count() == 3
        assert session.query(ApprovalRequestRow).count() == 3


def test_a_move_and_a_rejection_racing_end_one_way_or_the_other(team: dl.Workspace) -> None:
    team.approvals.protect_alias("churn", "champion", {"any": 2})
    team.acting_as("ana").approvals.request("churn", 2)
    team.acting_as("sam").approvals.approve("churn", 2)
    results = _race(
        team,
        [
            lambda ws: ws.acting_as("sue").approvals.approve("churn", 2),
            lambda ws: ws.acting_as("dan").approvals.reject("churn", 2, "not yet"),
        ],
    )
    status = team.approvals.get("churn", 2).status
    assert sum(isinstance(r, ConflictError) for r in results) == 1, results
    assert status in (ApprovalStatus.APPROVED, ApprovalStatus.REJECTED)
    moved = _race(team, [lambda ws: ws.acting_as("ana").registry.set_alias("churn", "champion", 2)])
    assert isinstance(moved[0], ConflictError) == (status is ApprovalStatus.REJECTED)
