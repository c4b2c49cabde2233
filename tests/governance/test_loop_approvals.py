"""The loop's approval step is an approval request on the challenger: `loop approve`,
`loop reject` and `approvals approve` decide the same records."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime

import pytest

import driftloop as dl
from driftloop.automation import EpisodeState, ModelEvidence, parse_policy
from driftloop.automation._service import LoopService
from driftloop.errors import ConflictError, PermissionDeniedError
from driftloop.governance import ApprovalStatus
from driftloop.governance._approvals import ApprovalService
from driftloop.testing import FakeLoopWorld

S = EpisodeState
T0 = datetime(2026, 12, 1, tzinfo=UTC)
ALERT = {"kind": "alert", "source": "delay-drift"}
POLICY = {
    "endpoint": "flights",
    "model": "flight-delays",
    "pipeline": "demo:train",
    "triggers": [{"alert": "delay-drift"}],
    "gate": {"min_improvement": 0.01},
}


@pytest.fixture
def world() -> FakeLoopWorld:
    return FakeLoopWorld(
        evidence={1: ModelEvidence({"recent": 0.70}), 2: ModelEvidence({"recent": 0.76})}
    )


@pytest.fixture
def loop_of(workspace: dl.Workspace, world: FakeLoopWorld) -> Callable[[str], LoopService]:
    """The loop as each person runs it: the in-memory world, the real approval records."""
    workspace.governance.add_user("sam", ["subject_matter_expert"])
    workspace.governance.add_user("dan", ["devops_engineer"])

    def loop_of(user: str) -> LoopService:
        approvals = ApprovalService(workspace.store, user)
        parts = replace(world.parts(), approvals=approvals)
        return LoopService(workspace.store, parts, lambda: T0, user=user)

    return loop_of


def _awaiting(loop_of: Callable[[str], LoopService], **policy: object) -> LoopService:
    scheduler = loop_of("scheduler")
    scheduler.set_policy(parse_policy({**POLICY, **policy}))
    scheduler.on_trigger("flights", ALERT)
    (episode,) = scheduler.tick()
    assert episode.state is S.AWAITING_APPROVAL
    return scheduler


def test_a_protected_champion_holds_the_loop_for_the_approvals_it_names(
    workspace: dl.Workspace, loop_of: Callable[[str], LoopService], world: FakeLoopWorld
) -> None:
    approvals = ApprovalService(workspace.store, "admin")
    needs = {"subject_matter_expert": 1, "devops_engineer": 1}
    approvals.protect_alias("flight-*", "champion", needs)
    scheduler = _awaiting(loop_of)  # no require_approval: the protection asks for it
    gating = scheduler.history("flights")[-1]
    assert gating.summary == (
        "gate passed; version 2 awaits approval of 1 subject_matter_expert and 1 devops_engineer"
    )
    request = approvals.get("flight-delays", 2)
    assert request.requested_by == "loop" and request.episode_id is not None
    assert request.targets == ("alias:flight-delays@champion", "endpoint:flights")

    sam = loop_of("sam").approve("flights", "meets the brief")
    assert sam.state is S.AWAITING_APPROVAL and world.canary is None
    note = scheduler.history("flights")[-1]
    assert (note.kind, note.actor) == ("approval", "sam")
    assert "still needs 1 devops_engineer" in note.summary
    # The other approval through `driftloop approvals`: the next tick goes on.
    ApprovalService(workspace.store, "dan").approve("flight-delays", 2, "within budget")
    (episode,) = scheduler.tick()
    assert episode.state is S.CANARY and world.canary == 2
    canary = scheduler.history("flights")[-1]
    assert canary.actor == "sam, dan" and canary.evidence["why"] == "meets the brief; within budget"
    decided = approvals.get("flight-delays", 2)
    assert decided.status is ApprovalStatus.APPROVED
    assert [(a.approver, a.role) for a in decided.approvals] == [
        ("sam", "subject_matter_expert"),
        ("dan", "devops_engineer"),
    ]


def test_loop_reject_records_the_rejection_on_the_request(
    workspace: dl.Workspace, loop_of: Callable[[str], LoopService], world: FakeLoopWorld
) -> None:
    _awaiting(loop_of, require_approval=True)
    rejected = loop_of("sam").reject("flights", "not on a Friday")
    assert rejected.state is S.REJECTED and world.deployments == []
    request = ApprovalService(workspace.store, "x").get("flight-delays", 2)
    assert request.status is ApprovalStatus.REJECTED
    (decision,) = request.approvals
    assert (decision.approver, decision.decision, decision.reason) == (
        "sam",
        "rejected",
        "not on a Friday",
    )


def test_a_rejection_through_approvals_ends_the_episode_at_the_next_tick(
    workspace: dl.Workspace, loop_of: Callable[[str], LoopService], world: FakeLoopWorld
) -> None:
    scheduler = _awaiting(loop_of, require_approval=True)
    ApprovalService(workspace.store, "dan").reject("flight-delays", 2, "too slow")
    (episode,) = scheduler.tick()
    assert episode.state is S.REJECTED and world.deployments == []
    last = scheduler.history("flights")[-1]
    assert last.actor == "dan" and last.summary == "challenger version 2 rejected by dan"


def test_require_approval_alone_is_one_approval_by_anyone(
    loop_of: Callable[[str], LoopService], world: FakeLoopWorld
) -> None:
    _awaiting(loop_of, require_approval=True)
    # The local user of a laptop, registered nowhere: as before governance, they approve.
    episode = loop_of("root").approve("flights", "fine")
    assert episode.state is S.CANARY and world.canary == 2
    with pytest.raises(ConflictError, match="no challenger awaiting approval"):
        loop_of("sam").approve("flights")


def test_the_loop_s_request_keeps_four_eyes_and_roles(
    workspace: dl.Workspace, loop_of: Callable[[str], LoopService]
) -> None:
    ApprovalService(workspace.store, "admin").protect_endpoint("flights", {"devops_engineer": 1})
    _awaiting(loop_of)
    with pytest.raises(PermissionDeniedError, match="sam's approval would not count"):
        loop_of("sam").approve("flights")
    assert loop_of("dan").approve("flights").state is S.CANARY
